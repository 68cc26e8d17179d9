"""The counsellor's "my day" (dashboards:my_day): today's visits and duties, the briefings to
read, their silent cases, their plans due for review and their unread inbox; only the
signed-in user's own, only their centre's; a fixed number of queries whatever the data.

Data is built through the services: visits planned three weeks ahead (the notice period) and
announced then, cases gone silent under the real sweep, plans saved by the plan service."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.urls import reverse

from accounts.models import Role
from cases import services as case_services
from outreach import services as outreach_services
from outreach.models import VisitStatus
from reminders import services as reminder_services
from reminders.selectors import unread_count
from tests.e2e.conftest import open_page  # noqa: F401 (the browser fixture, for the layout test)
from tests.factories import UserFactory, client_for, make_case, make_visit, record_contact
from tests.reminders.test_inbox_reads import read_inbox

pytestmark = pytest.mark.django_db

TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")
# A Wednesday: its week (Sunday first) runs from 29 November to 5 December.
NOW = dt.datetime(2026, 12, 2, 9, 0, tzinfo=TOKYO)
TODAY = NOW.date()
PLANNED_AT = NOW - dt.timedelta(days=21)
MY_DAY = reverse("dashboards:my_day")


@pytest.fixture(autouse=True)
def on_wednesday_morning():
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def dora(centre_a):
    """A second counsellor of centre A (the pair rule wants two on a visit)."""
    return UserFactory(username="dora", display_name="土井", role=Role.COUNSELLOR, centre=centre_a)


@pytest.fixture
def erin(centre_b):
    """Charlie's colleague at centre B."""
    return UserFactory(username="erin", role=Role.COUNSELLOR, centre=centre_b)


def visit_on(case, by, staff, *, days=0, hour=10, status="confirmed"):  # type: ignore[no-untyped-def]
    """A visit `days` after today at `hour` (Tokyo), planned and announced three weeks ago."""
    with time_machine.travel(PLANNED_AT, tick=False):
        return make_visit(
            case, by, staff=staff, days_ahead=21 + days, start_hour=hour, status=status
        )


def session_on(centre, by, staff, *, days=0, hour=14):  # type: ignore[no-untyped-def]
    starts_at = dt.datetime.combine(TODAY + dt.timedelta(days=days), dt.time(hour), tzinfo=TOKYO)
    return outreach_services.session_create(
        centre=centre,
        by=by,
        fields={
            "place": "相談室",
            "theme": "ゆるっとカフェ",
            "starts_at": starts_at,
            "ends_at": starts_at + dt.timedelta(hours=2),
        },
        staff=staff,
    )


def gone_silent(centre, counsellor, *, escalated: int = 0, reminded: int = 0) -> list:  # type: ignore[type-arg]
    """Cases of the counsellor nobody has talked to: `escalated` of them for 60 days (the
    sweep reminded, then escalated), `reminded` for 55 days (reminded only). The real sweep,
    at the days it would have run."""
    start = NOW - dt.timedelta(days=60)
    with time_machine.travel(start, tick=False):
        cases = [
            make_case(centre, counsellor, primary_counsellor=counsellor) for _ in range(escalated)
        ]
    with time_machine.travel(start + dt.timedelta(days=5), tick=False):
        cases += [
            make_case(centre, counsellor, primary_counsellor=counsellor) for _ in range(reminded)
        ]
    with time_machine.travel(start + dt.timedelta(days=31), tick=False):
        reminder_services.sweep_silence()
    with time_machine.travel(start + dt.timedelta(days=38), tick=False):
        reminder_services.sweep_silence()
    for case in cases:
        case.refresh_from_db()
    return cases


def plan(case, by, *, review_in_days: int):  # type: ignore[no-untyped-def]
    return case_services.plan_save(
        case=case,
        by=by,
        fields={
            "goals": "週に一度、居場所に来る",
            "review_on": TODAY + dt.timedelta(days=review_in_days),
        },
    )


def the_day(response):  # type: ignore[no-untyped-def]
    assert response.status_code == 200
    return response.context["day"]


def page(response) -> str:  # type: ignore[no-untyped-def]
    return response.content.decode()


