"""Every response that shows a case's data is on its audit trail (issue 15): the test walks the
URLconf for every route that takes a case, GETs it as a user who may see it, and finds exactly
one view event about the case per 200 response and none for a refusal. A new route that takes
a case and is neither walked nor listed below as POST-only fails here, so none slips through."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from accounts.models import AuditAction, AuditEvent
from cases import selectors, services
from cases.views.helpers import case_viewed
from tests.factories import make_member

# A route takes a case when its path has the case's id after a "case…" segment
# (cases/<pk>/, families/cases/<pk>/, transfers/case/<pk>/, case-record/<pk>/) or a `case_pk`.
CASE_IN_PATH = re.compile(r"case[\w-]*/<int:pk>")

# Routes that take a case but answer only a POST (a GET is a 405): they change the case and
# are on its trail as what they change, never as a view.
POST_ONLY = {
    "cases:contact_add": "the quick-add; its htmx timeline is a view (tested below)",
    "cases:milestone_achieve": "one button on the case page",
    "cases:consent_withdraw": "one button on the case page",
    "cases:referral_send": "one button on the case page",
    "families:member_search": "a name search, POSTed so a name never travels in a URL",
    "families:member_link": "links a member found by the search",
    "families:member_unlink": "one button on the household panel",
    "outreach:community_case_remove": "one button on the activity's page",
    "cases:sensitive_share_revoke": "one button on the shares page",
}

# What the one event of a GET is, when it is not a VIEW of the case itself.
EXPECTED = {
    # 要配慮個人情報: its own action on the record seen ("saw the diagnosis").
    "cases:sensitive_edit": (AuditAction.VIEW_SENSITIVE, "cases.casesensitiveinfo"),
    # The case page's 要配慮個人情報 tab, loaded when opened: the same.
    "cases:sensitive_panel": (AuditAction.VIEW_SENSITIVE, "cases.casesensitiveinfo"),
    # A print is its own action (with the sections printed), not a view besides.
    "records:case_record_print": (AuditAction.PRINT, "cases.case"),
}
SEEING = [AuditAction.VIEW, AuditAction.VIEW_SENSITIVE, AuditAction.PRINT]


def _routes(resolver: URLResolver, prefix: str = "", ns: str = "") -> Iterator[tuple[str, str]]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{ns}:{entry.namespace}".strip(":") if entry.namespace else ns
            yield from _routes(entry, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{ns}:{entry.name}".strip(":"), prefix + str(entry.pattern)


def case_routes() -> dict[str, str]:
    """Every named route that takes a case: name → the kwarg holding the case's id."""
    found = {}
    for name, path in _routes(get_resolver()):
        if path.startswith("admin/"):
            continue
        if "<int:case_pk>" in path:
            found[name] = "case_pk"
        elif CASE_IN_PATH.search(path):
            found[name] = "pk"
    return found


def _seen(case_id: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(case_id=case_id, action__in=SEEING).order_by("id"))


@pytest.fixture
def setting(case, plan, referral, alice, mallory, centre_b):
    mallory.centres.add(centre_b)  # somewhere to move a case to
    member = make_member(case, alice)  # no health notes: the page is one view of the case
    return {
        "plan_id": plan.pk,
        "milestone_id": plan.milestones.first().pk,
        "consent_id": referral.consent_id,
        "referral_id": referral.pk,
        "member_id": member.pk,
        "centre_pk": centre_b.pk,
        "share_id": 1,  # only in a POST-only route's path
    }


def test_every_route_that_takes_a_case_is_walked_or_post_only():
    routes = case_routes()
    assert set(POST_ONLY) <= set(routes), "a POST-only entry names no route that takes a case"
    assert set(EXPECTED) <= set(routes)
    assert len(set(routes) - set(POST_ONLY)) >= 20  # the walk below really walks something


def test_every_get_of_a_case_writes_one_view_event(case, setting, as_alice, as_mallory):
    walked = []
    for name, kwarg in sorted(case_routes().items()):
        if name in POST_ONLY:
            continue
        others = {k: v for k, v in setting.items() if f"<int:{k}>" in _pattern_of(name)}
        url = reverse(name, kwargs={kwarg: case.pk, **others})
        before = AuditEvent.objects.filter(case_id=case.pk).count()
        response = as_alice.get(url)
        if response.status_code == 403:  # a manager's page: the refusal shows nothing
            assert _new_seen(case.pk, before) == [], name
            response = as_mallory.get(url)
        assert response.status_code == 200, (name, response.status_code)
        events = _new_seen(case.pk, before)
        action, model = EXPECTED.get(name, (AuditAction.VIEW, "cases.case"))
        assert [(e.action, e.model) for e in events] == [(action, model)], name
        walked.append(name)
    assert len(walked) >= 20, walked


def _pattern_of(name: str) -> str:
    return dict(_routes(get_resolver()))[name]


def _new_seen(case_id: int, before_count: int) -> list[AuditEvent]:
    """The seeing events written since the case had `before_count` events of any kind."""
    events = list(AuditEvent.objects.filter(case_id=case_id).order_by("id"))[before_count:]
    return [event for event in events if event.action in SEEING]


def test_post_only_routes_refuse_a_get_and_record_nothing(case, setting, as_alice):
    routes = case_routes()
    for name in POST_ONLY:
        kwargs = {routes[name]: case.pk}
        kwargs |= {k: v for k, v in setting.items() if f"<int:{k}>" in _pattern_of(name)}
        if "<int:pk>" in _pattern_of(name) and routes[name] == "case_pk":
            kwargs["pk"] = 1  # the activity's id: the GET is refused before it is looked up
        response = as_alice.get(reverse(name, kwargs=kwargs))
        assert response.status_code == 405, name
    assert _seen(case.pk) == []


def test_a_refused_get_records_no_view(case, as_alice, as_charlie):
    assert as_charlie.get(reverse("cases:detail", args=[case.pk])).status_code == 404
    assert as_alice.get(reverse("cases:audit", args=[case.pk])).status_code == 403
    assert _seen(case.pk) == []


def test_a_post_that_re_renders_a_form_records_no_view(case, as_alice):
    response = as_alice.post(reverse("cases:edit", args=[case.pk]), {"version": "x"})
    assert response.status_code == 200
    assert _seen(case.pk) == []


def test_the_timeline_after_a_quick_add_is_a_view(case, as_alice):
    response = as_alice.post(
        reverse("cases:contact_add", args=[case.pk]),
        {
            "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "duration_minutes": "15",
            "channel": "phone",
            "counterpart": "family",
            "two_way": "on",
            "note": "電話で近況を聞いた",
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert [(e.action, e.model) for e in _seen(case.pk)] == [(AuditAction.VIEW, "cases.case")]


def test_one_event_per_request_however_often_the_case_is_fetched(case, alice, rf):
    request = rf.get("/")
    request.user = alice
    case_viewed(request, case)
    case_viewed(request, case)
    case_viewed(request, case, action=AuditAction.VIEW_SENSITIVE)
    assert [e.action for e in _seen(case.pk)] == [AuditAction.VIEW, AuditAction.VIEW_SENSITIVE]
    assert {e.ip_address for e in _seen(case.pk)} == {"127.0.0.1"}


def test_a_sensitive_view_is_among_the_case_viewers(case, alice):
    services.case_view_record(case=case, by=alice, action=AuditAction.VIEW_SENSITIVE)
    assert [event.user for event in selectors.case_viewers(case)] == [alice]
