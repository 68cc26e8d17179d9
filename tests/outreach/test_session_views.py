"""The ibasho session screens: the list and the month calendar (weeks from Sunday, the month's
numbers), creating a one-off session or a series in one step, editing one occurrence or this
and all later ones, cancelling, the session page with its attendance and milestones, who may
open what (another centre's session or attendance is a 404), and query counts that do not grow
with the visitors or the sessions."""

from __future__ import annotations

import datetime as dt
import re
import uuid
import zoneinfo

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from cases.models import ContactEntry
from outreach import services
from outreach.models import IbashoAttendance, IbashoSeries, IbashoSession, StaffBooking
from tests.factories import UserFactory, client_for, make_case

pytestmark = pytest.mark.django_db

TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")
INSIDERS = ["as_alice", "as_bob", "as_mallory"]


def tokyo(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TOKYO)


def make_series(centre, by, staff=(), **fields):  # type: ignore[no-untyped-def]
    """A weekly series on Tuesdays and Thursdays, 14:00–16:00, over the new year."""
    values = {
        "title": "ゆるっとカフェ",
        "place": "2階 多目的室",
        "weekdays": [2, 4],
        "every_weeks": 1,
        "starts_on": dt.date(2026, 12, 28),
        "ends_on": dt.date(2027, 1, 8),
        "start_time": dt.time(14),
        "end_time": dt.time(16),
        **fields,
    }
    return services.series_create(centre=centre, by=by, fields=values, staff=list(staff))


def make_session(centre, by, starts_at, staff=(), **fields):  # type: ignore[no-untyped-def]
    values = {
        "place": "相談室",
        "starts_at": starts_at,
        "ends_at": starts_at + dt.timedelta(hours=2),
        **fields,
    }
    return services.session_create(centre=centre, by=by, fields=values, staff=list(staff))


def occurrences(series: IbashoSeries) -> list[IbashoSession]:
    return list(series.sessions.order_by("starts_at"))


def walk_in(session, by, nickname="みどり"):  # type: ignore[no-untyped-def]
    return services.check_in_walk_in(
        session=session,
        by=by,
        client_key=uuid.uuid4(),
        nickname=nickname,
        at=session.starts_at,  # on the session's day
    )


def session_form_data(**overrides: object) -> dict[str, object]:
    return {
        "theme": "ボードゲーム",
        "place": "相談室",
        "starts_at": "2026-12-29T15:00",
        "ends_at": "2026-12-29T17:00",
        "capacity": "",
        "notes": "",
        **overrides,
    }


def edit_data(session: IbashoSession, **overrides: object) -> dict[str, object]:
    """The edit form as it comes, with the session's values."""
    start, end = timezone.localtime(session.starts_at), timezone.localtime(session.ends_at)
    return {
        "version": session.version,
        "scope": "this",
        "theme": session.theme,
        "place": session.place,
        "starts_at": f"{start:%Y-%m-%dT%H:%M}",
        "ends_at": f"{end:%Y-%m-%dT%H:%M}",
        "capacity": session.capacity or "",
        "notes": session.notes,
        "staff": [b.user_id for b in session.bookings.all()],
        **overrides,
    }


def attendance_data(attendance: IbashoAttendance, **overrides: object) -> dict[str, object]:
    prefix = f"attendance-{attendance.pk}-"
    data: dict[str, object] = {
        "version": attendance.version,
        "arrived_at": f"{timezone.localtime(attendance.arrived_at):%Y-%m-%dT%H:%M}",
        "left_at": "",
        "note": attendance.note,
        **overrides,
    }
    return {prefix + key: value for key, value in data.items()}


@pytest.fixture(autouse=True)
def in_january():
    """The clock at 18:00 on Wednesday 6 January 2027 in Tokyo: the series below has begun, so
    people can have come (a contact can't be recorded in the future)."""
    with time_machine.travel(tokyo(2027, 1, 6, 18), tick=True):
        yield


@pytest.fixture
def series(centre_a, alice):
    return make_series(centre_a, alice, staff=[alice])


@pytest.fixture
def case_a(centre_a, alice):
    return make_case(centre_a, alice, primary_counsellor=alice)


@pytest.fixture
def attended(series, alice, case_a):
    """The series' third occurrence (5 January), which the person came to."""
    session = occurrences(series)[2]
    return services.check_in_case(session=session, case=case_a, by=alice, at=session.starts_at)


