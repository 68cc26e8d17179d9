"""Sign-in attempts are counted atomically before the password is checked
(accounts.lockout): concurrent guesses cannot all pass the lockout check together, and one
username guessed at from many addresses is slowed down whatever the addresses."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import time_machine
from axes.models import AccessAttempt
from django.contrib.auth.hashers import make_password
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from accounts.models import AttemptBudget, User
from tests.accounts.test_login_lockout import HOME, START, attempt, fail, signed_in
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_a_username_guessed_from_many_addresses_is_slowed_down(alice: User, settings):
    """Below every per-address limit (one guess from each of 10 addresses), yet the 11th
    attempt within the window waits, the right password too; the owner is in again once
    the window is over."""
    assert settings.LOGIN_ATTEMPTS_PER_USERNAME == 10
    with time_machine.travel(START, tick=False):
        for n in range(10):
            fail("alice", 1, ip=f"198.51.100.{n}")
        slowed = attempt("alice", PASSWORD, ip=HOME)
    assert slowed.status_code == 429
    body = slowed.content.decode()
    assert 'data-testid="login-slowed"' in body and "5 分ほど" in body
    assert 'value="alice"' in body
    with time_machine.travel(START + settings.LOGIN_USERNAME_WINDOW, tick=False):
        assert signed_in(attempt("alice", PASSWORD, ip=HOME))


def test_other_usernames_are_not_slowed_by_it(alice: User, bob: User):
    with time_machine.travel(START, tick=False):
        for n in range(11):
            fail("alice", 1, ip=f"198.51.100.{n}")
        assert signed_in(attempt("bob", PASSWORD, ip="198.51.100.1"))


def test_a_success_gives_its_attempt_back(alice: User):
    """The owner signing in many times a day never slows themselves down."""
    with time_machine.travel(START, tick=False):
        for _ in range(15):
            assert signed_in(attempt("alice", PASSWORD, ip=HOME))


def test_the_budget_table_keeps_hashes_not_names_or_addresses(alice: User):
    with time_machine.travel(START, tick=False):
        fail("alice", 1)
    keys = list(AttemptBudget.objects.values_list("key", flat=True))
    assert len(keys) == 3
    assert not any("alice" in key or HOME in key for key in keys)
    assert AttemptBudget._meta.db_table == "accounts_attemptbudget"  # the raw SQL's table


@pytest.mark.django_db(transaction=True)
def test_concurrent_guesses_cannot_all_pass_the_lockout_check(centre_a, settings):
    """Twelve wrong passwords sent at once for one username from one address: only as many
    as the limit (5) are checked against the password; the others are refused unread. A
    slow password hash (PBKDF2, as in production) holds the checked ones in flight, so
    without the atomic count all twelve would have passed the check together."""
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    user = User.objects.create(
        username="target", password=make_password(PASSWORD, hasher="pbkdf2_sha256")
    )
    user.centres.add(centre_a)
    barrier = threading.Barrier(12)
    statuses: list[int] = []

    def guess() -> None:
        try:
            client = Client(REMOTE_ADDR=HOME)
            barrier.wait()
            response = client.post(reverse("login"), {"username": "target", "password": "wrong"})
            statuses.append(response.status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=guess) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    checked = AccessAttempt.objects.get(username="target", ip_address=HOME)
    assert len(statuses) == 12
    assert checked.failures_since_start == settings.AXES_FAILURE_LIMIT == 5
    assert statuses.count(429) >= 12 - 5
    # The pair is locked for its owner too, as after five failures in a row.
    assert (
        Client(REMOTE_ADDR=HOME)
        .post(reverse("login"), {"username": "target", "password": PASSWORD})
        .status_code
        == 429
    )
    connection.close()


def test_the_budgets_are_forgotten_with_the_sign_in_records(alice: User):
    from accounts.services import access_logs_purge

    with time_machine.travel(START - dt.timedelta(days=2), tick=False):
        fail("alice", 1)
    with time_machine.travel(START, tick=False):
        access_logs_purge()
    assert not AttemptBudget.objects.exists()
