"""The managers' dashboard: every number right on a small data set counted by hand, every
number's link leading to a list of exactly that many rows, centre-scoped, and a constant
number of queries whatever the data size."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from accounts.models import Centre, Role, User
from cases import services as case_services
from cases.models import Case, SupportPlan
from dashboards.selectors import manager as selectors
from dashboards.views.manager import CaseListLinks, case_list_url
from families import selectors as family_selectors
from families.models import (
    AttendanceStatus,
    ContingencyPlan,
    FamilyMember,
    FamilyProgramme,
    ProgrammeAttendance,
    ProgrammeSession,
)
from outreach.models import HomeVisit, IbashoAttendance, IbashoSession, WalkIn
from outreach.selectors import visits as visit_selectors
from reminders.models import Notification
from tests.factories import UserFactory, client_for, make_case, make_visit, record_contact

TOKYO = ZoneInfo("Asia/Tokyo")
# A Monday in June: the trend window runs from July 2025 to June 2026, the coming seven
# days from Monday 15 to Sunday 21 June (two calendar weeks, Sunday first).
NOW = dt.datetime(2026, 6, 15, 9, 0, tzinfo=TOKYO)
URL = "/dashboards/centre/"
MAX_QUERIES = 12

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_day():
    with time_machine.travel(NOW):  # ticking: created_at still orders the plans
        yield


def at(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=TOKYO)


def set_case(case: Case, **fields: object) -> None:
    """Test data straight into the row: stages the sweep would set, statuses, risk flags."""
    Case.objects.filter(pk=case.pk).update(**fields)


def plan(case: Case, by: User, review_on: dt.date) -> SupportPlan:
    return case_services.plan_save(
        case=case, by=by, fields={"goals": "外出", "review_on": review_on}
    )


def move_visit(visit: HomeVisit, days_ahead: int, **fields: object) -> None:
    starts = at(2026, 6, 15, 13) + dt.timedelta(days=days_ahead)
    HomeVisit.objects.filter(pk=visit.pk).update(
        starts_at=starts, ends_at=starts + dt.timedelta(hours=1), **fields
    )


def ibasho_session(centre: Centre, by: User, starts: dt.datetime) -> IbashoSession:
    return IbashoSession.objects.create(
        centre=centre,
        place="居場所",
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=2),
        created_by=by,
    )


def attend_ibasho(session: IbashoSession, by: User, *, case=None, walk_in=None) -> None:  # type: ignore[no-untyped-def]
    IbashoAttendance.objects.create(
        session=session, case=case, walk_in=walk_in, arrived_at=session.starts_at, created_by=by
    )


def family_session(centre: Centre, by: User, starts: dt.datetime) -> ProgrammeSession:
    programme = FamilyProgramme.objects.create(
        centre=centre,
        kind="multi_family",
        title="家族教室",
        starts_on=starts.date() - dt.timedelta(days=30),
        ends_on=starts.date() + dt.timedelta(days=30),
        created_by=by,
    )
    return ProgrammeSession.objects.create(
        programme=programme, starts_at=starts, ends_at=starts + dt.timedelta(hours=2)
    )


def family_member(centre: Centre, by: User) -> FamilyMember:
    return FamilyMember.objects.create(centre=centre, family_name="山田", created_by=by)


def failed_notification(centre: Centre, recipient: User, key: str, *, failed: bool = True) -> None:
    Notification.objects.create(
        recipient=recipient,
        centre=centre,
        channel="email",
        kind="silence_reminder",
        dedupe_key=key,
        failed_at=timezone.now() if failed else None,
    )


@pytest.fixture
def data(centre_a, centre_b, alice, mallory, charlie):  # type: ignore[no-untyped-def]
    """Centre A, counted by hand in the tests below (today: Monday 15 June 2026, Tokyo):

    case  counsellor  stage       severity  status  silence    other
    c1    alice       family      mild      open    reminded   plan overdue; opened 1 June
    c2    alice       individual  severe    open    escalated  old plan overdue, current not;
                                                               opened 31 May
    c3    mallory     family      —         open    ok         opened 1 July 2025
    c4    (none)      group       moderate  open    ok         opened 30 June 2025 (outside)
    c5    alice       family      mild      paused  reminded   80/50, no contingency plan
    c6    alice       family      mild      open    ok         80/50 with a contingency plan
    c7    alice       family      mild      closed  escalated  80/50, plan overdue
    c5, c6, c7 opened 10 June.
    """
    today = NOW.date()
    c1 = make_case(
        centre_a,
        alice,
        primary_counsellor=alice,
        first_contact_date=dt.date(2026, 6, 1),
        severity="mild",
    )
    c2 = make_case(
        centre_a,
        alice,
        primary_counsellor=alice,
        first_contact_date=dt.date(2026, 5, 31),
        severity="severe",
        support_stage="individual",
    )
    c3 = make_case(
        centre_a, mallory, primary_counsellor=mallory, first_contact_date=dt.date(2025, 7, 1)
    )
    c4 = make_case(
        centre_a,
        mallory,
        first_contact_date=dt.date(2025, 6, 30),
        severity="moderate",
        support_stage="group",
    )
    c5, c6, c7 = (
        make_case(
            centre_a,
            alice,
            primary_counsellor=alice,
            first_contact_date=dt.date(2026, 6, 10),
            severity="mild",
        )
        for _ in range(3)
    )
    # Contacts: 23:30 on 31 May and 00:10 on 1 June (Tokyo) fall in May and June.
    record_contact(c1, alice, at=at(2026, 5, 31, 23, 30))
    record_contact(c1, alice, at=at(2026, 6, 1, 0, 10))
    record_contact(c2, alice, at=at(2026, 6, 10))
    plan(c1, alice, today - dt.timedelta(days=1))
    plan(c2, alice, dt.date(2026, 1, 1))
    plan(c2, alice, today + dt.timedelta(days=14))  # the current one
    plan(c7, alice, today - dt.timedelta(days=30))
    set_case(c1, silence_stage="reminded")
    set_case(c2, silence_stage="escalated")
    set_case(
        c5,
        status="paused",
        paused_until=today + dt.timedelta(days=20),
        silence_stage="reminded",
        risk_8050=True,
    )
    set_case(c6, risk_8050=True)
    set_case(
        c7,
        status="closed",
        closure_reason="goal_reached",
        silence_stage="escalated",
        risk_8050=True,
    )
    ContingencyPlan.objects.create(case=c6, who_to_call="叔父", updated_by=alice)

    # The ibasho: c1 and a walk-in in June, c3 in April.
    june = ibasho_session(centre_a, alice, at(2026, 6, 5, 14))
    attend_ibasho(june, alice, case=c1)
    attend_ibasho(june, alice, walk_in=WalkIn.objects.create(centre=centre_a, nickname="そら"))
    attend_ibasho(ibasho_session(centre_a, alice, at(2026, 4, 10, 14)), alice, case=c3)
    # A family class on 8 June: one attended, one absent.
    fc = family_session(centre_a, alice, at(2026, 6, 8, 18))
    for status in (AttendanceStatus.ATTENDED, AttendanceStatus.ABSENT):
        ProgrammeAttendance.objects.create(
            session=fc, member=family_member(centre_a, alice), status=status, recorded_by=alice
        )

    # Visits: v1 planned in 2 days (not announced, not briefed), v2 confirmed and briefed in
    # 3 days, v3 confirmed not briefed on the last day, v4 a day too late, v5 under way with
    # its check-out alerted, v6 cancelled.
    v1 = make_visit(c3, mallory, days_ahead=14)
    v2 = make_visit(c4, mallory, status="briefed", days_ahead=15)
    v3 = make_visit(c3, mallory, status="confirmed", days_ahead=16)
    v4 = make_visit(c4, mallory, days_ahead=17)
    v5 = make_visit(c1, alice, status="briefed", days_ahead=18)
    v6 = make_visit(c4, mallory, days_ahead=19)
    move_visit(v1, 2)
    move_visit(v2, 3)
    move_visit(v3, 6)
    move_visit(v4, 7)
    move_visit(
        v5,
        -1,
        status="in_progress",
        checked_in_at=at(2026, 6, 14, 13),
        checkout_alerted_at=at(2026, 6, 14, 17),
    )
    move_visit(v6, 1, status="cancelled", status_reason="体調不良")

    failed_notification(centre_a, alice, "a1")
    failed_notification(centre_a, mallory, "a2")
    failed_notification(centre_a, mallory, "a3", failed=False)

    # Centre B: something of every kind, none of it ever in centre A's numbers.
    b1 = make_case(
        centre_b, charlie, primary_counsellor=charlie, first_contact_date=dt.date(2026, 6, 2)
    )
    b2 = make_case(
        centre_b, charlie, primary_counsellor=charlie, first_contact_date=dt.date(2026, 6, 3)
    )
    record_contact(b1, charlie, at=at(2026, 6, 3))
    plan(b1, charlie, today - dt.timedelta(days=3))
    set_case(b1, silence_stage="reminded", risk_8050=True)
    set_case(b2, silence_stage="escalated")
    attend_ibasho(ibasho_session(centre_b, charlie, at(2026, 6, 6, 14)), charlie, case=b1)
    fb = family_session(centre_b, charlie, at(2026, 6, 9, 18))
    ProgrammeAttendance.objects.create(
        session=fb,
        member=family_member(centre_b, charlie),
        status=AttendanceStatus.ATTENDED,
        recorded_by=charlie,
    )
    vb = make_visit(b2, charlie)
    move_visit(vb, 1)
    vb2 = make_visit(b2, charlie, status="briefed", days_ahead=15)
    move_visit(
        vb2,
        -1,
        status="in_progress",
        checked_in_at=at(2026, 6, 14, 13),
        checkout_alerted_at=at(2026, 6, 14, 17),
    )
    failed_notification(centre_b, charlie, "b1")
    return {"cases": [c1, c2, c3, c4, c5, c6, c7], "b": [b1, b2]}


def number(response, testid: str) -> int:  # type: ignore[no-untyped-def]
    match = re.search(
        rf'<a [^>]*data-count="(\d+)"[^>]*data-testid="{testid}"', response.content.decode()
    )
    assert match, testid
    return int(match.group(1))


class Links(HTMLParser):
    """Every number on the page that is a link: (href, count, which visit rows it counts)."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, int, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "a" and values.get("data-count") is not None:
            self.links.append(
                (values["href"] or "", int(values["data-count"] or 0), values.get("data-rows"))
            )


