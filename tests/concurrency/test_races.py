"""A real race: two users who opened the same edit form press save at the same moment, each
request in its own thread with its own database connection (committed transactions, no test
transaction around them). Exactly one save wins; the other is refused with its input kept;
the record holds the winner's change and its version moved once."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from accounts.models import Centre, User
from tests.concurrency.html_forms import form_fields
from tests.concurrency.registry import EDIT_FORMS, World
from tests.concurrency.test_stale_edits import signed_in, stored, stored_version

RACED = ["cases:edit", "outreach:visit_edit", "families:member_edit", "outreach:session_edit"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("url_name", RACED)
def test_two_saves_at_the_same_moment_exactly_one_wins(
    centre_a: Centre, alice: User, bob: User, mallory: User, url_name: str
) -> None:
    entry = next(entry for entry in EDIT_FORMS if entry.url_name == url_name)
    world = World(centre=centre_a, alice=alice, bob=bob, mallory=mallory)
    target = entry.make(world)
    clients = [signed_in(getattr(world, name)) for name in entry.editors]
    pages = [
        form_fields(
            client.get(target.form_page).content.decode(),
            action=target.url,
            page=target.form_page,
        )
        for client in clients
    ]
    version = stored_version(target)
    changes = [entry.change_a, entry.change_b]
    start = threading.Barrier(2)
    responses: dict[int, Any] = {}
    errors: list[BaseException] = []

    def save(i: int, client: Client) -> None:
        try:
            start.wait()
            responses[i] = client.post(target.url, {**pages[i], target.field: changes[i]})
        except BaseException as error:  # surfaced by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(i, c)) for i, c in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    statuses = sorted(response.status_code for response in responses.values())
    assert statuses == [302, 409]
    winner = next(i for i, r in responses.items() if r.status_code == 302)
    loser = 1 - winner
    assert stored(entry, target) == changes[winner]
    assert stored_version(target) == version + 1
    kept = form_fields(
        responses[loser].content.decode(),
        action=target.url,
        page=target.form_page,
    )
    assert kept[target.field] == [changes[loser]]
