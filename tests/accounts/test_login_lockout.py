"""Password guessing is slowed down on both login pages: a username is refused after
repeated failures, and so is an address that sprays many usernames."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from accounts import services
from accounts.models import LoginAttempt, LoginOutcome, Role, User
from accounts.tasks import purge_login_attempts
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 11, 26, 1, 0, tzinfo=dt.UTC)
LOCKED_JA = "ログインの失敗が続いたため"


def attempt(username: str, password: str, *, ip: str = "192.0.2.10", page: str = "login"):
    client = Client(REMOTE_ADDR=ip)
    url = reverse("login") if page == "login" else "/admin/login/"
    return client.post(url, {"username": username, "password": password})


def signed_in(response) -> bool:
    return response.status_code == 302


def fail(username: str, times: int, **kwargs) -> None:
    for _ in range(times):
        assert not signed_in(attempt(username, "wrong-password", **kwargs))


def test_five_failures_lock_the_username_even_against_the_right_password(alice: User):
    with time_machine.travel(START, tick=False):
        fail("alice", 5)
        response = attempt("alice", PASSWORD)
    assert not signed_in(response)
    body = response.content.decode()
    assert LOCKED_JA in body and "15 分後" in body
    assert 'value="alice"' in body  # what was typed is kept
    assert LoginAttempt.objects.filter(outcome=LoginOutcome.REFUSED).count() == 1


def test_the_lock_ends_by_itself_and_refusals_do_not_lengthen_it(alice: User):
    with time_machine.travel(START, tick=False):
        fail("alice", 5)
    with time_machine.travel(START + dt.timedelta(minutes=10), tick=False):
        response = attempt("alice", PASSWORD)
        assert LOCKED_JA in response.content.decode() and "5 分後" in response.content.decode()
    with time_machine.travel(START + dt.timedelta(minutes=15, seconds=1), tick=False):
        assert signed_in(attempt("alice", PASSWORD))


def test_four_failures_then_a_success_start_the_count_again(alice: User):
    with time_machine.travel(START, tick=False):
        fail("alice", 4)
        assert signed_in(attempt("alice", PASSWORD))
        fail("alice", 4)
        assert signed_in(attempt("alice", PASSWORD))


def test_the_lock_is_per_username_and_case_insensitive(alice: User, bob: User):
    with time_machine.travel(START, tick=False):
        fail("ALICE", 5)
        assert LOCKED_JA in attempt("alice", PASSWORD).content.decode()
        assert signed_in(attempt("bob", PASSWORD))


def test_an_address_spraying_usernames_is_locked_others_are_not(bob: User):
    with time_machine.travel(START, tick=False):
        for n in range(30):
            fail(f"guess{n}", 1, ip="198.51.100.7")
        assert LOCKED_JA in attempt("bob", PASSWORD, ip="198.51.100.7").content.decode()
        assert signed_in(attempt("bob", PASSWORD, ip="203.0.113.5"))


def test_unknown_usernames_lock_like_real_ones():
    """The lock says nothing about whether an account exists."""
    with time_machine.travel(START, tick=False):
        fail("nobody", 5)
        assert LOCKED_JA in attempt("nobody", "whatever").content.decode()


def test_the_lock_message_is_in_english_for_an_english_reader(alice: User):
    with time_machine.travel(START, tick=False):
        fail("alice", 5)
        client = Client(REMOTE_ADDR="192.0.2.10")
        client.cookies["django_language"] = "en"
        response = client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert "Too many failed sign-ins" in response.content.decode()


def test_the_admin_login_is_throttled_too():
    UserFactory(username="root", role=Role.ADMIN, is_staff=True, is_superuser=True)
    with time_machine.travel(START, tick=False):
        fail("root", 5, page="admin")
        response = attempt("root", PASSWORD, page="admin")
    assert not signed_in(response)
    assert LOCKED_JA in response.content.decode()


def test_old_attempts_are_purged(settings):
    assert settings.CELERY_BEAT_SCHEDULE["purge-login-attempts"]["task"] == (
        purge_login_attempts.name
    )
    with time_machine.travel(START - dt.timedelta(days=91), tick=False):
        services.login_attempt_record(username="a", ip=None, outcome=LoginOutcome.FAILED)
    with time_machine.travel(START - dt.timedelta(days=89), tick=False):
        services.login_attempt_record(username="b", ip=None, outcome=LoginOutcome.FAILED)
    with time_machine.travel(START, tick=False):
        assert purge_login_attempts() == 1  # the daily beat task
    assert list(LoginAttempt.objects.values_list("username", flat=True)) == ["b"]