# --- who may open what ------------------------------------------------------------------------


def every_page(session: IbashoSession) -> list[str]:
    return [
        reverse("outreach:session_list"),
        reverse("outreach:session_list") + "?when=past",
        reverse("outreach:calendar", args=[2026, 12]),
        reverse("outreach:session_new"),
        reverse("outreach:series_new"),
        reverse("outreach:session_detail", args=[session.pk]),
        reverse("outreach:session_edit", args=[session.pk]),
        reverse("outreach:session_cancel", args=[session.pk]),
    ]


@pytest.mark.parametrize("client_name", INSIDERS)
def test_staff_of_the_centre_can_use_every_session_page(request, client_name, series, attended):
    client = request.getfixturevalue(client_name)

    for url in every_page(attended.session):
        assert client.get(url).status_code == 200, url
    assert client.get(reverse("outreach:calendar_this_month")).status_code == 302


def test_the_calendar_without_a_month_opens_this_month_in_tokyo(alice):
    # 23:30 UTC on 31 January is already 1 February in Tokyo.
    with time_machine.travel(dt.datetime(2027, 1, 31, 23, 30, tzinfo=dt.UTC), tick=False):
        response = client_for(alice).get(reverse("outreach:calendar_this_month"))

    assert response.url == reverse("outreach:calendar", args=[2027, 2])


def test_an_outsider_gets_404_for_every_session_and_attendance_of_another_centre(
    as_charlie, charlie, series, attended, bob
):
    session = occurrences(series)[1]
    before = [(s.pk, s.place, s.starts_at, s.cancelled_at) for s in IbashoSession.objects.all()]
    for url in every_page(session)[5:] + every_page(attended.session)[5:]:
        assert as_charlie.get(url).status_code == 404, url
    posts = {
        reverse("outreach:session_edit", args=[session.pk]): edit_data(
            session, scope="this_and_later", place="乗っ取り"
        ),
        reverse("outreach:session_cancel", args=[session.pk]): {
            "cancel_reason": "乗っ取り",
            "scope": "this_and_later",
        },
        reverse("outreach:attendance_edit", args=[attended.pk]): attendance_data(
            attended, note="乗っ取り"
        ),
        reverse("outreach:attendance_delete", args=[attended.pk]): {},
    }
    for url, data in posts.items():
        assert as_charlie.post(url, data).status_code == 404, url
    assert (
        as_charlie.get(reverse("outreach:attendance_edit", args=[attended.pk])).status_code == 404
    )

    after = [(s.pk, s.place, s.starts_at, s.cancelled_at) for s in IbashoSession.objects.all()]
    assert after == before
    attended.refresh_from_db()
    assert (attended.note, attended.version) == ("", 1)
    # Their own list and calendar are empty of centre A's sessions; a clash with centre A's
    # staff can't be made from centre B either (centre A's staff are not offered).
    listing = as_charlie.get(reverse("outreach:session_list")).content.decode()
    assert "2階 多目的室" not in listing
    month = as_charlie.get(reverse("outreach:calendar", args=[2026, 12]))
    assert all(not day.sessions for week in month.context["month"].weeks for day in week)
    assert month.context["month"].numbers.named == 0
    form = as_charlie.get(reverse("outreach:series_new")).context["form"]
    assert bob not in form.fields["staff"].queryset


def test_the_attendance_delete_is_a_post(as_alice, attended):
    url = reverse("outreach:attendance_delete", args=[attended.pk])

    assert as_alice.get(url).status_code == 405
    assert IbashoAttendance.objects.filter(pk=attended.pk).exists()


# --- creating a series and a session ----------------------------------------------------------


def series_post(staff, **overrides: object) -> dict[str, object]:  # type: ignore[no-untyped-def]
    return {
        "title": "ゆるっとカフェ",
        "place": "2階 多目的室",
        "weekdays": ["2", "4"],
        "every_weeks": "1",
        # 和暦 and 西暦 both read.
        "starts_on": "令和8年12月28日",
        "ends_on": "2027-01-08",
        "start_time": "14:00",
        "end_time": "16:00",
        "capacity": "12",
        "staff": [user.pk for user in staff],
        **overrides,
    }


