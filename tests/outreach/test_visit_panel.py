"""Home visits on the case page: the upcoming visits (soonest first) and the latest ended ones,
each with its status badge, and the button to plan one for those who may; one query, however
many visits the case has."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from cases import services as case_services
from cases.choices import CaseStatus, ClosureReason
from outreach import services
from outreach.models import HomeVisit, VisitOutcome, VisitStatus
from outreach.selectors.visits import PANEL_RECENT, PANEL_UPCOMING, case_visits
from tests.factories import UserFactory, make_case, make_visit

pytestmark = pytest.mark.django_db

TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")
NOW = dt.datetime(2026, 11, 30, 9, 0, tzinfo=TOKYO)


@pytest.fixture(autouse=True)
def on_monday():
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def case(centre_a, alice):
    return make_case(centre_a, alice, primary_counsellor=alice)


@pytest.fixture
def dora(centre_a):
    return UserFactory(role=Role.COUNSELLOR, centre=centre_a)


def panel(response) -> str:  # type: ignore[no-untyped-def]
    body = response.content.decode()
    found = re.search(r'<section id="visits-panel".*?</section>', body, re.S)
    assert found, "the visits panel is on the case page"
    return found.group(0)


def _ended(case, by, n, *, status=VisitStatus.DONE):  # type: ignore[no-untyped-def]
    """n visits in the past weeks, written in one go (the panel only reads them)."""
    now = timezone.now()
    HomeVisit.objects.bulk_create(
        HomeVisit(
            centre=case.centre,
            case=case,
            starts_at=now - dt.timedelta(days=7 * week),
            ends_at=now - dt.timedelta(days=7 * week) + dt.timedelta(hours=1),
            purpose="近況をうかがう",
            status=status,
            outcome=VisitOutcome.MET_FAMILY if status == VisitStatus.DONE else "",
            status_reason="" if status == VisitStatus.DONE else "体調不良",
            created_by=by,
        )
        for week in range(1, n + 1)
    )


def test_the_panel_invites_a_first_visit_with_the_button_for_casework(as_alice, as_bob, case):
    alice_panel = panel(as_alice.get(reverse("cases:detail", args=[case.pk])))
    assert "訪問の記録はまだありません" in alice_panel
    assert reverse("outreach:visit_new", args=[case.pk]) in alice_panel
    bob_panel = panel(as_bob.get(reverse("cases:detail", args=[case.pk])))
    assert 'data-testid="visit-plan-button"' not in bob_panel  # staff don't plan visits


def test_the_panel_shows_upcoming_and_recent_visits_with_their_status(
    as_alice, as_mallory, alice, dora, case
):
    soon = make_visit(case, alice, staff=[alice, dora], days_ahead=8, status="confirmed")
    later = make_visit(case, alice, staff=[alice, dora], days_ahead=20)
    _ended(case, alice, 1)
    called_off = make_visit(case, alice, staff=[alice, dora], days_ahead=30)
    services.visit_call_off(visit=called_off, by=alice, status="cancelled", reason="入院")
    body = panel(as_alice.get(reverse("cases:detail", args=[case.pk])))
    upcoming = re.search(r'data-testid="visits-upcoming">(.*?)</ul>', body, re.S)
    recent = re.search(r'data-testid="visits-recent">(.*?)</ul>', body, re.S)
    assert upcoming and recent
    assert upcoming.group(1).index(f"/visits/{soon.pk}/") < upcoming.group(1).index(
        f"/visits/{later.pk}/"
    )
    assert f'data-testid="visit-status-{soon.pk}">確定<' in upcoming.group(1)
    assert f'data-testid="visit-status-{later.pk}">計画中（未予告）<' in upcoming.group(1)
    assert f'data-testid="visit-status-{called_off.pk}">中止<' in recent.group(1)
    assert "家族のみと会えた" in recent.group(1)
    # The manager sees it too, with the button.
    assert 'data-testid="visit-plan-button"' in panel(
        as_mallory.get(reverse("cases:detail", args=[case.pk]))
    )


def test_no_plan_button_on_a_closed_case(as_alice, alice, case):
    case_services.case_change_status(
        case=case, by=alice, to_status=CaseStatus.CLOSED, closure_reason=ClosureReason.MOVED
    )
    body = panel(as_alice.get(reverse("cases:detail", args=[case.pk])))
    assert 'data-testid="visit-plan-button"' not in body


def test_another_centre_s_case_page_and_its_panel_are_a_404(as_charlie, case):
    assert as_charlie.get(reverse("cases:detail", args=[case.pk])).status_code == 404


def test_the_panel_keeps_to_a_few_of_each(alice, dora, case):
    for days in range(8, 8 + PANEL_UPCOMING + 2):
        make_visit(case, alice, staff=[alice, dora], days_ahead=days)
    _ended(case, alice, PANEL_RECENT + 3)
    visits = case_visits(case)
    assert len(visits.upcoming) == PANEL_UPCOMING and len(visits.recent) == PANEL_RECENT
    assert visits.upcoming == sorted(visits.upcoming, key=lambda v: v.starts_at)
    assert visits.recent == sorted(visits.recent, key=lambda v: v.starts_at, reverse=True)
    assert visits.recent[0].starts_at > visits.recent[-1].starts_at


# The case page as counted in tests/cases/test_case_detail.py (the support plan and its
# milestones are read in the case's query, with or without one): the home visits panel is one
# query of it.
CASE_PAGE_QUERIES = 10


def test_the_panel_is_one_query_however_many_visits(
    as_alice, alice, dora, case, django_assert_num_queries
):
    make_visit(case, alice, staff=[alice, dora], days_ahead=8)
    _ended(case, alice, 1)
    page = reverse("cases:detail", args=[case.pk])
    with django_assert_num_queries(CASE_PAGE_QUERIES):
        as_alice.get(page)
    for days in range(9, 20):
        make_visit(case, alice, staff=[alice, dora], days_ahead=days)
    _ended(case, alice, 10, status=VisitStatus.CANCELLED)
    with django_assert_num_queries(CASE_PAGE_QUERIES):
        response = as_alice.get(page)
    shown = next(p for p in response.context["panels"] if p["key"] == "visits")["home_visits"]
    assert len(shown.upcoming) == PANEL_UPCOMING and len(shown.recent) == PANEL_RECENT