def links_on(response) -> list[tuple[str, int, str | None]]:  # type: ignore[no-untyped-def]
    parser = Links()
    parser.feed(response.content.decode())
    return parser.links


def rows_behind(client: Client, page, href: str, rows: str | None) -> int:  # type: ignore[no-untyped-def]
    """How many rows the list a number links to holds."""
    if href.startswith("#"):  # the coming week's visits, listed on the dashboard itself
        html = page.content.decode()
        marker = {
            "visit": 'data-row="visit"',
            "unannounced": "data-unannounced",
            "unbriefed": "data-unbriefed",
        }[rows]  # type: ignore[index]
        return len(re.findall(rf"<tr [^>]*{marker}", html))
    response = client.get(href, follow=True)
    assert response.status_code == 200, href
    path = response.request["PATH_INFO"]
    if path == reverse("cases:list"):
        total = response.context["page"].paginator.count
        shown = len(re.findall(r'<td><a href="/cases/\d+/">', response.content.decode()))
        assert shown == min(total, 25), href  # the rows on the page agree with the total
        return total
    if path == reverse("outreach:visit_safety"):
        return len(response.context["alerted"])
    if path == reverse("reminders:escalations"):
        return len(response.context["failed"])
    raise AssertionError(f"no row count for {href}")


# --- the numbers, counted by hand -----------------------------------------------------------


