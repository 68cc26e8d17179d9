"""Another centre's ids inside an otherwise allowed request (issue 16): a user of centre A,
allowed to use the form, posts the id of centre B's family member, consent, session,
attendance, staff member or case into A's form, or puts B's object in a URL beside A's. Each
is refused, by a 404 or by an error on the field that carried the id, and nothing is
written: the row counts of every app's tables (and the rows the form would have changed) are
the same after."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.apps import apps
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.access_matrix import BY_NAME, POST
from accounts.models import Role
from tests.security.conftest import World

APPS = ("cases", "families", "outreach", "records", "reminders", "dashboards")


def snapshot(w: World) -> dict[str, Any]:
    """Every row count of the apps' tables, and the rows a mixed-up form would change."""
    a = w.sides["A"].objects
    counts: dict[str, Any] = {
        model._meta.label: model._base_manager.count()
        for label in APPS
        for model in apps.get_app_config(label).get_models()
    }
    case = type(a["case"])._base_manager.get(pk=a["case"].pk)
    walk_in = type(a["walk_in"])._base_manager.get(pk=a["walk_in"].pk)
    counts["case"] = (case.centre_id, case.primary_counsellor_id, case.co_counsellor_id)
    counts["visit staff"] = sorted(a["visit"].assignments.values_list("user_id", flat=True))
    counts["walk-in"] = (walk_in.case_id, getattr(walk_in, "consent_id", None))
    counts["activity staff"] = sorted(a["activity"].staff.values_list("pk", flat=True))
    return counts


def _a(w: World, kind: str) -> Any:
    return w.sides["A"].objects[kind]


def _b(w: World, kind: str) -> Any:
    return w.sides["B"].objects[kind]


def _b_user(w: World, role: str = Role.COUNSELLOR) -> int:
    return w.sides["B"].users[role].pk


def _a_user(w: World, role: str = Role.COUNSELLOR) -> int:
    return w.sides["A"].users[role].pk


def _soon() -> str:
    return (timezone.localtime() + timezone.timedelta(days=20)).strftime("%Y-%m-%dT10:00")


# Each: (what, A's role that may use the form, the URL, the data with B's id, the field
# whose error refuses it, or None when the answer is a 404).
Post = tuple[str, str, Callable[[World], str], Callable[[World], dict[str, Any]], str | None]
POSTS: list[Post] = [
    (
        "B's family member linked into A's household",
        Role.COUNSELLOR,
        lambda w: reverse("families:member_link", args=[_a(w, "case").pk]),
        lambda w: {"member": _b(w, "member").pk, "relation": "mother"},
        None,
    ),
    (
        "B's family member enrolled in A's programme",
        Role.COUNSELLOR,
        lambda w: reverse("families:programme_enrol", args=[_a(w, "programme").pk]),
        lambda w: {"member": _b(w, "member").pk},
        None,
    ),
    (
        "B's consent as the basis of A's referral",
        Role.COUNSELLOR,
        lambda w: reverse("cases:referral_add", args=[_a(w, "case").pk]),
        lambda w: {
            "destination_kind": "saposte",
            "destination_name": "サポステ",
            "referred_on": timezone.localdate().isoformat(),
            "consent": _b(w, "consent").pk,
        },
        "consent",
    ),
    (
        "B's consent for linking A's walk-in",
        Role.COUNSELLOR,
        lambda w: reverse("outreach:walk_in_link", args=[_a(w, "walk_in").pk]),
        lambda w: {"case": _a(w, "case").pk, "consent": _b(w, "consent").pk},
        None,
    ),
    (
        "B's case for A's walk-in",
        Role.COUNSELLOR,
        lambda w: reverse("outreach:walk_in_link", args=[_a(w, "walk_in").pk]),
        lambda w: {"case": _b(w, "case").pk, "consent": "new", "given_by": "本人"},
        None,
    ),
    (
        "B's case checked in at A's ibasho session",
        Role.STAFF,
        lambda w: reverse("outreach:checkin_case", args=[_a(w, "ibasho_session").pk]),
        lambda w: {"case": _b(w, "case").pk},
        None,
    ),
    (
        "B's walk-in checked in again at A's ibasho session",
        Role.STAFF,
        lambda w: reverse("outreach:checkin_walk_in", args=[_a(w, "ibasho_session").pk]),
        lambda w: {
            "walk_in": _b(w, "walk_in").pk,
            "client_key": "5f0c6d5e-0000-4000-8000-000000000001",
        },
        None,
    ),
    (
        "B's counsellor as a visitor of A's visit",
        Role.COUNSELLOR,
        lambda w: reverse("outreach:visit_edit", args=[_a(w, "visit").pk]),
        lambda w: {
            "version": _a(w, "visit").version,
            "starts_at": timezone.localtime(_a(w, "visit").starts_at).strftime("%Y-%m-%dT%H:%M"),
            "ends_at": timezone.localtime(_a(w, "visit").ends_at).strftime("%H:%M"),
            "purpose": "近況をうかがう",
            "staff": [_a_user(w), _b_user(w)],
        },
        "staff",
    ),
    (
        "B's counsellor as a visitor of a new visit to A's case",
        Role.COUNSELLOR,
        lambda w: reverse("outreach:visit_new", args=[_a(w, "case").pk]),
        lambda w: {
            "starts_at": _soon(),
            "ends_at": "11:00",
            "purpose": "近況をうかがう",
            "staff": [_a_user(w), _b_user(w)],
        },
        "staff",
    ),
    (
        "B's counsellor as the new counsellor of A's case",
        Role.MANAGER,
        lambda w: reverse("dashboards:case_reassign", args=[_a(w, "case").pk]),
        lambda w: {"to": _b_user(w), "reason": "異動"},
        "to",
    ),
    (
        "B's counsellor taking over A's caseload",
        Role.MANAGER,
        lambda w: reverse("dashboards:caseload_transfer"),
        lambda w: {
            "centre": _a(w, "centre").pk,
            "from_user": _a_user(w),
            "to_users": [_b_user(w)],
            "reason": "退職",
        },
        "to_users",
    ),
    (
        "A's caseload handed over inside B's centre",
        Role.MANAGER,
        lambda w: reverse("dashboards:caseload_transfer"),
        lambda w: {
            "centre": _b(w, "centre").pk,
            "from_user": _b_user(w),
            "to_users": [_a_user(w)],
            "reason": "退職",
        },
        None,
    ),
    (
        "B's case discussed at A's meeting",
        Role.COUNSELLOR,
        lambda w: reverse("outreach:community_case_add", args=[_a(w, "activity").pk]),
        lambda w: {"case_number": _b(w, "case").case_number},
        "case_number",
    ),
    (
        "B's case taken off A's meeting",
        Role.COUNSELLOR,
        lambda w: reverse(
            "outreach:community_case_remove", args=[_a(w, "activity").pk, _b(w, "case").pk]
        ),
        lambda w: {},
        None,
    ),
    (
        "B's staff member on A's community activity",
        Role.COUNSELLOR,
        lambda w: reverse("outreach:community_edit", args=[_a(w, "activity").pk]),
        lambda w: {"version": _a(w, "activity").version, "staff": [_b_user(w, Role.STAFF)]},
        "staff",
    ),
    (
        "B's staff member on a new ibasho session of A",
        Role.STAFF,
        lambda w: reverse("outreach:session_new"),
        lambda w: {"staff": [_b_user(w, Role.STAFF)]},
        "staff",
    ),
    (
        "B's counsellor facilitating a new programme of A",
        Role.COUNSELLOR,
        lambda w: reverse("families:programme_create"),
        lambda w: {"facilitators": [_b_user(w)]},
        "facilitators",
    ),
    (
        "A's export asked for B's centre",
        Role.MANAGER,
        lambda w: reverse("records:export"),
        lambda w: {"centre": _b(w, "centre").pk, "shape": "cases", "file_format": "csv"},
        None,
    ),
]