# --- today's visits and duties ----------------------------------------------------------------


def test_today_s_visits_are_mine_and_today_s_in_tokyo(
    centre_a, centre_b, alice, dora, charlie, erin, as_alice
):
    mine = make_case(centre_a, alice, primary_counsellor=alice)
    at_midnight = visit_on(mine, alice, [alice, dora], hour=0)  # 15:00 UTC the day before
    at_ten = visit_on(mine, alice, [alice, dora], hour=10)
    visit_on(mine, alice, [alice, dora], days=-1, hour=21)  # yesterday evening
    visit_on(mine, alice, [alice, dora], days=1, hour=2)  # tomorrow in Tokyo, today in UTC
    other = make_case(centre_a, dora, primary_counsellor=dora)
    colleague = UserFactory(role=Role.COUNSELLOR, centre=centre_a)
    not_mine = visit_on(other, dora, [dora, colleague], hour=14)
    b_case = make_case(centre_b, charlie, primary_counsellor=charlie)
    in_b = visit_on(b_case, charlie, [charlie, erin])

    response = as_alice.get(MY_DAY)
    day = the_day(response)
    assert [row.visit.pk for row in day.visits.today] == [at_midnight.pk, at_ten.pk]
    body = page(response)
    assert reverse("outreach:visit_detail", args=[at_ten.pk]) in body
    assert f"訪問 {mine.case_number}" in body and "10:00" in body
    assert reverse("outreach:visit_detail", args=[not_mine.pk]) not in body
    assert reverse("outreach:visit_detail", args=[in_b.pk]) not in body
    assert mine.family_name not in body  # the case number, never the name
    # Charlie sees his centre's visit and nothing of centre A.
    day_b = the_day(client_for(charlie).get(MY_DAY))
    assert [row.visit.pk for row in day_b.visits.today] == [in_b.pk]


def test_today_s_visits_show_status_and_check_in(centre_a, alice, dora, as_alice):
    case = make_case(centre_a, alice, primary_counsellor=alice)
    visit = visit_on(case, alice, [alice, dora], hour=10, status="briefed")
    with time_machine.travel(NOW + dt.timedelta(minutes=50), tick=False):
        outreach_services.visit_check_in(visit=visit, by=alice)
        body = page(as_alice.get(MY_DAY))
    assert f'data-testid="visit-status-{visit.pk}">{VisitStatus.IN_PROGRESS.label}<' in body
    assert f'data-testid="checked-in-{visit.pk}"' in body and "09:50" in body


def test_today_s_duties_are_my_ibasho_sessions(centre_a, centre_b, alice, bob, charlie, as_alice):
    today = session_on(centre_a, alice, [alice, bob])
    session_on(centre_a, alice, [alice], days=1)  # tomorrow
    others = session_on(centre_a, alice, [bob], hour=17)  # bob's, not mine
    session_on(centre_b, charlie, [charlie])
    response = as_alice.get(MY_DAY)
    duties = the_day(response).duties
    assert [duty.session_id for duty in duties] == [today.pk]
    body = page(response)
    assert reverse("outreach:session_detail", args=[today.pk]) in body
    assert reverse("outreach:session_detail", args=[others.pk]) not in body
    # A cancelled session frees the staff: it is no longer a duty.
    outreach_services.session_cancel(session=today, by=alice, reason="台風のため")
    assert the_day(as_alice.get(MY_DAY)).duties == []


def test_the_week_count_matches_my_week_on_the_calendar(centre_a, alice, dora, as_alice):
    case = make_case(centre_a, alice, primary_counsellor=alice)
    visit_on(case, alice, [alice, dora], days=-2)  # Monday, earlier this week
    visit_on(case, alice, [alice, dora], days=3)  # Saturday
    called_off = visit_on(case, alice, [alice, dora], days=1)
    outreach_services.visit_call_off(
        visit=called_off, by=alice, status=VisitStatus.CANCELLED, reason="本人の体調"
    )
    visit_on(case, alice, [alice, dora], days=4)  # next Sunday: next week
    visit_on(case, dora, [dora, UserFactory(role=Role.COUNSELLOR, centre=centre_a)], days=1)
    response = as_alice.get(MY_DAY)
    day = the_day(response)
    assert day.visits.this_week == 2
    calendar = reverse("outreach:visit_calendar_week", args=[2026, 11, 29]) + f"?staff={alice.pk}"
    assert calendar.replace("&", "&amp;") in page(response)
    week = as_alice.get(calendar).context["period"]
    assert len([item for item in week.visits if not item.called_off]) == day.visits.this_week


