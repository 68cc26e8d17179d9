"""Passwords: at least 12 characters, none from the bundled breached-password list (offline),
nor such a password with digits or symbols stuck on; password-reset links last a few hours,
and reset requests are throttled per address and per account."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.passwords import BREACHED_LIST, BreachedPasswordValidator
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def refusal(password: str) -> list[str]:
    try:
        validate_password(password)
    except ValidationError as error:
        return [item.code for item in error.error_list]
    return []


@pytest.mark.parametrize(
    "password",
    [
        "password1234",  # on the list as it is
        "Qwertyuiop12",
        "1qaz2wsx3edc",
        "baseball2026!!",  # a listed word with digits and symbols stuck on
        "!!Sunshine!!2026",
        "tsunagu-demo-2026",  # the demo's password is public
    ],
)
def test_breached_passwords_are_refused(password):
    assert "password_too_common" in refusal(password)


def test_eleven_characters_are_too_short():
    assert "password_too_short" in refusal("kx7-pqm-2wz")
    assert refusal("kx7-pqm-2wzq") == []


def test_a_long_unusual_password_is_accepted():
    assert refusal("walnut-ferry-lantern-42") == []
    assert refusal(PASSWORD) == []  # the suite's own, 21 characters


def test_the_list_is_bundled_and_big():
    """Offline: a file in the repository, tens of thousands of entries."""
    assert BREACHED_LIST.is_file()
    assert len(BreachedPasswordValidator().passwords) > 40_000


def test_the_password_change_page_says_why_in_japanese(as_alice):
    response = as_alice.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "baseball2026!!",
            "new_password2": "baseball2026!!",
        },
    )
    assert response.status_code == 200
    assert "流出したパスワードの一覧" in response.content.decode()


# --- password reset ---------------------------------------------------------------------


def reset_link(mail) -> str:
    found = re.search(r"https?://[^/]+(/accounts/reset/\S+/)", mail.body)
    assert found is not None
    return found.group(1)


def test_a_reset_link_works_for_two_hours_not_three_days(alice, mailoutbox, settings):
    assert settings.PASSWORD_RESET_TIMEOUT <= 3 * 60 * 60
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        Client().post(reverse("password_reset"), {"email": alice.email})
    link = reset_link(mailoutbox[0])
    with time_machine.travel(now + dt.timedelta(hours=1, minutes=50), tick=False):
        fresh = Client().get(link, follow=True)
        assert 'name="new_password1"' in fresh.content.decode()
    with time_machine.travel(now + dt.timedelta(hours=2, minutes=1), tick=False):
        stale = Client().get(link, follow=True)
        assert 'name="new_password1"' not in stale.content.decode()


def test_reset_requests_for_one_account_are_throttled(alice, mailoutbox, settings):
    settings.PASSWORD_RESET_LIMIT_PER_ACCOUNT = 3
    for n in range(5):
        # From five addresses: the account's limit holds whatever the address.
        response = Client(REMOTE_ADDR=f"198.51.100.{n}").post(
            reverse("password_reset"), {"email": alice.email}
        )
        # The same answer every time: nothing tells that the limit (or the account) exists.
        assert response.status_code == 302 and response["Location"] == reverse(
            "password_reset_done"
        )
    assert len(mailoutbox) == 3


def test_reset_requests_from_one_address_are_throttled(alice, bob, mailoutbox, settings):
    settings.PASSWORD_RESET_LIMIT_PER_ADDRESS = 4
    for n in range(4):
        Client(REMOTE_ADDR="198.51.100.7").post(
            reverse("password_reset"), {"email": f"nobody{n}@example.jp"}
        )
    refused = Client(REMOTE_ADDR="198.51.100.7").post(
        reverse("password_reset"), {"email": bob.email}
    )
    assert refused.status_code == 429
    body = refused.content.decode()
    assert "しばらくしてから" in body and bob.email in body  # what was typed is kept
    assert mailoutbox == []
    elsewhere = Client(REMOTE_ADDR="203.0.113.5").post(
        reverse("password_reset"), {"email": bob.email}
    )
    assert elsewhere.status_code == 302 and len(mailoutbox) == 1


def test_the_throttle_window_passes(alice, mailoutbox, settings):
    settings.PASSWORD_RESET_LIMIT_PER_ACCOUNT = 1
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        Client().post(reverse("password_reset"), {"email": alice.email})
        Client().post(reverse("password_reset"), {"email": alice.email})
    with time_machine.travel(now + settings.PASSWORD_RESET_THROTTLE_WINDOW, tick=False):
        Client().post(reverse("password_reset"), {"email": alice.email})
    assert len(mailoutbox) == 2
