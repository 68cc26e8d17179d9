"""Managers and administrators sign in with a second factor (django-otp): a code from an
authenticator app, or a one-time backup code."""

from __future__ import annotations

import datetime as dt
import re
from base64 import b32decode

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import AuditEvent, Role, User
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 11, 26, 1, 0, tzinfo=dt.UTC)


def password_login(user: User) -> Client:
    client = Client()
    client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    return client


def code_of(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, digits=device.digits):06d}"


def shown_key(client: Client) -> str:
    page = client.get(reverse("two_factor_setup")).content.decode()
    assert "<svg" in page  # the QR code
    found = re.search(r'data-testid="secret">(\w+)<', page)
    assert found is not None
    return found.group(1)


def set_up(client: Client, user: User, **extra: str) -> list[str]:
    """Go through the set-up page as the user would, typing the code their app would show
    for the key on the page; returns the backup codes shown."""
    code = f"{totp(b32decode(shown_key(client))):06d}"
    response = client.post(reverse("two_factor_setup"), {"code": code, **extra})
    return re.findall(r"<li>([0-9a-z]{8})</li>", response.content.decode())


def test_a_manager_with_a_password_only_reaches_nothing_but_the_set_up(
    mallory: User, case_url, settings
):
    client = password_login(mallory)
    for url in (reverse("home"), case_url, reverse("reminders:escalations"), "/admin/"):
        response = client.get(url)
        assert response.status_code == 302, url
        response = client.get(response["Location"], follow=True)
        assert response.request["PATH_INFO"] == reverse("two_factor_setup")
    # What stays open: the health check (for the load balancer, whoever is signed in), the
    # language switch and signing out.
    settings.HEALTHZ_CELERY_TIMEOUT = 0.2  # no worker runs here: do not wait for one
    assert client.get("/healthz").status_code in (200, 503)
    switched = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert switched.status_code == 302 and switched["Location"] == "/"
    assert client.post(reverse("logout")).status_code == 302


def test_setting_up_the_authenticator_lets_the_manager_in_and_shows_backup_codes(
    mallory: User, case_url
):
    client = password_login(mallory)
    codes = set_up(client, mallory)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get(reverse("reminders:escalations")).status_code == 200
    assert client.get(case_url).status_code == 200


def test_a_wrong_code_is_refused_with_a_message_and_nothing_opens(mallory: User):
    client = password_login(mallory)
    client.get(reverse("two_factor_setup"))
    response = client.post(reverse("two_factor_setup"), {"code": "000000"})
    assert "コードが正しくありません" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=mallory, confirmed=True).exists()
    assert client.get(reverse("home")).status_code == 302


def test_the_next_sign_in_asks_for_a_code_and_a_backup_code_works_once(mallory: User):
    with time_machine.travel(START, tick=False) as clock:
        codes = set_up(password_login(mallory), mallory)
        client = password_login(mallory)
        response = client.get(reverse("home"), follow=True)
        assert response.request["PATH_INFO"] == reverse("two_factor_verify")
        bad = client.post(reverse("two_factor_verify"), {"code": "12345678", "next": "/"})
        assert "コードが正しくありません" in bad.content.decode()
        clock.shift(dt.timedelta(seconds=2))  # a failure slows the next attempt down
        ok = client.post(reverse("two_factor_verify"), {"code": codes[0], "next": "/cases/"})
        assert ok.status_code == 302 and ok["Location"] == "/cases/"
        assert client.get(reverse("home")).status_code == 200
        again = password_login(mallory)
        reused = again.post(reverse("two_factor_verify"), {"code": codes[0], "next": "/"})
        assert "コードが正しくありません" in reused.content.decode()


def test_wrong_codes_slow_the_authenticator_down_not_the_backup_codes(mallory: User):
    with time_machine.travel(START, tick=False) as clock:
        codes = set_up(password_login(mallory), mallory)
        device = TOTPDevice.objects.get(user=mallory, confirmed=True)
        clock.shift(dt.timedelta(seconds=31))
        client = password_login(mallory)
        client.post(reverse("two_factor_verify"), {"code": "000000", "next": "/"})
        # At once, even the right code is refused: guessing six digits takes forever...
        right = client.post(reverse("two_factor_verify"), {"code": code_of(device), "next": "/"})
        assert right.status_code == 200
        # ...but a mistyped authenticator code does not lock the user out of the backup codes.
        backup = client.post(reverse("two_factor_verify"), {"code": codes[0], "next": "/"})
        assert backup.status_code == 302