# --- briefings --------------------------------------------------------------------------------


def test_briefings_to_acknowledge_update_and_ask_again_after_a_risk_change(
    centre_a, alice, dora, as_alice
):
    case = make_case(centre_a, alice, primary_counsellor=alice)
    soon = visit_on(case, alice, [alice, dora], days=3)
    visit_on(case, alice, [alice, dora], days=9)  # beyond the 7 days
    visit_on(case, alice, [alice, dora], days=5, status="briefed")  # already read
    called_off = visit_on(case, alice, [alice, dora], days=2)
    outreach_services.visit_call_off(
        visit=called_off, by=alice, status=VisitStatus.CANCELLED, reason="本人の体調"
    )
    response = as_alice.get(MY_DAY)
    assert [row.visit.pk for row in the_day(response).visits.to_brief] == [soon.pk]
    assert reverse("outreach:visit_briefing", args=[soon.pk]) in page(response)

    outreach_services.briefing_acknowledge(visit=soon, by=alice)
    assert the_day(as_alice.get(MY_DAY)).visits.to_brief == []
    # Dora has not read it yet: that is on her page, not alice's.
    assert [r.visit.pk for r in the_day(client_for(dora).get(MY_DAY)).visits.to_brief] == [soon.pk]

    case.refresh_from_db()
    case_services.case_update(
        case=case, by=alice, expected_version=case.version, changes={"risk_violence": True}
    )
    asked_again = the_day(as_alice.get(MY_DAY)).visits.to_brief
    # The briefed visit in 5 days is asked again too: its facts changed as well.
    assert [row.visit.pk for row in asked_again][:1] == [soon.pk] and len(asked_again) == 2


# --- cases ------------------------------------------------------------------------------------


def test_my_silent_and_escalated_cases_only_mine(
    centre_a, centre_b, alice, dora, charlie, as_alice
):
    escalated, reminded, answered = gone_silent(centre_a, alice, escalated=1, reminded=2)
    record_contact(answered, alice, at=NOW - dt.timedelta(days=1))  # silence over
    doras = gone_silent(centre_a, dora, escalated=1)
    charlies = gone_silent(centre_b, charlie, escalated=1)
    assert escalated.silence_stage == "escalated" and reminded.silence_stage == "reminded"

    response = as_alice.get(MY_DAY)
    silent = the_day(response).cases.silent
    assert [case.pk for case in silent] == [escalated.pk, reminded.pk]
    assert silent[0].days_silent == 60 and silent[1].days_silent == 55
    body = page(response)
    assert "60日連絡なし" in body
    assert reverse("cases:detail", args=[escalated.pk]) in body
    assert reverse("cases:detail", args=[doras[0].pk]) not in body
    assert reverse("cases:detail", args=[charlies[0].pk]) not in body
    # The number leads to the case list filtered the same way, with exactly those rows.
    link = f"{reverse('cases:list')}?clear=1&counsellor={alice.pk}&silent=true"
    assert link.replace("&", "&amp;") in body
    listed = as_alice.get(link, follow=True).context["page"]
    assert sorted(case.pk for case in listed) == sorted(case.pk for case in silent)
    assert [c.pk for c in the_day(client_for(charlie).get(MY_DAY)).cases.silent] == [charlies[0].pk]


