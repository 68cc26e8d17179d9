import pytest
from django.http import Http404
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from accounts import access
from accounts.models import Centre

pytestmark = pytest.mark.django_db


def test_alice_fetches_her_centres_object_and_charlie_gets_404(alice, charlie, centre_a):
    qs = Centre.objects.all()
    assert access.get_for_user(qs, alice, centre_a.pk, centre_field="id") == centre_a
    with pytest.raises(Http404):
        access.get_for_user(qs, charlie, centre_a.pk, centre_field="id")


def test_garbage_primary_key_is_a_404_not_a_500(alice):
    with pytest.raises(Http404):
        access.get_for_user(Centre.objects.all(), alice, "not-a-number", centre_field="id")


def test_admin_role_sees_every_centre(centre_a, centre_b):
    from accounts.models import Role
    from tests.factories import UserFactory

    admin = UserFactory(role=Role.ADMIN)
    assert set(access.centre_ids(admin)) == {centre_a.pk, centre_b.pk}


def test_role_permissions(alice, bob, mallory):
    assert access.can(alice, "case.edit")
    assert not access.can(bob, "case.edit")
    assert access.can(bob, "contact.add")
    assert access.can(mallory, "audit.view")
    assert not access.can(alice, "audit.view")


PUBLIC_PREFIXES = (
    "/accounts/login",
    "/accounts/password_reset",
    "/accounts/reset",
    "/healthz",
    "/i18n/",
    "/static/",
    # A user's private iCalendar feed: calendar apps can't sign in, the token is the key (a
    # wrong one is a 404; tests/outreach/test_calendar_feed.py).
    "/outreach/calendar/feed/1.ics",
)


def _all_paths(resolver: URLResolver, prefix: str = "") -> list[str]:
    paths = []
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            paths += _all_paths(pattern, route)
        elif isinstance(pattern, URLPattern):
            # Fill every converter with a plausible value: we only care about the redirect.
            import re

            concrete = re.sub(r"<(?:int:)?[^>]+>", "1", route)
            paths.append("/" + concrete.lstrip("^").rstrip("$"))
    return paths


def test_anonymous_users_are_redirected_to_login_from_every_page():
    client = Client()
    checked = 0
    for path in _all_paths(get_resolver()):
        if path.startswith(PUBLIC_PREFIXES) or path.startswith("/admin"):
            continue
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/accounts/login/"), path
        checked += 1
    assert checked >= 1