def test_creating_a_weekly_series_makes_its_sessions_across_the_new_year(as_alice, alice, bob):
    response = as_alice.post(reverse("outreach:series_new"), series_post([alice, bob]))

    assert response.status_code == 302
    series = IbashoSeries.objects.get()
    assert response.url == reverse("outreach:calendar", args=[2026, 12])
    sessions = occurrences(series)
    # Tuesdays and Thursdays from Monday 28 December to Friday 8 January.
    assert [timezone.localdate(s.starts_at) for s in sessions] == [
        dt.date(2026, 12, 29),
        dt.date(2026, 12, 31),
        dt.date(2027, 1, 5),
        dt.date(2027, 1, 7),
    ]
    # 14:00 in Tokyo is 05:00 UTC every time (no daylight saving).
    assert {s.starts_at.astimezone(dt.UTC).time() for s in sessions} == {dt.time(5)}
    assert {s.ends_at.astimezone(dt.UTC).time() for s in sessions} == {dt.time(7)}
    assert {(s.place, s.theme, s.capacity) for s in sessions} == {
        ("2階 多目的室", "ゆるっとカフェ", 12)
    }
    for session in sessions:
        assert {b.user_id for b in session.bookings.all()} == {alice.pk, bob.pk}
    assert series.created_by == alice


def test_every_other_week_skips_the_weeks_between(as_alice, alice):
    data = series_post([alice], weekdays=["2"], every_weeks="2", ends_on="2027-01-24")

    as_alice.post(reverse("outreach:series_new"), data)

    sessions = occurrences(IbashoSeries.objects.get())
    assert [timezone.localdate(s.starts_at) for s in sessions] == [
        dt.date(2026, 12, 29),
        dt.date(2027, 1, 12),
    ]


def test_a_series_needs_weekdays_and_ordered_dates_and_times(as_alice, alice):
    data = series_post(
        [alice], weekdays=[], ends_on="2026-12-01", start_time="16:00", end_time="14:00"
    )

    response = as_alice.post(reverse("outreach:series_new"), data)

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) >= {"weekdays", "ends_on", "end_time"}
    assert "曜日を選んでください。" in response.content.decode()
    assert not IbashoSeries.objects.exists()


def test_a_series_longer_than_a_year_is_refused(as_alice, alice):
    response = as_alice.post(
        reverse("outreach:series_new"), series_post([alice], ends_on="2062-12-28")
    )

    assert "期間は1年以内にしてください。" in response.context["form"].errors["ends_on"]
    assert not IbashoSession.objects.exists()
    # Within the two years ahead, but fourteen months long: said once (the model's rule).
    response = as_alice.post(
        reverse("outreach:series_new"), series_post([alice], ends_on="2028-02-28")
    )

    assert response.context["form"].errors["ends_on"] == ["期間は1年以内にしてください。"]
    assert not IbashoSession.objects.exists()


OUT_OF_RANGE = "日付は2000-01-01から2029-01-06までの間にしてください。"  # two years from today


def test_a_series_at_the_end_of_the_calendar_is_refused_with_a_clear_message(as_alice, alice):
    data = series_post([alice], starts_on="9999-06-01", ends_on="9999-12-31")

    response = as_alice.post(reverse("outreach:series_new"), data)

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["starts_on"] == [OUT_OF_RANGE] and errors["ends_on"] == [OUT_OF_RANGE]
    assert OUT_OF_RANGE in response.content.decode()
    assert not IbashoSeries.objects.exists() and not IbashoSession.objects.exists()


@pytest.mark.parametrize(
    ("starts_at", "ends_at"),
    [("9999-12-31T23:00", "9999-12-31T23:30"), ("1999-12-31T14:00", "1999-12-31T16:00")],
)
def test_a_session_outside_2000_to_two_years_ahead_is_refused(as_alice, alice, starts_at, ends_at):
    data = session_form_data(starts_at=starts_at, ends_at=ends_at, staff=[alice.pk])

    response = as_alice.post(reverse("outreach:session_new"), data)

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["starts_at"] == [OUT_OF_RANGE] and errors["ends_at"] == [OUT_OF_RANGE]
    assert not IbashoSession.objects.exists() and not StaffBooking.objects.exists()


