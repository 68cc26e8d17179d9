"""The visits calendar: month and week (Sunday first), per centre and per staff member, home
visits by case number only (never a name, an address or a purpose), coloured by status with
a text badge, the unannounced and unbriefed ones marked and overdue check-outs in red, ibasho
duties beside them; who may open what (another centre, or another centre's member, is a 404);
and query counts that do not grow with the visits."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from cases.models import Case
from outreach import services
from outreach.models import HomeVisit, VisitAssignment, VisitStatus
from outreach.selectors.calendar import week_start
from tests.factories import UserFactory, client_for, make_case, make_visit

pytestmark = pytest.mark.django_db

INSIDERS = ["as_alice", "as_bob", "as_mallory"]


def month_url(day: dt.date, **query: object) -> str:
    url = reverse("outreach:visit_calendar_month", args=[day.year, day.month])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def week_url(day: dt.date, **query: object) -> str:
    url = reverse("outreach:visit_calendar_week", args=[day.year, day.month, day.day])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def entry(html: str, visit: HomeVisit) -> str:
    """The calendar's entry for one visit (an <li> with no list inside)."""
    found = re.search(rf'data-visit="{visit.pk}">(.*?)</li>', html, re.S)
    assert found, f"visit {visit.pk} is not on the calendar"
    return found.group(1)


def day_of(visit: HomeVisit) -> dt.date:
    return timezone.localdate(visit.starts_at)


@pytest.fixture
def case(centre_a, alice):  # type: ignore[no-untyped-def]
    return make_case(
        centre_a,
        alice,
        family_name="霧島",
        given_name="楓太",
        family_name_kana="きりしま",
        given_name_kana="ふうた",
        municipality="北杜市",
        address_line="白州町鳥原9-9",
    )


@pytest.fixture
def visit(case, alice, bob):  # type: ignore[no-untyped-def]
    return make_visit(case, alice, staff=[alice, bob], purpose="進路の話をする予定")


# --- who may open it -------------------------------------------------------------------------


@pytest.mark.parametrize("client_name", INSIDERS)
def test_the_centre_s_staff_see_its_visits_by_case_number_only(client_name, visit, request):
    response = request.getfixturevalue(client_name).get(month_url(day_of(visit)))

    assert response.status_code == 200
    html = response.content.decode()
    assert "訪問 K-0001" in entry(html, visit)
    assert reverse("outreach:visit_detail", args=[visit.pk]) in entry(html, visit)
    for private in ("霧島", "楓太", "きりしま", "ふうた", "北杜市", "白州町", "進路の話"):
        assert private not in html


def test_the_week_shows_the_visit_with_its_time_and_staff(as_alice, visit, alice, bob):
    response = as_alice.get(week_url(day_of(visit)))

    assert response.status_code == 200
    html = entry(response.content.decode(), visit)
    assert "10:00" in html and "11:00" in html
    assert str(alice) in html and str(bob) in html


def test_charlie_of_another_centre_never_sees_centre_a_s_visits(as_charlie, visit):
    for url in (month_url(day_of(visit)), week_url(day_of(visit))):
        response = as_charlie.get(url)
        assert response.status_code == 200
        assert f'data-visit="{visit.pk}"' not in response.content.decode()
        assert "K-0001" not in response.content.decode()


def test_charlie_gets_404_for_a_centre_a_filter_or_a_centre_a_member(
    as_charlie, visit, centre_a, alice
):
    day = day_of(visit)
    assert as_charlie.get(month_url(day, centre=centre_a.pk)).status_code == 404
    assert as_charlie.get(week_url(day, centre=centre_a.pk)).status_code == 404
    assert as_charlie.get(month_url(day, staff=alice.pk)).status_code == 404
    assert as_charlie.get(week_url(day, staff=alice.pk)).status_code == 404


def test_a_filter_that_is_not_an_id_is_a_404(as_alice, visit):
    assert as_alice.get(month_url(day_of(visit), staff="alice")).status_code == 404
    assert as_alice.get(month_url(day_of(visit), centre="1;drop")).status_code == 404


def test_a_date_that_does_not_exist_is_a_404(as_alice):
    assert (
        as_alice.get(reverse("outreach:visit_calendar_month", args=[2026, 13])).status_code == 404
    )
    assert (
        as_alice.get(reverse("outreach:visit_calendar_week", args=[2026, 2, 30])).status_code == 404
    )
    assert as_alice.get(reverse("outreach:visit_calendar_week", args=[1, 1, 1])).status_code == 404


def test_signing_in_is_needed(client, visit):
    response = client.get(month_url(day_of(visit)))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_this_month_leads_to_today_s_month_keeping_the_filter(as_alice, alice):
    today = timezone.localdate()
    response = as_alice.get(reverse("outreach:visit_calendar_this_month") + f"?staff={alice.pk}")
    assert response.status_code == 302
    assert response["Location"] == month_url(today, staff=alice.pk)


def test_the_menu_links_to_the_calendar(as_bob):
    response = as_bob.get(reverse("home"))
    assert reverse("outreach:visit_calendar_this_month") in response.content.decode()


