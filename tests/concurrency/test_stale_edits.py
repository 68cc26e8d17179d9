"""Two users open the same edit form; the first saves change A, the second then saves change B
from their older page: refused (409) with a clear message in their language, their input on
the page again, change A stored and the version moved once. Saving again, knowingly, from
the refused page then goes through (the page carries the version saved since). One test per
entry of `registry.EDIT_FORMS`."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from accounts.models import User
from tests.concurrency.html_forms import form_fields
from tests.concurrency.registry import EDIT_FORMS, EditForm, Target, World
from tests.factories import client_for

pytestmark = pytest.mark.django_db


def signed_in(user: User) -> Client:
    """Signed in, and reading the pages in the user's language (mallory chose English with
    the switch, which is a cookie)."""
    client = client_for(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = user.language
    return client


@pytest.fixture
def world(centre_a, alice, bob, mallory) -> World:
    return World(centre=centre_a, alice=alice, bob=bob, mallory=mallory)


def page_form(client: Client, target: Target) -> dict[str, list[str]]:
    response = client.get(target.form_page)
    assert response.status_code == 200
    return form_fields(response.content.decode(), action=target.url, page=target.form_page)


def stored(entry: EditForm, target: Target) -> str:
    row = type(target.record).objects.get(pk=target.record.pk)
    return str(getattr(row, entry.attribute))


def stored_version(target: Target) -> int:
    row = target.versioned or target.record
    return type(row).objects.values_list("version", flat=True).get(pk=row.pk)


@pytest.mark.parametrize("entry", EDIT_FORMS, ids=lambda entry: entry.id)
def test_the_second_of_two_saves_is_refused_and_keeps_its_input(world: World, entry: EditForm):
    target = entry.make(world)
    first_user: User = getattr(world, entry.editors[0])
    second_user: User = getattr(world, entry.editors[1])
    first, second = signed_in(first_user), signed_in(second_user)
    first_form, second_form = page_form(first, target), page_form(second, target)
    assert target.field in first_form, f"{target.field} is not on the form"
    if target.version_field is not None:
        version = stored_version(target)
        # The version is on the page itself (a template that drops it would lose updates).
        assert first_form[target.version_field] == second_form[target.version_field]
        assert first_form[target.version_field] == [str(version)]

    saved = first.post(target.url, {**first_form, target.field: entry.change_a})
    assert saved.status_code == 302
    assert stored(entry, target) == entry.change_a
    if target.version_field is not None:
        assert stored_version(target) == version + 1

    refused = second.post(target.url, {**second_form, target.field: entry.change_b})
    assert refused.status_code == 409
    body = refused.content.decode()
    assert entry.message[second_user.language] in body
    kept = form_fields(body, action=target.url, page=target.form_page)
    assert kept[target.field] == [entry.change_b]  # what the second user typed, still there
    assert stored(entry, target) == entry.change_a  # change A, not overwritten
    if target.version_field is not None:
        assert stored_version(target) == version + 1
        assert kept[target.version_field] == [str(version + 1)]

    # Having looked at the other change, the second user saves again, knowingly.
    again = second.post(target.url, kept)
    assert again.status_code == 302
    assert stored(entry, target) == entry.change_b


def test_the_registry_checks_the_refusal_in_both_languages(world: World):
    languages = {getattr(world, entry.editors[1]).language for entry in EDIT_FORMS}
    assert languages == {"ja", "en"}