def test_attention_numbers_are_right(as_mallory, data):
    response = as_mallory.get(URL)
    assert response.status_code == 200
    assert number(response, "n-open") == 5  # c1 c2 c3 c4 c6
    assert number(response, "n-silent") == 2  # c1 reminded, c2 escalated (c5 paused, c7 closed)
    assert number(response, "n-reminded") == 1
    assert number(response, "n-escalated") == 1
    assert number(response, "n-plan-overdue") == 1  # c1 (c2's overdue plan is superseded)
    assert number(response, "n-8050") == 2  # c5 paused, c6 open (c7 closed)
    assert number(response, "n-missing-contingency") == 1  # c5
    assert number(response, "n-upcoming-visits") == 3  # v1 v2 v3
    assert number(response, "n-unannounced") == 1  # v1
    assert number(response, "n-unbriefed") == 2  # v1 v3
    assert number(response, "n-missing-checkouts") == 1  # v5
    assert number(response, "n-failed-notifications") == 2


def test_8050_numbers_agree_with_the_8050_list(as_mallory, mallory, data):
    """The dashboard counts 80/50 households in its own GROUP BY: pinned to the families
    app's definition (families.selectors.cases_8050 and missing_contingency_count)."""
    counts = as_mallory.get(URL).context["counts"]
    assert counts.households_8050 == family_selectors.cases_8050(mallory).count()
    assert counts.missing_contingency == family_selectors.missing_contingency_count(mallory)


