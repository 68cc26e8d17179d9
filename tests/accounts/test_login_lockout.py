"""Password guessing is slowed down on both login pages (django-axes): after 5 failures a
username is refused from that address for 15 minutes, whatever the password."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.test import Client
from django.urls import reverse

from accounts.models import Role, User
from accounts.tasks import purge_access_logs
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 11, 26, 1, 0, tzinfo=dt.UTC)
LOCKED_JA = "ログインの失敗が続いたため"
HOME = "192.0.2.10"


def attempt(username: str, password: str, *, ip: str = HOME, page: str = "login"):
    client = Client(REMOTE_ADDR=ip)
    url = reverse("login") if page == "login" else "/admin/login/"
    return client.post(url, {"username": username, "password": password})


def signed_in(response) -> bool:
    return response.status_code == 302


def fail(username: str, times: int, **kwargs) -> None:
    for _ in range(times):
        response = attempt(username, "wrong-password", **kwargs)
        assert not signed_in(response)


def test_five_failures_lock_the_username_even_against_the_right_password(alice: User):
    with time_machine.travel(START, tick=False):
        fail("alice", 5)
        response = attempt("alice", PASSWORD)
    assert response.status_code == 429
    body = response.content.decode()
    assert LOCKED_JA in body and "15 分ほど" in body
    assert 'value="alice"' in body  # what was typed is kept


def test_the_lock_ends_by_itself_and_refusals_do_not_lengthen_it(alice: User):
    with time_machine.travel(START, tick=False):
        fail("alice", 5)
    with time_machine.travel(START + dt.timedelta(minutes=10), tick=False):
        assert attempt("alice", PASSWORD).status_code == 429
    with time_machine.travel(START + dt.timedelta(minutes=15, seconds=1), tick=False):
        assert signed_in(attempt("alice", PASSWORD))


def test_four_failures_then_a_success_start_the_count_again(alice: User):
    with time_machine.travel(START, tick=False):
        fail("alice", 4)
        assert signed_in(attempt("alice", PASSWORD))
        fail("alice", 4)
        assert signed_in(attempt("alice", PASSWORD))


def test_a_post_without_a_password_is_no_success(alice: User):
    with time_machine.travel(START, tick=False):
        fail("alice", 4)
        assert not signed_in(attempt("alice", ""))
        fail("alice", 1)
        assert attempt("alice", PASSWORD).status_code == 429


def test_nobody_elsewhere_can_lock_a_colleague_out(alice: User, bob: User):
    """The lock is on the username from that address: guesses from another address, or at
    another username, leave the account usable."""
    with time_machine.travel(START, tick=False):
        fail("alice", 5, ip="198.51.100.7")
        assert signed_in(attempt("alice", PASSWORD, ip=HOME))
        assert signed_in(attempt("bob", PASSWORD, ip="198.51.100.7"))


def test_unknown_usernames_lock_like_real_ones():
    """The lock says nothing about whether an account exists."""
    with time_machine.travel(START, tick=False):
        fail("nobody", 5)
        assert attempt("nobody", "whatever").status_code == 429


def test_the_lock_message_is_in_english_for_an_english_reader(alice: User):
    with time_machine.travel(START, tick=False):
        fail("alice", 5)
        client = Client(REMOTE_ADDR=HOME)
        client.cookies["django_language"] = "en"
        response = client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert "Too many failed sign-ins" in response.content.decode()


def test_the_admin_login_is_locked_too():
    UserFactory(username="root", role=Role.ADMIN, is_staff=True, is_superuser=True)
    with time_machine.travel(START, tick=False):
        fail("root", 5, page="admin")
        response = attempt("root", PASSWORD, page="admin")
    assert response.status_code == 429
    assert LOCKED_JA in response.content.decode()


def test_an_address_spraying_usernames_is_locked_others_are_not(bob: User):
    with time_machine.travel(START, tick=False):
        for n in range(30):
            fail(f"guess{n}", 1, ip="198.51.100.7")
        assert attempt("bob", PASSWORD, ip="198.51.100.7").status_code == 429
        assert signed_in(attempt("bob", PASSWORD, ip="203.0.113.5"))
    with time_machine.travel(START + dt.timedelta(minutes=16), tick=False):
        assert signed_in(attempt("bob", PASSWORD, ip="198.51.100.7"))


def test_a_forged_forwarded_for_from_outside_our_proxies_is_ignored(alice: User, settings):
    """Otherwise each guess could claim a new address and never be locked."""
    settings.AUDIT_TRUST_FORWARDED_FOR = True
    with time_machine.travel(START, tick=False):
        for n in range(5):
            Client(REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").post(
                reverse("login"), {"username": "alice", "password": "wrong"}
            )
        response = Client(REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="203.0.113.99").post(
            reverse("login"), {"username": "alice", "password": PASSWORD}
        )
    assert response.status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.7"}


def test_the_address_behind_a_trusted_proxy_is_the_forwarded_one(alice: User, settings):
    settings.AUDIT_TRUST_FORWARDED_FOR = True
    proxy = "10.0.0.1"
    settings.TRUSTED_PROXIES = [proxy]
    with time_machine.travel(START, tick=False):
        for _ in range(5):
            Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="198.51.100.7").post(
                reverse("login"), {"username": "alice", "password": "wrong"}
            )
        # The same proxy, another user's address: not locked.
        colleague = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=HOME)
        response = colleague.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert signed_in(response)
    assert AccessAttempt.objects.get().ip_address == "198.51.100.7"


def test_old_sign_in_records_are_purged(alice: User, settings):
    assert settings.CELERY_BEAT_SCHEDULE["purge-access-logs"]["task"] == purge_access_logs.name
    with time_machine.travel(START - dt.timedelta(days=91), tick=False):
        fail("alice", 1)
        assert signed_in(attempt("alice", PASSWORD))
    with time_machine.travel(START, tick=False):
        fail("alice", 1)
        assert signed_in(attempt("alice", PASSWORD))
        assert AccessLog.objects.count() == 2 and AccessFailureLog.objects.count() == 2
        assert purge_access_logs() == 2  # the daily beat task
    assert AccessLog.objects.count() == 1 and AccessFailureLog.objects.count() == 1