# --- per centre and per staff member --------------------------------------------------------


def test_a_member_filter_shows_only_their_visits_and_duties(
    as_alice, case, alice, bob, centre_a, visit
):
    other = UserFactory(role=Role.COUNSELLOR, centre=centre_a)
    third = UserFactory(role=Role.COUNSELLOR, centre=centre_a)
    theirs = make_visit(case, alice, staff=[other, third], start_hour=14)
    start = timezone.make_aware(dt.datetime.combine(day_of(visit), dt.time(17)))
    session = services.session_create(
        centre=centre_a,
        by=bob,
        fields={"place": "相談室", "starts_at": start, "ends_at": start + dt.timedelta(hours=2)},
        staff=[bob],
    )

    everyone = as_alice.get(month_url(day_of(visit))).content.decode()
    assert f'data-visit="{visit.pk}"' in everyone and f'data-visit="{theirs.pk}"' in everyone
    assert reverse("outreach:session_detail", args=[session.pk]) in everyone

    bobs = as_alice.get(week_url(day_of(visit), staff=bob.pk)).content.decode()
    assert f'data-visit="{visit.pk}"' in bobs
    assert f'data-visit="{theirs.pk}"' not in bobs
    assert reverse("outreach:session_detail", args=[session.pk]) in bobs

    others = as_alice.get(month_url(day_of(visit), staff=other.pk)).content.decode()
    assert f'data-visit="{theirs.pk}"' in others
    assert f'data-visit="{visit.pk}"' not in others
    assert reverse("outreach:session_detail", args=[session.pk]) not in others


def test_my_schedule_is_one_click_away(as_alice, alice, visit):
    html = as_alice.get(month_url(day_of(visit))).content.decode()
    assert f"?staff={alice.pk}" in html
    assert "自分の予定" in html


def test_a_user_of_two_centres_chooses_the_centre(centre_a, centre_b, visit, alice, charlie):
    both = UserFactory(role=Role.MANAGER, centre=centre_a)
    both.centres.add(centre_b)
    b_case = make_case(centre_b, charlie)
    b_visit = make_visit(b_case, charlie, days_ahead=15)
    client = client_for(both)
    day = day_of(visit)

    first = client.get(month_url(day)).content.decode()
    assert 'data-testid="centre-selector"' in first
    assert f'data-visit="{visit.pk}"' in first and f'data-visit="{b_visit.pk}"' not in first

    second = client.get(month_url(day, centre=centre_b.pk)).content.decode()
    assert f'data-visit="{b_visit.pk}"' in second and f'data-visit="{visit.pk}"' not in second
    # A member of centre A is not one of centre B's: no mixing the two.
    assert client.get(month_url(day, centre=centre_b.pk, staff=alice.pk)).status_code == 404


# --- what the entries say --------------------------------------------------------------------


def test_unannounced_and_unbriefed_visits_are_marked_in_words(as_alice, case, alice, bob):
    planned = make_visit(case, alice, staff=[alice, bob], start_hour=9)
    confirmed = make_visit(case, alice, staff=[alice, bob], start_hour=12, status="confirmed")
    briefed = make_visit(case, alice, staff=[alice, bob], start_hour=15, status="briefed")
    html = as_alice.get(month_url(day_of(planned))).content.decode()

    assert 'data-marker="unannounced"' in entry(html, planned)
    assert 'data-marker="unannounced"' not in entry(html, confirmed)
    assert 'data-marker="unbriefed"' in entry(html, confirmed)
    assert "0/2" in entry(html, confirmed)
    assert 'data-marker="unbriefed"' not in entry(html, briefed)
    assert 'data-marker="unannounced"' not in entry(html, briefed)
    # Colour is not the only cue: the status is written out too.
    assert "確定" in entry(html, confirmed)
    assert "visit-status-confirmed" in html and "visit-status-planned" in html


def test_a_risk_flag_changed_after_the_briefing_marks_the_visit_again(as_alice, case, alice, bob):
    briefed = make_visit(case, alice, staff=[alice, bob], status="briefed")
    url = month_url(day_of(briefed))
    assert 'data-marker="unbriefed"' not in entry(as_alice.get(url).content.decode(), briefed)

    Case.objects.filter(pk=case.pk).update(risk_violence=True)

    assert 'data-marker="unbriefed"' in entry(as_alice.get(url).content.decode(), briefed)


def test_an_overdue_check_out_is_red_and_says_so(as_mallory, case, alice, bob):
    visit = make_visit(case, alice, staff=[alice, bob], status="briefed")
    now = timezone.now()
    HomeVisit.objects.filter(pk=visit.pk).update(
        status=VisitStatus.IN_PROGRESS,
        starts_at=now - dt.timedelta(hours=5),
        ends_at=now - dt.timedelta(hours=4),
        checked_in_at=now - dt.timedelta(hours=5),
    )
    visit.refresh_from_db()

    html = entry(as_mallory.get(week_url(day_of(visit))).content.decode(), visit)

    assert 'data-marker="overdue"' in html
    assert "visit-overdue" in as_mallory.get(week_url(day_of(visit))).content.decode()