def test_missing_checkouts_agree_with_the_safety_banner(as_mallory, mallory, data):
    """The dashboard counts them in its UNION and hands the banner the same number (one query
    less): pinned to the banner's own count."""
    response = as_mallory.get(URL)
    assert number(response, "n-missing-checkouts") == visit_selectors.checkout_alerted_count(
        mallory
    )
    assert 'data-testid="visit-safety-banner"' in response.content.decode()


def test_caseload_by_counsellor_stage_and_severity(as_mallory, alice, mallory, data):
    counts = as_mallory.get(URL).context["counts"]
    rows = {row.counsellor_id: row for row in counts.rows}
    assert set(rows) == {alice.pk, mallory.pk, None}
    assert rows[alice.pk].by_stage == {"family": 2, "individual": 1}  # c1 c6, c2
    assert rows[alice.pk].by_severity == {"mild": 2, "severe": 1}
    assert rows[alice.pk].total == 3 and rows[alice.pk].silent == 2
    assert rows[mallory.pk].by_stage == {"family": 1} and rows[mallory.pk].by_severity == {"": 1}
    assert rows[None].by_stage == {"group": 1} and rows[None].by_severity == {"moderate": 1}
    assert rows[None].name == ""  # shown as 未割当
    assert counts.stage_totals == {"family": 3, "individual": 1, "group": 1, "participation": 0}
    assert counts.severity_totals == {"mild": 2, "moderate": 1, "severe": 1, "": 1}
    assert counts.rows[-1].counsellor_id is None  # the unassigned last


def test_monthly_trends_in_tokyo_months(as_mallory, data):
    response = as_mallory.get(URL)
    trend = response.context["trend"]
    june, may, april, july_2025 = (
        dt.date(2026, 6, 1),
        dt.date(2026, 5, 1),
        dt.date(2026, 4, 1),
        dt.date(2025, 7, 1),
    )
    assert trend.months[0] == july_2025 and trend.months[-1] == june and len(trend.months) == 12
    new_cases = {m.month: m.count for m in trend.monthly("new_cases")}
    assert new_cases[june] == 4 and new_cases[may] == 1 and new_cases[july_2025] == 1
    assert sum(new_cases.values()) == 6  # c4 (30 June 2025) is before the window
    contacts = {m.month: m.count for m in trend.monthly("contacts")}
    assert contacts[may] == 1 and contacts[june] == 2 and sum(contacts.values()) == 3
    named = {m.month: m.count for m in trend.monthly("ibasho_named")}
    walk_ins = {m.month: m.count for m in trend.monthly("ibasho_walk_ins")}
    assert named[june] == 1 and named[april] == 1 and sum(named.values()) == 2
    assert walk_ins[june] == 1 and sum(walk_ins.values()) == 1
    family = {m.month: m.count for m in trend.monthly("family_class")}
    assert family[june] == 1 and sum(family.values()) == 1  # the absent member not counted
    html = response.content.decode()
    # Each chart has its data island and a table with the same numbers.
    for key in ("new_cases", "contacts", "ibasho", "family_class"):
        assert f'id="chart-{key}-data"' in html and f'data-chart="chart-{key}-data"' in html
        assert f'data-testid="trend-{key}-table"' in html
    june_row = re.search(r'data-testid="trend-contacts-2026-06">(.*?)</tr>', html, re.S)
    assert june_row and re.findall(r'class="text-end">(\d+)<', june_row.group(1)) == ["2"]
    assert "<script>" not in html  # no inline script: the charts are drawn by a static file
    assert "js/bar-charts.js" in html


def test_an_ibasho_session_s_attendance_counts_in_the_session_s_month(
    as_mallory, alice, centre_a, data
):
    """An evening session of 30 April (Tokyo) someone arrives at after midnight: counted in
    April, as the statistics count the session's attendances and as the calendar the month
    links to lists the session (docs/statistics.md, 居場所)."""
    evening = ibasho_session(centre_a, alice, at(2026, 4, 30, 22))
    late = WalkIn.objects.create(centre=centre_a, nickname="よる")
    IbashoAttendance.objects.create(
        session=evening, walk_in=late, arrived_at=at(2026, 5, 1, 0, 20), created_by=alice
    )
    trend = as_mallory.get(URL).context["trend"]
    walk_ins = {m.month: m.count for m in trend.monthly("ibasho_walk_ins")}
    assert walk_ins[dt.date(2026, 4, 1)] == 1 and walk_ins[dt.date(2026, 5, 1)] == 0