def test_creating_a_one_off_session(as_alice, alice):
    response = as_alice.post(reverse("outreach:session_new"), session_form_data(staff=[alice.pk]))

    session = IbashoSession.objects.get()
    assert response.url == reverse("outreach:session_detail", args=[session.pk])
    assert session.series is None
    assert session.starts_at == tokyo(2026, 12, 29, 15)
    assert [b.user for b in session.bookings.all()] == [alice]


def test_a_double_booking_shows_the_clash_on_the_staff_field_and_keeps_the_input(
    as_alice, alice, bob, centre_a
):
    make_session(centre_a, alice, tokyo(2026, 12, 29, 14), staff=[bob])
    data = session_form_data(staff=[alice.pk, bob.pk], notes="卓球台を出す")

    response = as_alice.post(reverse("outreach:session_new"), data)

    assert response.status_code == 200
    form = response.context["form"]
    [message] = form.errors["staff"]
    assert message == f"{bob}さんは2026-12-29 14:00〜16:00に別の予定（居場所）があります。"
    body = response.content.decode()
    assert message in body and "卓球台を出す" in body and 'value="2026-12-29T15:00"' in body
    assert IbashoSession.objects.count() == 1
    assert StaffBooking.objects.count() == 1

    # In English the page is there too, with the input kept (the English text of the message
    # comes with the catalogue).
    as_alice.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = as_alice.post(reverse("outreach:session_new"), data)
    assert response.status_code == 200
    assert response.headers["Content-Language"] == "en"
    assert response.context["form"].errors["staff"]
    assert "卓球台を出す" in response.content.decode()
    assert IbashoSession.objects.count() == 1


def test_a_double_booking_of_a_series_creates_none_of_it(as_alice, alice, bob, centre_a):
    make_session(centre_a, alice, tokyo(2027, 1, 7, 13), staff=[bob])

    response = as_alice.post(reverse("outreach:series_new"), series_post([alice, bob]))

    assert response.status_code == 200
    assert "2027-01-07 13:00〜15:00" in response.context["form"].errors["staff"][0]
    assert not IbashoSeries.objects.exists()
    assert IbashoSession.objects.count() == 1


def test_a_user_of_several_centres_chooses_the_centre(alice, centre_b, charlie):
    alice.centres.add(centre_b)
    client = client_for(alice)
    form = client.get(reverse("outreach:series_new")).context["form"]
    assert "centre" in form.fields
    assert charlie in form.fields["staff"].queryset

    client.post(reverse("outreach:series_new"), series_post([charlie], centre=centre_b.pk))

    assert IbashoSeries.objects.get().centre == centre_b


# --- editing ----------------------------------------------------------------------------------


def test_editing_one_occurrence_changes_only_it(as_alice, series):
    first, second, third, fourth = occurrences(series)
    data = edit_data(
        second, place="1階 和室", starts_at="2026-12-31T13:00", ends_at="2026-12-31T15:30"
    )

    response = as_alice.post(reverse("outreach:session_edit", args=[second.pk]), data)

    assert response.status_code == 302
    second.refresh_from_db()
    assert (second.place, second.starts_at, second.ends_at, second.detached) == (
        "1階 和室",
        tokyo(2026, 12, 31, 13),
        tokyo(2026, 12, 31, 15, 30),
        True,
    )
    booking = second.bookings.get()
    assert (booking.during.lower, booking.during.upper) == (second.starts_at, second.ends_at)
    for other in (first, third, fourth):
        other.refresh_from_db()
        assert other.place == "2階 多目的室"
        assert timezone.localtime(other.starts_at).time() == dt.time(14)


def test_this_and_later_changes_the_rest_but_keeps_one_with_attendance_and_shows_it(
    as_alice, alice, bob, series, attended
):
    first, second, third, fourth = occurrences(series)
    data = edit_data(
        second,
        scope="this_and_later",
        place="3階 会議室",
        starts_at="2026-12-31T15:00",
        ends_at="2026-12-31T17:00",
        staff=[bob.pk],
    )

    response = as_alice.post(reverse("outreach:session_edit", args=[second.pk]), data)

    assert response.status_code == 200
    for changed in (second, fourth):
        changed.refresh_from_db()
        assert changed.place == "3階 会議室"
        assert timezone.localtime(changed.starts_at).time() == dt.time(15)
        assert [b.user for b in changed.bookings.all()] == [bob]
    for kept in (first, third):
        kept.refresh_from_db()
        assert kept.place == "2階 多目的室"
        assert [b.user for b in kept.bookings.all()] == [alice]
    assert response.context["change"].changed == 2
    assert response.context["change"].kept == [third]
    kept_section = response.content.decode().split('data-testid="kept"')[1]
    assert reverse("outreach:session_detail", args=[third.pk]) in kept_section
    assert "2027年1月5日" in kept_section and "来所の記録あり" in kept_section