@pytest.mark.parametrize("what,role,url,data,field", POSTS, ids=[p[0] for p in POSTS])
def test_another_centres_id_in_an_allowed_form_is_refused_and_nothing_is_written(
    w: World, what: str, role: str, url: Any, data: Any, field: str | None
) -> None:
    before = snapshot(w)
    response = w.client("A", role).post(url(w), data(w))
    if field is None:
        assert response.status_code == 404, (what, response.status_code)
    else:
        assert response.status_code in (200, 400, 409), (what, response.status_code)
        form = next(
            form
            for form in (response.context.get(key) for key in ("form", "case_form"))
            if form is not None and field in form.fields
        )
        assert field in form.errors, (what, form.errors)
    assert snapshot(w) == before, what


def _mixed_routes() -> list[str]:
    """Every route whose URL names two objects: the first of A, the others of B."""
    return sorted(name for name, route in BY_NAME.items() if len(route.objects) > 1)


@pytest.mark.parametrize("name", _mixed_routes())
def test_a_url_mixing_a_record_of_a_with_one_of_b_is_a_404(w: World, name: str) -> None:
    """The parent is A's (the user's) and the child B's: the child is looked up inside the
    parent, so it is a 404 for every method, for a user allowed on the parent."""
    route = BY_NAME[name]
    first, *rest = route.objects
    kwargs = {first: w.sides["A"].objects[route.objects[first]].pk}
    kwargs |= {kwarg: w.sides["B"].objects[route.objects[kwarg]].pk for kwarg in rest}
    url = reverse(name, kwargs=kwargs)
    before = snapshot(w)
    for role in (Role.MANAGER, Role.COUNSELLOR):
        for method in route.methods:
            client = w.client("A", role)
            with transaction.atomic():
                response = client.post(url) if method == POST else client.get(url)
                transaction.set_rollback(True)
            allowed = route.action is None or role in _roles(route.action)
            # Refused for the role (403) or for the object (404): never a success.
            expected = {route.missing_child} if allowed else {route.missing_child, 403}
            assert response.status_code in expected, (
                f"{method} {name} as {role}@A, {rest} of B: {response.status_code}"
            )
    assert snapshot(w) == before


def _roles(action: str) -> frozenset[str]:
    from accounts.access import PERMISSIONS

    return PERMISSIONS[action]


def test_the_calendar_feed_with_a_wrong_token_is_a_404(w: World) -> None:
    good = _a(w, "feed_token")
    anonymous = w.client(None, None)
    assert anonymous.get(reverse("outreach:calendar_feed_ics", args=[good])).status_code == 200
    wrong = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")
    assert anonymous.get(reverse("outreach:calendar_feed_ics", args=[wrong])).status_code == 404
    signed_in = w.client("A", Role.COUNSELLOR)
    assert signed_in.get(reverse("outreach:calendar_feed_ics", args=[wrong])).status_code == 404
