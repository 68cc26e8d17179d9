"""The ibasho on the case page: the first visit ever as a milestone, how often and when last,
and the visits per Tokyo month over the last twelve months (a Chart.js bar chart drawn from a
json_script island, with the same numbers in a table). No panel for a case that never came;
one query, whatever the number of visits."""

import datetime as dt
import json
import re

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse

from cases import instruments
from cases import services as case_services
from outreach import services
from outreach.selectors.case_panel import ibasho_summary, month_starts
from tests.factories import client_for, make_case

pytestmark = pytest.mark.django_db

TOKYO = dt.timezone(dt.timedelta(hours=9))
NOW = dt.datetime(2026, 2, 15, 12, 0, tzinfo=TOKYO)


def tokyo(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TOKYO)


def _visit(case, by, arrived_at: dt.datetime):
    """A session around the arrival (no staff booked) and the person checked in."""
    session = services.session_create(
        centre=case.centre,
        by=by,
        fields={
            "place": "フリースペース",
            "starts_at": arrived_at - dt.timedelta(minutes=10),
            "ends_at": arrived_at + dt.timedelta(minutes=50),
        },
        staff=[],
    )
    return services.check_in_case(session=session, case=case, by=by, at=arrived_at)


@pytest.fixture
def person(centre_a, alice):
    with time_machine.travel(tokyo(2025, 1, 10, 10, 0)):
        return make_case(centre_a, alice, primary_counsellor=alice)


# Visits across a year boundary. 23:30 on New Year's Eve in Tokyo is still December (14:30
# UTC); half past midnight on New Year's Day is January, though it is 31 December in UTC.
VISITS = [
    tokyo(2025, 2, 20, 14, 0),  # the first ever: before the twelve months shown
    tokyo(2025, 3, 5, 14, 0),
    tokyo(2025, 12, 13, 14, 0),
    tokyo(2025, 12, 31, 23, 30),
    tokyo(2026, 1, 1, 0, 30),
    tokyo(2026, 1, 17, 14, 0),
    tokyo(2026, 2, 7, 14, 0),
]


@pytest.fixture
def visits(person, bob):
    with time_machine.travel(NOW, tick=False):
        return [_visit(person, bob, at) for at in VISITS]


def test_month_starts_cross_the_year_boundary():
    assert month_starts(dt.date(2026, 2, 15), 4) == [
        dt.date(2025, 11, 1),
        dt.date(2025, 12, 1),
        dt.date(2026, 1, 1),
        dt.date(2026, 2, 1),
    ]


def test_the_summary_counts_tokyo_months_over_the_last_twelve(person, visits):
    summary = ibasho_summary(person, today=NOW.date())
    assert summary is not None
    assert summary.first_visit_at == tokyo(2025, 2, 20, 14, 0)
    assert summary.last_visit_at == tokyo(2026, 2, 7, 14, 0)
    assert summary.visits == 7
    counted = {m.month: m.visits for m in summary.months}
    assert list(counted) == [dt.date(2025, m, 1) for m in range(3, 13)] + [
        dt.date(2026, 1, 1),
        dt.date(2026, 2, 1),
    ]
    assert counted == {
        dt.date(2025, 3, 1): 1,
        **{dt.date(2025, m, 1): 0 for m in range(4, 12)},
        dt.date(2025, 12, 1): 2,  # the 13th and New Year's Eve
        dt.date(2026, 1, 1): 2,  # half past midnight on New Year's Day and the 17th
        dt.date(2026, 2, 1): 1,
    }  # February 2025 is outside the twelve months: 6 of the 7 visits are shown


def test_the_case_page_shows_the_first_visit_as_a_milestone_and_the_month_trend(
    alice, person, visits
):
    with time_machine.travel(NOW, tick=False):
        response = client_for(alice).get(reverse("cases:detail", args=[person.pk]))
    body = response.content.decode()
    panel = body[body.index('data-testid="ibasho-panel"') :]
    assert "はじめて居場所に来た：2025年2月20日" in panel
    assert re.search(r'data-testid="ibasho-visits">\s*7回', panel)
    assert 'data-testid="ibasho-last-visit">2026年2月7日' in panel
    rows = dict(
        re.findall(
            r'data-testid="ibasho-month-(\d{4}-\d{2})">.*?<td class="text-end">(\d+)</td>', panel
        )
    )
    assert len(rows) == 12
    assert (rows["2025-03"], rows["2025-04"], rows["2025-12"]) == ("1", "0", "2")
    assert (rows["2026-01"], rows["2026-02"]) == ("2", "1")
    assert "2025-02" not in rows
    assert "2025年12月" in panel and "2026年1月" in panel
    island = re.search(
        r'<script id="ibasho-trend-data" type="application/json">(.*?)</script>', body
    )
    assert island is not None
    trend = json.loads(island.group(1))
    assert trend["labels"][0] == "2025年3月" and trend["labels"][-1] == "2026年2月"
    assert trend["datasets"][0]["values"] == [1, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 1]


