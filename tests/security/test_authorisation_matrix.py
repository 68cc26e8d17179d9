"""The authorisation matrix (issue 16): every URL of the project, walked from the URLconf, is
requested with real ids of centre A's and centre B's objects, with GET and POST, as an
anonymous visitor and as staff, counsellor, manager and administrator of each centre; each
answer is checked against the status `accounts.access_matrix` works out from
`accounts.access.can()` and the object's centre. A URL name without an entry fails."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode, urlparse

import pytest
from django.db import transaction
from django.http import HttpResponse
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.access_matrix import BY_NAME, GET, POST, Kind, Route, expected_status
from tests.security.conftest import CENTRES, ROLES, World

ADMIN_SITE = "admin"  # django.contrib.admin's URLs: one entry for the whole site
METHODS = (GET, POST)
# The kinds of object that belong to a centre (a notification belongs to its recipient, a
# feed token to its user: their entries say so with a predicate or as public).
CENTRE_OWNED_EXCEPT = {"notification", "feed_token"}


def _walk(resolver: URLResolver, prefix: str = "", ns: str = "") -> Iterator[tuple[str, str]]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{ns}:{entry.namespace}".strip(":") if entry.namespace else ns
            yield from _walk(entry, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            yield (
                (f"{ns}:{entry.name}".strip(":") if entry.name else ""),
                prefix + str(entry.pattern),
            )


def url_names() -> dict[str, str]:
    """Every URL of the URLconf by the name its entry has (the admin's collapsed into one)."""
    names = {}
    for name, pattern in _walk(get_resolver()):
        if pattern.startswith("admin/"):
            names[ADMIN_SITE] = "admin/"
            continue
        names[name or f"<unnamed {pattern}>"] = pattern
    return names


URL_NAMES = url_names()
USERS = [("anonymous", None, None)] + [
    (f"{role}@{side}", side, role) for side in CENTRES for role in ROLES
]


def test_every_url_of_the_urlconf_has_an_entry_in_the_matrix() -> None:
    missing = sorted(set(URL_NAMES) - set(BY_NAME))
    assert missing == [], f"URLs without an entry in accounts/access_matrix.py: {missing}"


def test_every_entry_of_the_matrix_is_a_url() -> None:
    stale = sorted(set(BY_NAME) - set(URL_NAMES))
    assert stale == [], f"entries of accounts/access_matrix.py for no URL: {stale}"


def test_the_matrix_covers_every_app() -> None:
    apps = {name.split(":")[0] for name in URL_NAMES if ":" in name}
    assert apps >= {"cases", "reminders", "families", "outreach", "records", "dashboards"}
    assert len(URL_NAMES) >= 130


def _request(world: World, route: Route, user: tuple[str, str | None, str | None], side: str):
    """Yield (method, objects, object centres, response) for each method on side's objects."""
    _label, user_side, role = user
    objects = world.sides[side].objects
    kwargs: dict[str, Any] = dict(route.fixed)
    for kwarg, kind in route.objects.items():
        value = objects[kind]
        kwargs[kwarg] = value if isinstance(value, str) else value.pk
    url = reverse("admin:index") if route.name == ADMIN_SITE else reverse(route.name, kwargs=kwargs)
    headers = {"HX-Request": "true"} if route.htmx else {}
    for method in METHODS:
        params = {}
        if method in route.params_in:
            params = {name: objects[kind].pk for name, kind in route.params.items()}
        if side != "A" and not route.objects and not params:
            continue  # this method names no object: the request is the one made for A's
        kinds = [*route.objects.values(), *(route.params[name] for name in params)]
        centres = {objects["centre"].pk for kind in kinds if kind not in CENTRE_OWNED_EXCEPT}
        client = world.client(user_side, role, **headers)
        with transaction.atomic():  # each request's writes are undone: the next sees the same
            if method == GET:
                response = client.get(f"{url}?{urlencode(params)}" if params else url)
            else:
                response = client.post(url, params)
            transaction.set_rollback(True)
        yield method, objects, centres, response


def _to_login(response: HttpResponse, *, anonymous: bool) -> bool:
    """Sent to sign in: the project's login page (or the admin site's own, for its pages)."""
    path = urlparse(response.get("Location", "")).path
    return path in ({reverse("login"), reverse("admin:login")} if anonymous else {reverse("login")})


@pytest.mark.parametrize("user", USERS, ids=[label for label, _side, _role in USERS])
@pytest.mark.parametrize("name", sorted(BY_NAME))
def test_each_url_answers_each_user_as_the_matrix_says(w: World, name: str, user: Any) -> None:
    route = BY_NAME[name]
    label, user_side, role = user
    person = w.sides[user_side].users[role] if user_side and role else None
    # Users of A get A's objects (their own) and B's (another centre's); users of B get A's,
    # another centre's to them: B's own objects would repeat what A's users showed, at a
    # quarter of the run's time. An anonymous visitor gets A's.
    sides = ("A", "B") if route.objects or route.params else ("A",)
    if user_side != "A":
        sides = ("A",)
    failures = []
    for side in sides:
        for method, objects, centres, response in _request(w, route, user, side):
            by_kind = {kind: objects[kind] for kind in route.objects.values()}
            expected = expected_status(
                route, person, method, object_centres=centres, objects=by_kind
            )
            where = f"{method} {name} as {label}, objects of centre {side}"
            also = route.also_ok if expected == route.ok.get(method) else frozenset()
            if response.status_code != expected and response.status_code not in also:
                failures.append(f"{where}: expected {expected}, got {response.status_code}")
            elif (
                expected == 302
                and route.kind is not Kind.PUBLIC
                and name != "logout"  # signing out ends at the login page: its success
                and (person is None) != _to_login(response, anonymous=person is None)
            ):
                failures.append(f"{where}: redirected to {response.get('Location')}")
    assert failures == [], "\n".join(failures)
