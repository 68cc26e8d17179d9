"""Who may set up a first authenticator: the user at their first sign-in, within 24 hours
of the account's creation, or later through a one-time link an administrator issues. A
password alone (a leaked one, a demo-style one) cannot claim someone's second factor."""

from __future__ import annotations

import datetime as dt
import importlib
import re
import sys

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services
from accounts.models import AuditEvent, Role, TwoFactorEnrolmentLink, User
from tests.accounts.test_two_factor import password_login, set_up
from tests.factories import UserFactory, client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def veteran(centre_a) -> User:
    """A manager whose account is two days old and who never set up an authenticator."""
    return UserFactory(
        username="veteran",
        role=Role.MANAGER,
        centre=centre_a,
        date_joined=timezone.now() - dt.timedelta(days=2),
    )


def link_path(token: str) -> str:
    return reverse("two_factor_link", args=[token])


def test_after_the_first_day_a_password_alone_cannot_set_up_the_authenticator(veteran):
    client = password_login(veteran)
    response = client.get(reverse("two_factor_setup"))
    assert response.status_code == 403
    assert 'data-testid="two-factor-link-needed"' in response.content.decode()
    assert "<svg" not in response.content.decode()  # no key shown
    posted = client.post(reverse("two_factor_setup"), {"code": "123456"})
    assert posted.status_code == 403
    assert not TOTPDevice.objects.filter(user=veteran).exists()
    assert client.get(reverse("home")).status_code == 302


def test_within_the_first_day_the_first_sign_in_sets_it_up(centre_a):
    newcomer = UserFactory(role=Role.MANAGER, centre=centre_a)
    with time_machine.travel(timezone.now() + dt.timedelta(hours=23), tick=False):
        assert len(set_up(password_login(newcomer), newcomer)) == 10


def test_a_link_from_the_administrator_lets_the_user_set_it_up_once(veteran):
    token = services.two_factor_link_issue(user=veteran, by=None)
    client = password_login(veteran)
    opened = client.get(link_path(token))
    assert opened.status_code == 302 and opened["Location"] == reverse("two_factor_setup")
    assert len(set_up(client, veteran)) == 10
    assert client.get(reverse("home")).status_code == 200
    assert TwoFactorEnrolmentLink.objects.get().used_at is not None
    # Used: it opens nothing any more.
    again = password_login(veteran).get(link_path(token))
    assert again.status_code == 404
    assert 'data-testid="two-factor-link-invalid"' in again.content.decode()


def test_the_link_needs_the_password_first(veteran):
    token = services.two_factor_link_issue(user=veteran, by=None)
    response = Client().get(link_path(token))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_a_link_is_for_its_own_user_only(veteran, centre_a):
    token = services.two_factor_link_issue(user=veteran, by=None)
    other = UserFactory(
        role=Role.MANAGER, centre=centre_a, date_joined=timezone.now() - dt.timedelta(days=5)
    )
    client = password_login(other)
    assert client.get(link_path(token)).status_code == 404
    assert client.get(reverse("two_factor_setup")).status_code == 403


def test_an_expired_link_opens_nothing(veteran, settings):
    token = services.two_factor_link_issue(user=veteran, by=None)
    later = timezone.now() + settings.TWO_FACTOR_LINK_VALID + dt.timedelta(minutes=1)
    with time_machine.travel(later, tick=False):
        assert password_login(veteran).get(link_path(token)).status_code == 404


def test_a_link_opened_then_expired_before_the_code_sets_up_nothing(veteran, settings):
    token = services.two_factor_link_issue(user=veteran, by=None)
    client = password_login(veteran)
    client.get(link_path(token))
    client.get(reverse("two_factor_setup"))  # the QR code, then the user goes for coffee
    later = timezone.now() + settings.TWO_FACTOR_LINK_VALID + dt.timedelta(minutes=1)
    with time_machine.travel(later, tick=False):
        assert client.get(reverse("two_factor_setup")).status_code == 403
    assert not TOTPDevice.objects.filter(user=veteran, confirmed=True).exists()


def test_the_admin_issues_the_link_which_replaces_a_lost_authenticator(veteran, centre_a):
    root = UserFactory(username="root", role=Role.ADMIN, is_staff=True, is_superuser=True)
    admin_client = client_for(root)
    TOTPDevice.objects.create(user=veteran, name="lost phone", confirmed=True)
    response = admin_client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "issue_two_factor_link", "_selected_action": [veteran.pk]},
        follow=True,
    )
    shown = re.search(r"/accounts/two-factor/link/([\w-]+)/", response.content.decode())
    assert shown is not None
    assert not TOTPDevice.objects.filter(user=veteran).exists()  # the lost phone is out
    client = password_login(veteran)
    client.get(link_path(shown.group(1)))
    assert len(set_up(client, veteran)) == 10
    event = AuditEvent.objects.get(model="accounts.user", object_id=veteran.pk)
    assert event.user == root and event.changed_fields == ["two_factor"]


def test_issuing_a_new_link_voids_the_previous_one(veteran):
    first = services.two_factor_link_issue(user=veteran, by=None)
    services.two_factor_link_issue(user=veteran, by=None)
    assert password_login(veteran).get(link_path(first)).status_code == 404


def test_the_production_default_covers_counsellors(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 50)
    monkeypatch.setenv("ALLOWED_HOSTS", "tsunagu.example.jp")
    monkeypatch.delenv("TWO_FACTOR_ROLES", raising=False)
    monkeypatch.delitem(sys.modules, "config.settings.production", raising=False)
    production = importlib.import_module("config.settings.production")
    assert {"counsellor", "manager", "admin"} <= set(production.TWO_FACTOR_ROLES)


def test_a_counsellor_is_held_to_the_second_factor_where_configured(alice, settings):
    settings.TWO_FACTOR_ROLES = ["counsellor", "manager", "admin"]
    client = password_login(alice)
    response = client.get(reverse("cases:list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("two_factor_verify"))