# --- every number leads to a list of exactly that many rows ---------------------------------


def test_every_number_links_to_a_list_of_exactly_that_many_rows(as_mallory, data):
    page = as_mallory.get(URL)
    links = links_on(page)
    # The attention numbers, the caseload cells and totals, the new cases of each month.
    assert len(links) >= 12 + 2 * (3 * 2 + 4)
    for href, count, rows in links:
        assert rows_behind(as_mallory, page, href, rows) == count, href


def test_case_list_links_survive_a_name_search_left_in_the_session(as_mallory, data):
    """The case list keeps a name search in the session; the dashboard's links clear it."""
    as_mallory.post(reverse("cases:list"), {"q": "存在しない名前"})
    page = as_mallory.get(URL)
    href = next(h for h, _c, _r in links_on(page) if "silence_stage=reminded" in h)
    assert rows_behind(as_mallory, page, href, None) == 1


def test_case_list_filters_keep_working_alone(as_mallory, alice, data):
    """The filters added for the dashboard, each on its own."""
    cases = reverse("cases:list")

    def total(query: str) -> int:
        return as_mallory.get(f"{cases}?{query}").context["page"].paginator.count

    assert total("") == 7
    assert total("status=open") == 5
    assert total("status=active") == 6  # open and paused
    assert total("severity=none") == 1 and total("severity=mild") == 4
    assert total("silence_stage=escalated") == 2  # c2, and c7 (closed)
    assert total("plan_review=overdue") == 2  # c1, c7
    assert total("risk=8050&contingency=missing") == 2  # c5, c7
    assert total("opened=2026-06") == 4 and total("opened=2025-07") == 1
    assert total("counsellor=null") == 1
    assert total(f"counsellor={alice.pk}&support_stage=family&severity=mild&status=open") == 2
    assert total("opened=2026-13") == 7  # not a month: the filter is ignored


def test_cases_of_a_counsellor_who_left_stay_findable(as_mallory, alice, data):
    """A counsellor made inactive (left) still holds open cases: their dashboard row links to
    exactly those cases, though they are no longer offered as a new case's owner."""
    User.objects.filter(pk=alice.pk).update(is_active=False)
    page = as_mallory.get(URL)
    href = next(
        h
        for h, c, _r in links_on(page)
        if f"counsellor={alice.pk}&" in h and "support_stage" not in h and "severity" not in h
    )
    assert rows_behind(as_mallory, page, href, None) == 3


def test_visit_calendar_links_cover_the_coming_seven_days(as_mallory, data):
    html = as_mallory.get(URL).content.decode()
    weeks = re.findall(r'href="([^"]+)" data-testid="visit-calendar-week"', html)
    assert weeks == [
        reverse("outreach:visit_calendar_week", args=[2026, 6, 15]),
        reverse("outreach:visit_calendar_week", args=[2026, 6, 21]),
    ]


# --- the tables written in Python (dashboards/templatetags/dashboard_tables.py) -------------


def test_caseload_links_are_the_case_list_links_of_their_filters(nina, centre_b):
    """The caseload's links are built from strings made once a request: each is what
    case_list_url writes for the same filters, scoped or not."""
    for params in ({}, {"centre": str(centre_b.pk)}):
        scope = selectors.dashboard_scope(nina, params)
        links = CaseListLinks(scope)
        open_cases, counsellor, stage = (
            urlencode(part)
            for part in (
                {"status": "open"},
                {"counsellor": "null"},
                {"support_stage": "family"},
            )
        )
        assert links.url(open_cases, counsellor, stage) == case_list_url(
            scope, {"status": "open", "counsellor": "null", "support_stage": "family"}
        )
        assert links.url(open_cases) == case_list_url(scope, {"status": "open"})