def test_this_and_later_keeps_an_occurrence_edited_on_its_own(as_alice, alice, series):
    first, fourth = occurrences(series)[0], occurrences(series)[3]
    services.session_update(
        session=fourth, by=alice, changes={"place": "屋上"}, expected_version=fourth.version
    )

    response = as_alice.post(
        reverse("outreach:session_edit", args=[first.pk]),
        edit_data(first, scope="this_and_later", place="3階 会議室"),
    )

    assert response.context["change"].kept == [fourth]
    assert "個別に変更済み" in response.content.decode()
    fourth.refresh_from_db()
    assert fourth.place == "屋上"


def test_this_and_later_refuses_a_new_date_or_a_new_theme(as_alice, series):
    second = occurrences(series)[1]
    url = reverse("outreach:session_edit", args=[second.pk])

    moved = as_alice.post(
        url,
        edit_data(
            second,
            scope="this_and_later",
            starts_at="2027-01-01T14:00",
            ends_at="2027-01-01T16:00",
        ),
    )
    themed = as_alice.post(url, edit_data(second, scope="this_and_later", theme="映画会"))

    assert "starts_at" in moved.context["form"].errors
    assert "scope" in themed.context["form"].errors
    second.refresh_from_db()
    assert (second.theme, timezone.localdate(second.starts_at)) == (
        "ゆるっとカフェ",
        dt.date(2026, 12, 31),
    )


def test_an_edit_that_double_books_shows_the_clash_and_changes_nothing(
    as_alice, alice, bob, centre_a, series
):
    make_session(centre_a, alice, tokyo(2027, 1, 7, 15), staff=[bob])
    second = occurrences(series)[1]

    response = as_alice.post(
        reverse("outreach:session_edit", args=[second.pk]),
        edit_data(second, scope="this_and_later", place="3階 会議室", staff=[alice.pk, bob.pk]),
    )

    assert response.status_code == 200
    assert "2027-01-07 15:00〜17:00" in response.context["form"].errors["staff"][0]
    assert set(series.sessions.values_list("place", flat=True)) == {"2階 多目的室"}


def test_a_session_people_came_to_keeps_its_day_but_may_change_its_time(as_alice, attended):
    session = attended.session  # 5 January, 14:00-16:00
    url = reverse("outreach:session_edit", args=[session.pk])

    moved = as_alice.post(
        url, edit_data(session, starts_at="2027-01-06T14:00", ends_at="2027-01-06T16:00")
    )

    assert moved.status_code == 200
    assert "別の日に移せません" in moved.context["form"].errors["starts_at"][0]
    session.refresh_from_db()
    assert timezone.localtime(session.starts_at) == tokyo(2027, 1, 5, 14)

    later = as_alice.post(
        url, edit_data(session, starts_at="2027-01-05T15:00", ends_at="2027-01-05T17:00")
    )

    assert later.status_code == 302
    session.refresh_from_db()
    assert timezone.localtime(session.starts_at) == tokyo(2027, 1, 5, 15)


def test_a_stale_session_edit_is_refused_with_409_and_keeps_the_input(as_alice, as_bob, series):
    second = occurrences(series)[1]
    url = reverse("outreach:session_edit", args=[second.pk])
    loaded_by_a = as_alice.get(url).context["form"]["version"].value()
    loaded_by_b = as_bob.get(url).context["form"]["version"].value()

    saved = as_alice.post(url, edit_data(second, place="1階 和室", version=loaded_by_a))
    data_b = edit_data(second, theme="映画会", version=loaded_by_b)  # B still sees the old place
    refused = as_bob.post(url, data_b)

    assert saved.status_code == 302
    assert refused.status_code == 409
    body = refused.content.decode()
    assert "他の人が更新しました" in body and 'value="映画会"' in body
    second.refresh_from_db()
    assert (second.place, second.theme) == ("1階 和室", "ゆるっとカフェ")  # A's save survives

    # Having looked at A's change, B saves again, knowingly: the form carries the new version.
    again = as_bob.post(url, {**data_b, "version": refused.context["form"].data["version"]})

    assert again.status_code == 302
    second.refresh_from_db()
    assert second.theme == "映画会"