def test_plans_due_for_review_are_my_open_cases_current_plans(
    centre_a, alice, dora, mallory, as_alice
):
    soon = make_case(centre_a, alice, primary_counsellor=alice)
    plan(soon, alice, review_in_days=3)
    overdue = make_case(centre_a, alice, primary_counsellor=alice)
    overdue_plan = plan(overdue, alice, review_in_days=-10)
    later = make_case(centre_a, alice, primary_counsellor=alice)
    plan(later, alice, review_in_days=30)
    replanned = make_case(centre_a, alice, primary_counsellor=alice)
    plan(replanned, alice, review_in_days=-5)
    plan(replanned, alice, review_in_days=90)  # the current plan is the newest
    closed = make_case(centre_a, alice, primary_counsellor=alice)
    plan(closed, alice, review_in_days=1)
    case_services.case_change_status(
        case=closed, by=alice, to_status="closed", closure_reason="goal_reached"
    )
    doras = make_case(centre_a, dora, primary_counsellor=dora)
    plan(doras, dora, review_in_days=1)

    response = as_alice.get(MY_DAY)
    due = the_day(response).cases.plans_due
    assert [case.pk for case in due] == [overdue.pk, soon.pk]
    body = page(response)
    assert "期限切れ" in body
    assert reverse("cases:plan_edit", args=[overdue.pk, overdue_plan.pk]) in body
    assert reverse("cases:detail", args=[doras.pk]) not in body


# --- inbox ------------------------------------------------------------------------------------


def test_my_unread_inbox_shows_the_latest_five_and_the_badge_s_count(centre_a, alice, as_alice):
    gone_silent(centre_a, alice, reminded=7)
    response = as_alice.get(MY_DAY)
    unread = the_day(response).unread
    assert unread.count == 7 == unread_count(alice)
    assert len(unread.latest) == 5
    assert unread.latest == sorted(unread.latest, key=lambda n: n.created_at, reverse=True)
    body = page(response)
    assert 'data-testid="my-unread-count">7<' in body
    assert reverse("reminders:inbox") in body
    # Seeing them in the inbox reads them; "my day" itself marks nothing read.
    read_inbox(as_alice)
    assert the_day(as_alice.get(MY_DAY)).unread.count == 0


# --- who sees what ----------------------------------------------------------------------------


def test_counsellors_land_on_their_day_and_other_roles_keep_their_home(
    as_alice, as_bob, as_mallory
):
    response = as_alice.get(reverse("home"))
    assert response.status_code == 302 and response["Location"] == MY_DAY
    assert as_bob.get(reverse("home")).status_code == 200
    assert as_mallory.get(reverse("home")).status_code == 200
    assert 'data-testid="nav-my-day"' in page(as_bob.get(reverse("home")))


def test_the_page_is_always_the_signed_in_user_s_own(centre_a, alice, dora, as_alice):
    """No user in the URL: a query parameter naming someone else changes nothing."""
    case = make_case(centre_a, dora, primary_counsellor=dora)
    visit_on(case, dora, [dora, UserFactory(role=Role.COUNSELLOR, centre=centre_a)])
    day = the_day(as_alice.get(MY_DAY, {"user": dora.pk, "staff": dora.pk}))
    assert day.visits.today == []


def test_staff_see_their_visits_and_duties_but_no_case_cards(centre_a, alice, bob, as_bob):
    """Staff run ibasho duties and may be the second person on a visit: their day is theirs
    to see. They hold no cases, so the case cards are left out (and their query)."""
    case = make_case(centre_a, alice, primary_counsellor=alice)
    visit = visit_on(case, alice, [alice, bob])
    session = session_on(centre_a, alice, [bob])
    response = as_bob.get(MY_DAY)
    day = the_day(response)
    assert [row.visit.pk for row in day.visits.today] == [visit.pk]
    assert [duty.session_id for duty in day.duties] == [session.pk]
    assert [row.visit.pk for row in day.visits.to_brief] == [visit.pk]
    assert day.casework is False
    assert 'data-testid="my-silent-cases"' not in page(response)


def test_managers_may_open_their_own_day(centre_a, alice, mallory, as_mallory):
    case = make_case(centre_a, mallory, primary_counsellor=mallory)
    plan(case, mallory, review_in_days=0)
    day = the_day(as_mallory.get(MY_DAY))
    assert [c.pk for c in day.cases.plans_due] == [case.pk]


def test_signed_out_visitors_are_sent_to_log_in(client):
    response = client.get(MY_DAY)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


# --- query counts -----------------------------------------------------------------------------

