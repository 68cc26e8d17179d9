import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Role
from tests.factories import PASSWORD, UserFactory, verify_second_factor

pytestmark = pytest.mark.django_db


def login(client: Client, username: str, password: str, language: str = "ja"):
    client.cookies["django_language"] = language
    return client.post(reverse("login"), {"username": username, "password": password}, follow=True)


@pytest.mark.parametrize(
    ("language", "home_text", "logout_text"),
    [("ja", "ログアウト", "ログイン"), ("en", "Log out", "Log in")],
)
def test_login_and_logout_in_both_languages(alice, language, home_text, logout_text):
    client = Client()
    response = login(client, "alice", PASSWORD, language)
    # Home, which sends a counsellor on to their day.
    assert [url for url, _status in response.redirect_chain][-2:] == [
        reverse("home"),
        reverse("dashboards:my_day"),
    ]
    assert response.context["user"] == alice
    assert home_text in response.content.decode()

    response = client.post(reverse("logout"), follow=True)
    assert not response.context["user"].is_authenticated
    assert logout_text in response.content.decode()


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("ja", "正しいユーザー名とパスワードを入力してください"),
        ("en", "Please enter a correct username and password"),
    ],
)
def test_wrong_password_shows_a_clear_message_and_keeps_the_username(alice, language, message):
    response = login(Client(), "alice", "wrong", language)
    body = response.content.decode()
    assert response.status_code == 200
    assert message in body
    assert 'value="alice"' in body


@pytest.mark.parametrize(
    ("role", "expected_link"),
    [
        (Role.STAFF, "cases:intake"),
        (Role.COUNSELLOR, "cases:list"),
        (Role.MANAGER, "reminders:escalations"),
    ],
)
def test_each_role_lands_on_its_home_page_with_its_links(centre_a, role, expected_link):
    user = UserFactory(role=role, centre=centre_a)
    client = Client()
    response = login(client, user.username, PASSWORD)
    if role == Role.MANAGER:  # a second factor first (tests/accounts/test_two_factor.py)
        assert response.redirect_chain[-1][0].startswith(reverse("two_factor_setup"))
        verify_second_factor(client, user)
        response = client.get(reverse("home"), follow=True)
    body = response.content.decode()
    # A counsellor's home is their day (dashboards:my_day); the other roles keep theirs.
    landing = "dashboards:my_day" if role == Role.COUNSELLOR else "home"
    assert response.request["PATH_INFO"] == reverse(landing)
    assert centre_a.name in body
    assert str(Role(role).label) in body
    assert reverse(expected_link) in body


def test_staff_home_has_no_manager_links(bob):
    response = login(Client(), "bob", PASSWORD)
    assert reverse("reminders:escalations") not in response.content.decode()


def test_language_switch_changes_the_interface(as_alice):
    response = as_alice.post(reverse("set_language"), {"language": "en", "next": "/"}, follow=True)
    assert "Log out" in response.content.decode()
    response = as_alice.post(reverse("set_language"), {"language": "ja", "next": "/"}, follow=True)
    assert "ログアウト" in response.content.decode()


def test_language_can_be_switched_on_the_login_page_before_signing_in(client):
    login_page = reverse("login")
    response = client.post(
        reverse("set_language"), {"language": "en", "next": login_page}, follow=True
    )
    assert response.redirect_chain == [(login_page, 302)]
    assert "Log in" in response.content.decode()


def test_password_change_page_is_available(as_alice):
    assert as_alice.get(reverse("password_change")).status_code == 200


def test_password_reset_sends_a_mail_without_personal_details(alice, mailoutbox):
    Client().post(reverse("password_reset"), {"email": alice.email})
    assert len(mailoutbox) == 1
    assert "/accounts/reset/" in mailoutbox[0].body


def test_interface_is_japanese_even_when_the_browser_asks_for_english():
    body = Client().get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "ログイン" in body


def test_user_can_turn_off_the_weekly_digest_and_choose_notification_language(as_alice, alice):
    response = as_alice.post(
        reverse("preferences"),
        {"display_name": "佐藤", "email": "attacker@example.com", "language": "en"},
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.weekly_digest is False and alice.language == "en"
    assert alice.email == "alice@example.jp"


def test_preferences_with_a_bad_value_keep_the_input(as_alice):
    response = as_alice.post(
        reverse("preferences"),
        {
            "display_name": "新しい表示名",
            "language": "xx",
            "weekly_digest": "on",
        },
    )
    assert response.status_code == 200
    assert "新しい表示名" in response.content.decode()


@pytest.mark.parametrize(
    ("language", "not_found", "forbidden"),
    [
        ("ja", "ページが見つかりません", "この操作はできません"),
        ("en", "Page not found", "You cannot do this"),
    ],
)
def test_error_pages_in_both_languages(as_bob, language, not_found, forbidden):
    as_bob.cookies["django_language"] = language
    response = as_bob.get("/cases/999999/")
    assert response.status_code == 404 and not_found in response.content.decode()
    response = as_bob.get(reverse("reminders:escalations"))
    assert response.status_code == 403 and forbidden in response.content.decode()


def test_server_error_page_is_bilingual():
    from pathlib import Path

    page = (Path(__file__).resolve().parents[2] / "templates" / "500.html").read_text()
    assert "エラーが発生しました" in page and "something went wrong" in page


def test_language_switch_names_each_language_in_itself(as_alice):
    body = as_alice.get(reverse("home"), follow=True).content.decode()
    assert 'data-testid="lang-en">English<' in body
    as_alice.cookies["django_language"] = "en"
    body = as_alice.get(reverse("home"), follow=True).content.decode()
    assert 'data-testid="lang-ja">日本語<' in body