def test_a_stale_edit_of_this_and_later_is_refused_too(as_alice, series):
    first = occurrences(series)[0]
    url = reverse("outreach:session_edit", args=[first.pk])
    data = edit_data(first, scope="this_and_later", place="3階 会議室")
    services.session_update(
        session=first, by=first.created_by, changes={"place": "屋上"}, expected_version=1
    )

    response = as_alice.post(url, data)

    assert response.status_code == 409
    places = [s.place for s in occurrences(series)]
    assert places == ["屋上", "2階 多目的室", "2階 多目的室", "2階 多目的室"]


# --- cancelling -------------------------------------------------------------------------------


def test_cancelling_one_occurrence(as_alice, alice, series):
    second = occurrences(series)[1]

    response = as_alice.post(
        reverse("outreach:session_cancel", args=[second.pk]),
        {"cancel_reason": "年末休館", "scope": "this"},
    )

    assert response.status_code == 302
    second.refresh_from_db()
    assert second.is_cancelled and second.cancel_reason == "年末休館"
    assert not second.bookings.exists()
    assert series.sessions.filter(cancelled_at__isnull=True).count() == 3
    page = as_alice.get(reverse("outreach:session_detail", args=[second.pk])).content.decode()
    assert "年末休館" in page and reverse("outreach:session_edit", args=[second.pk]) not in page


def test_cancelling_the_rest_keeps_the_sessions_with_attendance_and_says_so(
    as_alice, series, attended
):
    second, third = occurrences(series)[1:3]

    response = as_alice.post(
        reverse("outreach:session_cancel", args=[second.pk]),
        {"cancel_reason": "会場の改修", "scope": "this_and_later"},
    )

    assert response.status_code == 200
    assert [s.is_cancelled for s in occurrences(series)] == [False, True, False, True]
    assert IbashoAttendance.objects.filter(pk=attended.pk).exists()
    body = response.content.decode()
    assert "2回を中止にしました。" in body
    kept_section = body.split('data-testid="kept"')[1]
    assert reverse("outreach:session_detail", args=[third.pk]) in kept_section
    assert "来所の記録がある回は、開催されたものとして残しました。" in kept_section


def test_cancelling_needs_a_reason_and_a_session_with_attendance_stays(as_alice, attended):
    url = reverse("outreach:session_cancel", args=[attended.session_id])

    empty = as_alice.post(url, {"cancel_reason": " ", "scope": "this"})
    held = as_alice.post(url, {"cancel_reason": "雨", "scope": "this"})

    assert "cancel_reason" in empty.context["form"].errors
    assert "来所の記録がある回は中止にできません。" in held.content.decode()
    attended.session.refresh_from_db()
    assert not attended.session.is_cancelled


# --- the list and the calendar ----------------------------------------------------------------


def test_the_list_shows_sessions_with_staff_numbers_and_todays_check_in(
    as_alice, alice, bob, centre_a, case_a
):
    now = timezone.localtime()
    today = make_session(centre_a, alice, now.replace(hour=0, minute=5), staff=[alice, bob])
    later = make_session(centre_a, alice, now + dt.timedelta(days=3), place="公民館")
    services.check_in_case(session=today, case=case_a, by=alice, at=today.starts_at)
    walk_in(today, alice)
    services.session_cancel(session=later, by=alice, reason="台風")

    response = as_alice.get(reverse("outreach:session_list"))

    rows = list(response.context["page"])
    assert rows == [today, later]
    assert (rows[0].named, rows[0].walk_ins, rows[0].first_visits) == (1, 1, 2)
    body = response.content.decode()
    assert reverse("outreach:checkin_session", args=[today.pk]) in body
    assert reverse("outreach:checkin_session", args=[later.pk]) not in body
    assert f"{alice}、{bob}" in body or f"{bob}、{alice}" in body
    assert "<s>" in body.split("公民館")[0].rsplit("<tr", 1)[1]  # the cancelled one struck