def test_caseload_rows_show_each_counsellor_and_every_number(as_mallory, alice, data):
    html = as_mallory.get(URL).content.decode()
    table = re.search(r'data-testid="caseload-stage">(.*?)</table>', html, re.S)
    assert table
    rows = re.findall(r"<tr>(.*?)</tr>", table.group(1), re.S)
    alice_row = next(row for row in rows if str(alice) in row)
    # family 2, individual 1, group 0, participation 0; the total 3 (c1 c2 c6).
    assert re.findall(r'data-count="(\d+)"', alice_row) == ["2", "1", "3"]
    assert alice_row.count('<span class="text-body-secondary">0</span>') == 2
    assert "未割当" in rows[-1]  # c4, no counsellor: the last row
    footer = re.search(r"<tfoot>(.*?)</tfoot>", table.group(1), re.S)
    assert footer and re.findall(r'data-count="(\d+)"', footer.group(1)) == [
        "3",
        "1",
        "1",
        "0",
        "5",
    ]


def test_upcoming_visit_rows_show_what_is_still_to_do(as_mallory, mallory, data):
    html = as_mallory.get(URL).content.decode()
    rows = re.findall(r'<tr data-row="visit"[^>]*>.*?</tr>', html, re.S)
    assert len(rows) == 3  # v1 v2 v3, in time order
    first, second, third = rows
    v1 = HomeVisit.objects.get(case=data["cases"][2], starts_at=at(2026, 6, 17, 13))
    assert first.startswith('<tr data-row="visit" data-unannounced data-unbriefed>')
    assert f'<a href="{reverse("outreach:visit_detail", args=[v1.pk])}">' in first
    assert data["cases"][2].case_number in first
    assert "2026年6月17日 13:00" in first
    assert str(mallory) in first and "、" in first  # the pair of staff
    assert "未予告" in first and "ブリーフィング 0/2" in first
    assert "<td>計画中（未予告）</td>" in first  # the status's label
    assert "<td>確定</td>" in third
    assert "data-unannounced" not in second and "data-unbriefed" not in second
    assert '<span class="text-body-secondary">—</span>' in second  # nothing left to do
    assert "data-unbriefed" in third and "data-unannounced" not in third


def test_names_in_the_tables_are_escaped(as_mallory, alice, mallory, data):
    User.objects.filter(pk__in=[alice.pk, mallory.pk]).update(display_name="<b>相談員</b>")
    html = as_mallory.get(URL).content.decode()
    assert "<b>相談員</b>" not in html
    assert html.count("&lt;b&gt;相談員&lt;/b&gt;") >= 3  # caseload rows and the visits' staff


def test_the_visits_name_their_centre_when_several_are_shown(nina, centre_a, centre_b, data):
    client = client_for(nina)
    both = client.get(URL).content.decode()
    rows = re.findall(r'<tr data-row="visit"[^>]*>.*?</tr>', both, re.S)
    assert len(rows) == 4
    assert sum(f"<td>{centre_b.name}</td>" in row for row in rows) == 1
    assert sum(f"<td>{centre_a.name}</td>" in row for row in rows) == 3
    only_a = client.get(f"{URL}?centre={centre_a.pk}").content.decode()
    assert f"<td>{centre_a.name}</td>" not in only_a


# --- who may see it ----------------------------------------------------------------------------


def test_managers_only(as_mallory, as_alice, as_bob, as_charlie, centre_a):
    assert as_mallory.get(URL).status_code == 200
    assert as_alice.get(URL).status_code == 403
    assert as_bob.get(URL).status_code == 403
    assert as_charlie.get(URL).status_code == 403


def test_another_centre_is_not_found(as_mallory, as_charlie, centre_a, centre_b):
    assert as_charlie.get(f"{URL}?centre={centre_a.pk}").status_code == 404
    assert as_mallory.get(f"{URL}?centre={centre_b.pk}").status_code == 404
    assert as_mallory.get(f"{URL}?centre=x").status_code == 404
    assert as_mallory.get(f"{URL}?centre={centre_a.pk}").status_code == 200


def test_nav_links_to_the_dashboard_for_managers_only(as_mallory, as_alice, centre_a):
    assert (
        'data-testid="nav-manager-dashboard"'
        in as_mallory.get(reverse("cases:list")).content.decode()
    )
    assert (
        'data-testid="nav-manager-dashboard"'
        not in as_alice.get(reverse("cases:list")).content.decode()
    )


@pytest.fixture
def nina(centre_a, centre_b) -> User:  # type: ignore[no-untyped-def]
    """A manager of both centres."""
    user = UserFactory(username="nina", role=Role.MANAGER, centre=centre_a)
    user.centres.add(centre_b)
    return user