def test_the_authenticator_code_signs_in_and_cannot_be_replayed(mallory: User):
    with time_machine.travel(START, tick=False) as clock:
        set_up(password_login(mallory), mallory)
        device = TOTPDevice.objects.get(user=mallory, confirmed=True)
        client = password_login(mallory)
        replayed = client.post(reverse("two_factor_verify"), {"code": code_of(device), "next": "/"})
        assert replayed.status_code == 200  # the code that confirmed the set-up
        clock.shift(dt.timedelta(seconds=31))
        response = client.post(reverse("two_factor_verify"), {"code": code_of(device), "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"


def test_a_password_alone_cannot_enrol_another_authenticator(mallory: User):
    """Else whoever learnt the password could add their own phone and walk in."""
    set_up(password_login(mallory), mallory)
    thief = password_login(mallory)
    page = thief.get(reverse("two_factor_setup"), follow=True)
    assert page.request["PATH_INFO"] == reverse("two_factor_verify")
    assert TOTPDevice.objects.filter(user=mallory).count() == 1
    posted = thief.post(reverse("two_factor_setup"), {"code": "123456"})
    assert posted.status_code == 302 and TOTPDevice.objects.filter(user=mallory).count() == 1
    assert thief.get(reverse("home")).status_code == 302


def test_a_signed_in_manager_can_move_to_a_new_phone(mallory: User):
    with time_machine.travel(START, tick=False) as clock:
        client = password_login(mallory)
        old_codes = set_up(client, mallory)
        assert (
            'data-testid="two-factor-reset"' in client.get(reverse("preferences")).content.decode()
        )
        clock.shift(dt.timedelta(seconds=31))
        # Verified, yet the password too: a session left open is not enough.
        assert set_up(client, mallory, password="not-it") == []
        assert (
            "パスワードが正しくありません"
            in client.post(
                reverse("two_factor_setup"), {"code": "000000", "password": "not-it"}
            ).content.decode()
        )
        clock.shift(dt.timedelta(seconds=31))
        new_codes = set_up(client, mallory, password=PASSWORD)
    assert TOTPDevice.objects.filter(user=mallory).count() == 1
    enrolments = AuditEvent.objects.filter(user=mallory, model="otp_totp.totpdevice")
    assert enrolments.count() == 2
    assert set(new_codes).isdisjoint(old_codes)
    again = password_login(mallory)
    stale = again.post(reverse("two_factor_verify"), {"code": old_codes[0], "next": "/"})
    assert stale.status_code == 200  # the old backup codes went with the old phone


def test_a_superuser_of_any_role_needs_the_second_factor(centre_a):
    """`createsuperuser` leaves the default role: the admin must still ask for a code."""
    root = UserFactory(username="root2", role=Role.STAFF, is_staff=True, is_superuser=True)
    client = password_login(root)
    response = client.get("/admin/", follow=True)
    assert response.request["PATH_INFO"] == reverse("two_factor_setup")


def test_each_session_sets_up_its_own_key(mallory: User):
    """Whoever opened the set-up page with a stolen password holds no key the manager will
    later confirm."""
    thief, owner = password_login(mallory), password_login(mallory)
    stolen = shown_key(thief)
    assert shown_key(owner) != stolen
    assert shown_key(owner) == shown_key(owner)  # the same QR code within a session
    set_up(owner, mallory)  # confirms the owner's key
    assert TOTPDevice.objects.filter(user=mallory).count() == 1  # the thief's key is gone


def test_a_backup_code_is_accepted_in_capitals_and_spaced(mallory: User):
    codes = set_up(password_login(mallory), mallory)
    client = password_login(mallory)
    typed = " ".join([codes[2][:4].upper(), codes[2][4:].upper()])
    response = client.post(reverse("two_factor_verify"), {"code": typed, "next": "/"})
    assert response.status_code == 302


def test_the_page_asked_for_comes_back_whole_after_the_code(mallory: User):
    codes = set_up(password_login(mallory), mallory)
    client = password_login(mallory)
    asked = client.get("/cases/?status=open&page=2")
    assert asked.status_code == 302
    verify_url = asked["Location"]
    page = client.get(verify_url).content.decode()
    assert 'value="/cases/?status=open&amp;page=2"' in page
    done = client.post(verify_url, {"code": codes[3], "next": "/cases/?status=open&page=2"})
    assert done["Location"] == "/cases/?status=open&page=2"


def test_a_next_address_elsewhere_is_not_followed(mallory: User):
    codes = set_up(password_login(mallory), mallory)
    client = password_login(mallory)
    response = client.post(
        reverse("two_factor_verify"), {"code": codes[1], "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("home")


def test_counsellors_and_staff_sign_in_with_a_password(alice: User, bob: User):
    for user in (alice, bob):
        response = password_login(user).get(reverse("home"), follow=True)
        # Home, or for a counsellor their day: never the second-factor pages.
        assert response.status_code == 200
        assert response.request["PATH_INFO"] in (reverse("home"), reverse("dashboards:my_day"))


def test_an_administrator_needs_the_second_factor_for_the_admin_too(centre_a):
    root = UserFactory(username="root", role=Role.ADMIN, is_staff=True, is_superuser=True)
    client = password_login(root)
    assert client.get("/admin/").status_code == 302
    set_up(client, root)
    assert client.get("/admin/").status_code == 200


@pytest.fixture
def case_url(centre_a, alice) -> str:
    from tests.factories import make_case

    return reverse("cases:detail", args=[make_case(centre_a, alice).pk])
