"""A shared centre PC: an idle session is signed out by the server after the centre's idle
time (the strictest of the user's centres), the page warns a minute before; the session
ends with the browser; the case search text goes with the session and is never taken from
a link."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse

from accounts import idle
from tests.factories import PASSWORD, CentreFactory, client_for, make_case

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 11, 26, 1, 0, tzinfo=dt.UTC)


@pytest.fixture
def enforced(settings):
    """The test settings leave the timeout off (tests travel in time with one client)."""
    settings.IDLE_TIMEOUT_ENFORCED = True


def at(minutes: float):
    return time_machine.travel(T0 + dt.timedelta(minutes=minutes), tick=False)


def signed_in(user) -> Client:
    with at(0):
        return client_for(user)


def test_a_session_idle_past_the_centre_s_time_is_signed_out(enforced, alice):
    client = signed_in(alice)
    with at(29):
        assert client.get(reverse("cases:list")).status_code == 200
    with at(29 + 31):
        response = client.get(reverse("cases:list"))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next=/cases/"
    with at(29 + 31):
        login_page = client.get(response["Location"]).content.decode()
    assert "しばらく操作がなかったため" in login_page
    with at(29 + 32):
        assert client.get(reverse("home")).status_code == 302  # for good


def test_requests_keep_it_alive(enforced, alice):
    client = signed_in(alice)
    for minutes in range(20, 200, 20):
        with at(minutes):
            assert client.get(reverse("cases:list")).status_code == 200


def test_the_strictest_of_the_user_s_centres_applies(enforced, alice, centre_a):
    strict = CentreFactory(idle_timeout_minutes=10)
    alice.centres.add(strict)
    client = signed_in(alice)
    with at(9):
        assert client.get(reverse("cases:list")).status_code == 200
    with at(9 + 12):
        assert client.get(reverse("cases:list")).status_code == 302


def test_an_htmx_request_of_an_idle_session_sends_the_whole_page_to_login(enforced, alice):
    client = signed_in(alice)
    with at(40):
        response = client.get(reverse("cases:list"), headers={"HX-Request": "true"})
    assert response.headers["HX-Redirect"] == reverse("login")


def test_the_page_carries_the_timeout_for_its_script(enforced, alice):
    client = signed_in(alice)
    with at(1):
        body = client.get(reverse("cases:list")).content.decode()
    assert 'data-idle-timeout="1800"' in body and 'data-idle-warning="60"' in body
    assert "/static/js/idle-timeout.js" in body
    assert "<script>" not in body  # no inline script: the CSP allows none


def test_asking_how_long_is_left_is_not_activity(enforced, alice):
    client = signed_in(alice)
    with at(10):
        assert client.get(reverse("session_status")).json()["remaining"] == 20 * 60 + 60
    with at(25):
        assert client.get(reverse("session_status")).json()["remaining"] == 5 * 60 + 60
    with at(32):
        assert client.get(reverse("session_status")).json()["remaining"] == 0
        assert client.get(reverse("cases:list")).status_code == 302


def test_typing_on_the_page_keeps_it_alive_from_the_last_key(enforced, alice):
    client = signed_in(alice)
    with at(29):  # the script's warning time: the last key was two minutes ago
        response = client.post(reverse("session_keepalive"), {"idle": "120"})
        assert response.status_code == 204
        assert client.get(reverse("session_status")).json()["remaining"] == 28 * 60 + 60
    with at(29 + 27):
        assert client.get(reverse("cases:list")).status_code == 200
        assert client.get(reverse("session_keepalive")).status_code == 405  # a POST only


def test_sessions_end_with_the_browser(alice, settings):
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    response = Client().post(reverse("login"), {"username": "alice", "password": PASSWORD})
    cookie = response.cookies[django_settings.SESSION_COOKIE_NAME]
    assert cookie["expires"] == "" and cookie["max-age"] == ""


def test_the_idle_time_is_a_centre_setting_of_30_minutes_by_default(centre_a, alice):
    assert centre_a.idle_timeout_minutes == 30
    assert idle.idle_timeout_seconds(alice) == 30 * 60


# --- nothing kept for the back button ---------------------------------------------------


def test_every_signed_in_response_is_no_store_and_private(as_alice, centre_a, alice):
    case = make_case(centre_a, alice)
    for url in (
        reverse("home"),
        reverse("cases:list"),
        reverse("cases:detail", args=[case.pk]),
        reverse("reminders:inbox"),
    ):
        response = as_alice.get(url, follow=True)
        cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
        assert {"no-store", "private"} <= cache_control, url
        assert "public" not in cache_control


# --- the search text ------------------------------------------------------------------------


def searched(client: Client, text: str) -> str:
    client.post(reverse("cases:list"), {"q": text})
    return client.get(reverse("cases:list")).context["filter"].form["q"].value()


def test_the_search_text_goes_with_the_session_at_sign_out(alice):
    client = Client()
    client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert searched(client, "やまだ") == "やまだ"
    client.post(reverse("logout"))
    client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert client.get(reverse("cases:list")).context["filter"].form["q"].value() == ""


def test_the_search_text_goes_with_an_idle_session(enforced, alice):
    client = signed_in(alice)
    with at(1):
        assert searched(client, "やまだ") == "やまだ"
    with at(40):
        client.get(reverse("cases:list"))  # signed out
        client.force_login(alice)
        assert client.get(reverse("cases:list")).context["filter"].form["q"].value() == ""


def test_a_q_in_a_link_is_not_taken_as_the_search(as_alice):
    """Someone could send a link that makes the list search for a name: only the POSTed
    form sets the text; the link's ?q= is dropped from the address and ignored."""
    assert searched(as_alice, "すずき") == "すずき"
    response = as_alice.get(reverse("cases:list"), {"q": "やまだ", "status": "open"})
    assert response.status_code == 302 and response["Location"] == "/cases/?status=open"
    kept = as_alice.get(response["Location"]).context["filter"].form["q"].value()
    assert kept == "すずき"


def test_expired_sessions_are_purged_daily_by_beat(settings):
    from accounts.tasks import purge_expired_sessions

    assert settings.CELERY_BEAT_SCHEDULE["purge-expired-sessions"]["task"] == (
        purge_expired_sessions.name
    )