def test_the_calendar_starts_weeks_on_sunday_and_shows_the_months_numbers(
    as_alice, alice, centre_a, series, case_a
):
    first, second, third = occurrences(series)[:3]
    services.check_in_case(session=first, case=case_a, by=alice, at=first.starts_at)
    walk_in(first, alice)
    walk_in(second, alice, nickname="そら")
    services.check_in_case(session=third, case=case_a, by=alice, at=third.starts_at)  # January
    december_extra = make_session(centre_a, alice, tokyo(2026, 12, 3, 10))
    services.session_cancel(session=december_extra, by=alice, reason="講師の体調不良")

    with time_machine.travel(tokyo(2027, 1, 10, 12), tick=False):
        response = as_alice.get(reverse("outreach:calendar", args=[2026, 12]))

    month = response.context["month"]
    # December 2026 begins on a Tuesday: its first row starts on Sunday 29 November.
    assert month.weeks[0][0].day == dt.date(2026, 11, 29)
    assert all(week[0].day.isoweekday() == 7 for week in month.weeks)
    assert month.weeks[-1][-1].day == dt.date(2027, 1, 2)
    headers = re.findall(r'<th scope="col"[^>]*>([^<]*)</th>', response.content.decode())
    assert headers == ["日", "月", "火", "水", "木", "金", "土"]
    # Two held sessions in December (the cancelled one not counted); January's is not.
    numbers = month.numbers
    assert (numbers.named, numbers.walk_ins, numbers.first_visits, numbers.held) == (1, 2, 3, 2)
    body = response.content.decode()
    assert 'data-testid="held">2<' in body
    assert "2026年11月" in body and "2027年1月" in body  # previous and next months
    assert reverse("outreach:calendar", args=[2027, 1]) in body
    cancelled_cell = body.split('data-date="2026-12-03"')[1].split("</td>")[0]
    assert "<s>" in cancelled_cell and "中止" in cancelled_cell


def test_a_month_out_of_range_is_a_404(as_alice):
    assert as_alice.get("/outreach/ibasho/calendar/2026/13/").status_code == 404
    assert as_alice.get("/outreach/ibasho/calendar/0/1/").status_code == 404


# --- the session page and its attendance -------------------------------------------------------


def test_the_session_page_shows_named_people_and_walk_ins_by_nickname(
    as_alice, alice, attended, case_a
):
    session = attended.session
    visitor = walk_in(session, alice, nickname="くろねこ")
    services.attendance_correct(
        attendance=visitor,
        by=alice,
        changes={"talked_with_others": True, "note": "カードゲームに参加"},
        expected_version=visitor.version,
    )

    response = as_alice.get(reverse("outreach:session_detail", args=[session.pk]))

    body = response.content.decode()
    assert case_a.case_number in body and case_a.display_name in body
    assert "くろねこ" in body and "他の来所者と話した" in body and "カードゲームに参加" in body
    numbers = response.context["numbers"]
    assert (numbers.named, numbers.walk_ins, numbers.first_visits) == (1, 1, 2)
    assert "ゆるっとカフェ" in body and "2階 多目的室" in body and str(alice) in body


def test_correcting_an_attendance_moves_its_contact(as_alice, attended):
    session = attended.session
    data = attendance_data(
        attended,
        left_at=f"{timezone.localtime(session.ends_at):%Y-%m-%dT%H:%M}",
        stayed_whole_session="on",
        note="最後まで参加",
    )

    response = as_alice.post(reverse("outreach:attendance_edit", args=[attended.pk]), data)

    assert response.url.endswith(f"#attendance-{attended.pk}")
    attended.refresh_from_db()
    assert (attended.left_at, attended.stayed_whole_session, attended.version) == (
        session.ends_at,
        True,
        2,
    )
    assert ContactEntry.objects.get(pk=attended.contact_id).duration_minutes == 120


def test_a_stale_attendance_edit_is_refused_with_409_and_keeps_the_input(as_alice, alice, attended):
    data = attendance_data(attended, note="あとで書いたメモ", joined_activity="on")
    services.attendance_correct(
        attendance=attended, by=alice, changes={"note": "先に保存"}, expected_version=1
    )

    response = as_alice.post(reverse("outreach:attendance_edit", args=[attended.pk]), data)

    assert response.status_code == 409
    body = response.content.decode()
    assert "他の人が更新しました" in body and "あとで書いたメモ" in body
    form = dict(response.context["rows"])[attended]
    assert form.data[f"attendance-{attended.pk}-version"] == "2"  # saving again, knowingly
    attended.refresh_from_db()
    assert (attended.note, attended.joined_activity) == ("先に保存", False)