def test_the_chart_is_drawn_by_a_static_script_and_chart_js_is_loaded_once(alice, person, visits):
    client = client_for(alice)
    url = reverse("cases:detail", args=[person.pk])
    body = client.get(url).content.decode()
    assert "js/bar-charts.js" in body
    # Strict CSP: every script is a file of our own or a data island, none inline.
    for attributes in re.findall(r"<script([^>]*)>", body):
        assert "src=" in attributes or 'type="application/json"' in attributes
    assert body.count("vendor/chartjs/chart.umd.min.js") == 1
    # The case page loads Chart.js for the assessment trend too: still once.
    case_services.assessment_record(
        case=person,
        by=alice,
        instrument=instruments.UCLA3_JP_GOV,
        answers=[2, 2, 2],
        assessed_on=dt.date(2026, 1, 10),
    )
    body = client.get(url).content.decode()
    assert 'id="trend-data"' in body and body.count("vendor/chartjs/chart.umd.min.js") == 1


def test_in_english_the_months_are_named_in_english(alice, person, visits):
    with time_machine.travel(NOW, tick=False):
        client = client_for(alice)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        body = client.get(reverse("cases:detail", args=[person.pk])).content.decode()
    panel = body[body.index('data-testid="ibasho-panel"') :]
    assert "February 2026" in panel and "December 2025" in panel


def test_no_panel_for_a_case_that_never_came(as_alice, person):
    response = as_alice.get(reverse("cases:detail", args=[person.pk]))
    assert response.status_code == 200
    assert [p["key"] for p in response.context["panels"] if p["key"] == "ibasho"] == []
    body = response.content.decode()
    assert 'data-testid="ibasho-panel"' not in body and "bar-charts.js" not in body


def test_visits_as_a_walk_in_linked_since_count_and_link_to_the_walk_in(
    alice, bob, person, centre_a
):
    import uuid

    from cases.choices import ConsentScope

    with time_machine.travel(NOW, tick=False):
        session = services.session_create(
            centre=centre_a,
            by=bob,
            fields={
                "place": "フリースペース",
                "starts_at": tokyo(2026, 2, 4, 14, 0),
                "ends_at": tokyo(2026, 2, 4, 16, 0),
            },
            staff=[],
        )
        walk_in = services.check_in_walk_in(
            session=session,
            by=bob,
            client_key=uuid.uuid4(),
            nickname="そら",
            at=tokyo(2026, 2, 4, 14, 5),
        ).walk_in
        consent = case_services.consent_record(
            case=person,
            by=alice,
            fields={
                "scope": ConsentScope.IBASHO_RECORD,
                "given_by": "本人",
                "given_on": NOW.date(),
            },
        )
        services.walk_in_link(walk_in=walk_in, case=person, consent=consent, by=alice)
        body = client_for(alice).get(reverse("cases:detail", args=[person.pk])).content.decode()
    assert "はじめて居場所に来た：2026年2月4日" in body
    assert reverse("outreach:walk_in_detail", args=[walk_in.pk]) in body


# The case page as counted in tests/cases/test_case_detail.py: session, user, the user's
# centres (ids and the menu's names), the case (its current plan, consents and sensitive
# information read in the same query), the INSERT of the view into the audit trail, the
# timeline (one query), the page header (the inbox badge) and the household panel (one): 8; and the ibasho panel: its visits
# aggregated by month, one query, also for a case that never came (the aggregate is what
# tells); and the home visits panel (one: tests/outreach/test_visit_panel.py counts it with
# many visits).
CASE_PAGE_QUERIES = 10


def test_case_page_query_count_is_the_same_with_1_and_40_visits(
    alice, bob, person, django_assert_num_queries
):
    first = tokyo(2025, 3, 1, 14, 0)
    with time_machine.travel(NOW, tick=False):
        _visit(person, bob, first)
        client = client_for(alice)
        url = reverse("cases:detail", args=[person.pk])
        with django_assert_num_queries(CASE_PAGE_QUERIES):
            client.get(url)
        for week in range(1, 40):
            _visit(person, bob, first + dt.timedelta(weeks=week))
        with django_assert_num_queries(CASE_PAGE_QUERIES):
            response = client.get(url)
    panel = next(p for p in response.context["panels"] if p["key"] == "ibasho")
    assert panel["ibasho"].visits == 40