def test_a_called_off_visit_stays_struck_through_with_its_status(as_alice, case, alice, bob):
    visit = make_visit(case, alice, staff=[alice, bob])
    services.visit_call_off(visit=visit, by=alice, status="cancelled", reason="体調不良の連絡")
    html = as_alice.get(month_url(day_of(visit))).content.decode()

    assert "中止" in entry(html, visit)
    assert "visit-called-off" in html
    assert "体調不良" not in html


def test_the_week_starts_on_sunday_and_navigates(as_alice, visit):
    day = day_of(visit)
    response = as_alice.get(week_url(day))
    html = response.content.decode()
    dates = re.findall(r'data-date="(\d{4}-\d\d-\d\d)"', html)

    sunday = week_start(day)
    assert dates == [(sunday + dt.timedelta(days=n)).isoformat() for n in range(7)]
    assert dt.date.fromisoformat(dates[0]).isoweekday() == 7
    assert week_url(sunday - dt.timedelta(days=7)) in html
    assert week_url(sunday + dt.timedelta(days=7)) in html
    assert week_url(week_start(timezone.localdate())) in html


def test_the_month_starts_on_sunday_and_navigates(as_alice, visit):
    day = day_of(visit)
    html = as_alice.get(month_url(day)).content.decode()
    dates = re.findall(r'data-date="(\d{4}-\d\d-\d\d)"', html)
    first = day.replace(day=1)
    previous = (first - dt.timedelta(days=1)).replace(day=1)
    following = (first + dt.timedelta(days=31)).replace(day=1)

    assert dt.date.fromisoformat(dates[0]).isoweekday() == 7
    assert first.isoformat() in dates and len(dates) % 7 == 0
    assert month_url(previous) in html and month_url(following) in html
    assert month_url(timezone.localdate()) in html


# --- query counts ----------------------------------------------------------------------------


def _many_visits(case, alice, bob, first: dt.date, n: int) -> None:  # type: ignore[no-untyped-def]
    """n visits over the month's days, written in one go (each through the service would take
    minutes), half of them briefed by both, with duties beside them."""
    visits = []
    for number in range(n):
        day = first + dt.timedelta(days=number % 28)
        start = timezone.make_aware(dt.datetime.combine(day, dt.time(8 + number // 28)))
        visits.append(
            HomeVisit(
                centre=case.centre,
                case=case,
                starts_at=start,
                ends_at=start + dt.timedelta(minutes=50),
                purpose="近況",
                status=[VisitStatus.PLANNED, VisitStatus.CONFIRMED][number % 2],
                created_by=alice,
            )
        )
    HomeVisit.objects.bulk_create(visits)
    VisitAssignment.objects.bulk_create(
        VisitAssignment(visit=v, user=u) for v in visits for u in (alice, bob)
    )


# Session, user, the user's centres (ids and the menu's names), their centres, the centre's
# members, the visits (with case and centre), their assignments with the users, the household
# links the briefing's key reads, the ibasho duties (with sessions and users), then the page
# header (the inbox badge).
CALENDAR_QUERIES = 10


@pytest.mark.parametrize("view", ["month", "week"])
def test_the_calendar_query_count_does_not_grow_with_visits(
    as_alice, case, alice, bob, centre_a, view, django_assert_num_queries
):
    first_visit = make_visit(case, alice, staff=[alice, bob], start_hour=6)
    make_visit(case, alice, staff=[alice, bob], start_hour=20, status="briefed")
    day = day_of(first_visit)
    url = (month_url if view == "month" else week_url)(day)
    start = timezone.make_aware(dt.datetime.combine(day, dt.time(12)))
    services.session_create(
        centre=centre_a,
        by=bob,
        fields={"place": "相談室", "starts_at": start, "ends_at": start + dt.timedelta(hours=2)},
        staff=[UserFactory(centre=centre_a)],
    )
    with django_assert_num_queries(CALENDAR_QUERIES):
        small = as_alice.get(url)
    assert len(small.context["period"].visits) == 2

    first = day.replace(day=1) if view == "month" else week_start(day)
    _many_visits(case, alice, bob, first, 198)
    for n in range(1, 6):
        other = start + dt.timedelta(days=n)
        services.session_create(
            centre=centre_a,
            by=bob,
            fields={
                "place": "相談室",
                "starts_at": other,
                "ends_at": other + dt.timedelta(hours=2),
            },
            staff=[UserFactory(centre=centre_a), UserFactory(centre=centre_a)],
        )
    with django_assert_num_queries(CALENDAR_QUERIES):
        large = as_alice.get(url)

    period = large.context["period"]
    expected = 200 if view == "month" else 2 + sum(1 for n in range(198) if n % 28 < 7)
    assert len(period.visits) == expected
    assert all(len(item.staff) == 2 for item in period.visits)
    assert len([d for day in period.days for d in day.duties]) >= 2