def test_deleting_an_attendance_takes_its_contact_back(as_alice, attended, case_a):
    response = as_alice.post(reverse("outreach:attendance_delete", args=[attended.pk]))

    assert response.url == reverse("outreach:session_detail", args=[attended.session_id])
    assert not IbashoAttendance.objects.filter(pk=attended.pk).exists()
    assert not ContactEntry.objects.filter(case=case_a).exists()


# --- English ----------------------------------------------------------------------------------


def test_the_session_pages_render_in_english(as_alice, series, attended):
    as_alice.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    for url in every_page(attended.session):
        response = as_alice.get(url)
        assert response.status_code == 200, url
        assert response.headers["Content-Language"] == "en"


# --- query counts -----------------------------------------------------------------------------

# Session, user, the user's centres (ids and the menu's names), the session (with its centre
# and series), its staff bookings (with the users), its attendances (with case, case's centre
# and walk-in), then the page header (the inbox badge).
DETAIL_QUERIES = 7


def test_the_session_page_query_count_does_not_grow_with_visitors(
    as_alice, alice, centre_a, attended, django_assert_num_queries
):
    url = reverse("outreach:session_detail", args=[attended.session_id])
    with django_assert_num_queries(DETAIL_QUERIES):
        as_alice.get(url)

    for case in [make_case(centre_a, alice) for _ in range(20)]:
        services.check_in_case(
            session=attended.session, case=case, by=alice, at=attended.session.starts_at
        )
    for n in range(19):
        walk_in(attended.session, alice, nickname=f"ゲスト{n}")
    with django_assert_num_queries(DETAIL_QUERIES):
        response = as_alice.get(url)

    assert len(response.context["rows"]) == 40


# Session, user, the user's centres (ids and the menu's names), the month's sessions (with
# their centres and the attendance numbers as annotations), then the page header.
CALENDAR_QUERIES = 5


def test_the_calendar_query_count_does_not_grow_with_sessions(
    as_alice, alice, centre_a, django_assert_num_queries
):
    first = make_session(centre_a, alice, tokyo(2026, 12, 1, 10))
    walk_in(first, alice)
    url = reverse("outreach:calendar", args=[2026, 12])
    with django_assert_num_queries(CALENDAR_QUERIES):
        as_alice.get(url)

    everyday = {"weekdays": [1, 2, 3, 4, 5, 6, 7], "ends_on": dt.date(2026, 12, 20)}
    for hour, first_day in ((13, 1), (16, 2)):  # 20 and 19 sessions
        make_series(
            centre_a,
            alice,
            staff=[UserFactory(centre=centre_a)],
            starts_on=dt.date(2026, 12, first_day),
            start_time=dt.time(hour),
            end_time=dt.time(hour + 2),
            **everyday,
        )
    services.session_cancel(
        session=IbashoSession.objects.order_by("starts_at").last(), by=alice, reason="休館"
    )
    with django_assert_num_queries(CALENDAR_QUERIES):
        response = as_alice.get(url)

    sessions = [s for week in response.context["month"].weeks for d in week for s in d.sessions]
    assert len(sessions) == 40
    assert response.context["month"].numbers.walk_ins == 1


# Session, user, the user's centres (ids and the menu's names), the paginator's count, the
# page of sessions (with centre, series and the numbers as annotations), their staff bookings
# with the users, then the page header (the inbox badge).
LIST_QUERIES = 7


def test_the_list_query_count_does_not_grow(as_alice, alice, centre_a, django_assert_num_queries):
    start = timezone.localtime() + dt.timedelta(days=1)
    walk_in(make_session(centre_a, alice, start, staff=[alice]), alice)
    url = reverse("outreach:session_list")
    with django_assert_num_queries(LIST_QUERIES):
        as_alice.get(url)

    for n in range(1, 30):
        make_session(
            centre_a, alice, start + dt.timedelta(days=n), staff=[UserFactory(centre=centre_a)]
        )
    with django_assert_num_queries(LIST_QUERIES):
        response = as_alice.get(url)

    assert len(response.context["page"]) == 25
    assert response.context["page"].paginator.count == 30