# Session, user, the user's centres (ids and the menu's names), the page header (the inbox
# badge); then
# the page's own four: the user's visits of the fortnight, their households (the briefing's
# key), the silent or due cases (plans as subqueries), and one row carrying today's duties,
# the latest unread and their total.
MY_DAY_QUERIES = 8
# No visit in the fortnight: no household to read (a prefetch over no rows runs no query).
MY_DAY_QUERIES_WITHOUT_VISITS = MY_DAY_QUERIES - 1
# Staff: no case query.
MY_DAY_QUERIES_FOR_STAFF = MY_DAY_QUERIES - 1
# A manager also passes the second factor; whether the sweep runs and the safety banner come
# with the page header's one statement.
MY_DAY_QUERIES_FOR_A_MANAGER = MY_DAY_QUERIES + 1


def fill(centre, counsellor, colleague, staff, n: int) -> None:
    """n of everything on the page for `counsellor` and `staff` (and for a colleague, whose
    cases must not count)."""
    gone_silent(centre, counsellor, escalated=n, reminded=n)
    for case in [make_case(centre, counsellor, primary_counsellor=counsellor) for _ in range(n)]:
        plan(case, counsellor, review_in_days=2)
    case = make_case(centre, counsellor, primary_counsellor=counsellor)
    for i in range(n):
        # Five a day at most: each books its staff with the travel buffer either side.
        days, slot = divmod(i, 5)
        visit_on(case, counsellor, [counsellor, staff], days=days, hour=8 + 2 * slot)
    for i in range(min(n, 3)):
        session_on(centre, counsellor, [counsellor, staff], hour=18 + 2 * i)
    gone_silent(centre, colleague, escalated=n)


@pytest.mark.parametrize("n", [1, 20])
def test_the_query_count_is_the_same_at_1x_and_20x(
    n, centre_a, alice, bob, dora, mallory, as_alice, as_bob, as_mallory, django_assert_num_queries
):
    fill(centre_a, alice, dora, bob, n)
    # The manager's own day, full too: a case due, a visit, a duty.
    fill(centre_a, mallory, dora, dora, 1)
    with django_assert_num_queries(MY_DAY_QUERIES):
        day = the_day(as_alice.get(MY_DAY))
    assert len(day.visits.today) == min(n, 5) and len(day.cases.silent) == 2 * n
    assert len(day.cases.plans_due) == n and day.unread.count == unread_count(alice) >= 2 * n
    assert len(day.duties) == min(n, 3) and day.visits.this_week == n
    with django_assert_num_queries(MY_DAY_QUERIES_FOR_STAFF):
        day = the_day(as_bob.get(MY_DAY))
    assert len(day.visits.today) == min(n, 5) and len(day.duties) == min(n, 3)
    with django_assert_num_queries(MY_DAY_QUERIES_FOR_A_MANAGER):
        day = the_day(as_mallory.get(MY_DAY))
    assert len(day.visits.today) == 1 and len(day.cases.plans_due) == 1
    assert MY_DAY_QUERIES_FOR_A_MANAGER <= 12


def test_the_query_count_of_an_empty_day(as_alice, django_assert_num_queries):
    with django_assert_num_queries(MY_DAY_QUERIES_WITHOUT_VISITS):
        day = the_day(as_alice.get(MY_DAY))
    assert day.visits.today == [] and day.duties == [] and day.unread.count == 0


# --- one glance -------------------------------------------------------------------------------


@pytest.mark.browser
def test_a_full_day_fits_a_laptop_screen_without_scrolling(open_page, centre_a, alice, bob, dora):  # noqa: F811
    """1366×768, with every card full (20× data): nothing below the fold, nothing sideways."""
    from tests.e2e.browser import log_in

    fill(centre_a, alice, dora, bob, 20)
    page = open_page(viewport={"width": 1366, "height": 768})
    log_in(page, alice)
    assert page.url.endswith(MY_DAY)
    assert page.locator("[data-testid=my-unread]").is_visible()
    height, width = page.evaluate(
        "[document.documentElement.scrollHeight, document.documentElement.scrollWidth]"
    )
    assert height <= 768 and width <= 1366
    assert page.console.violations == [] and page.console.errors == []