def test_a_manager_of_several_centres_sees_each_and_all(nina, centre_a, centre_b, data):
    client = client_for(nina)
    both = client.get(URL)
    only_b = client.get(f"{URL}?centre={centre_b.pk}")
    assert number(only_b, "n-reminded") == 1 and number(only_b, "n-escalated") == 1
    assert number(only_b, "n-8050") == 1 and number(only_b, "n-missing-contingency") == 1
    assert number(only_b, "n-upcoming-visits") == 1
    assert number(both, "n-reminded") == 2 and number(both, "n-open") == 7
    # Failed notifications and missing check-outs are listed for all the user's centres
    # (the escalations and safety pages have no centre filter): counted so, and said so.
    assert number(only_b, "n-failed-notifications") == number(both, "n-failed-notifications") == 3
    assert number(only_b, "n-missing-checkouts") == 2
    html = only_b.content.decode()
    assert f'<option value="{centre_b.pk}" selected>' in html
    assert "（担当するすべてのセンター）" in html
    for page, centre in ((only_b, f"centre={centre_b.pk}"), (both, None)):
        for href, count, rows in links_on(page):
            if href.startswith(reverse("cases:list")):
                assert (centre in href) if centre else ("centre=" not in href), href
            assert rows_behind(client, page, href, rows) == count, href


# --- a constant number of queries ------------------------------------------------------------------


def grow(centre: Centre, counsellor: User, times: int, *, first: int = 0) -> None:
    """`times` of everything the dashboard counts (`first`: how many were grown before)."""
    for index in range(first, first + times):
        case = make_case(
            centre,
            counsellor,
            primary_counsellor=counsellor,
            first_contact_date=dt.date(2026, 1 + index % 6, 3),
        )
        record_contact(case, counsellor, at=at(2026, 1 + index % 6, 4))
        plan(case, counsellor, dt.date(2026, 6, 1))
        set_case(
            case, silence_stage=("reminded", "escalated", "ok")[index % 3], risk_8050=index % 2 == 0
        )
        visit = make_visit(case, counsellor, start_hour=8 + index % 10, days_ahead=14 + index)
        move_visit(visit, index % 7)
        session = ibasho_session(centre, counsellor, at(2026, 1 + index % 6, 5, 14))
        attend_ibasho(session, counsellor, case=case)
        attend_ibasho(
            session, counsellor, walk_in=WalkIn.objects.create(centre=centre, nickname=f"w{index}")
        )
        fc = family_session(centre, counsellor, at(2026, 1 + index % 6, 6, 18))
        ProgrammeAttendance.objects.create(
            session=fc,
            member=family_member(centre, counsellor),
            status=AttendanceStatus.ATTENDED,
            recorded_by=counsellor,
        )
        failed_notification(centre, counsellor, f"grow{index}")


def test_query_count_is_the_same_at_1x_and_20x(
    as_mallory, centre_a, alice, mallory, django_assert_max_num_queries
):
    grow(centre_a, alice, 1)
    with django_assert_max_num_queries(MAX_QUERIES), CaptureQueriesContext(connection) as once:
        assert as_mallory.get(URL).status_code == 200
    grow(centre_a, alice, 19, first=1)
    with django_assert_max_num_queries(MAX_QUERIES), CaptureQueriesContext(connection) as twenty:
        response = as_mallory.get(URL)
    assert number(response, "n-upcoming-visits") == 20
    assert len(once.captured_queries) == len(twenty.captured_queries)


def test_query_count_for_a_manager_of_several_centres(
    nina, centre_a, centre_b, alice, charlie, mallory, django_assert_max_num_queries
):
    client = client_for(nina)
    grow(centre_a, alice, 1)
    with django_assert_max_num_queries(MAX_QUERIES), CaptureQueriesContext(connection) as once:
        client.get(f"{URL}?centre={centre_a.pk}")
    grow(centre_a, alice, 19, first=1)
    grow(centre_b, charlie, 5)
    with django_assert_max_num_queries(MAX_QUERIES), CaptureQueriesContext(connection) as twenty:
        client.get(f"{URL}?centre={centre_a.pk}")
    assert len(once.captured_queries) == len(twenty.captured_queries)
    with django_assert_max_num_queries(MAX_QUERIES):
        client.get(URL)
