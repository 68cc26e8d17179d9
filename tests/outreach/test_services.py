"""The ibasho's rules, through its services: attendance is contact with the person (once,
corrected with it), walk-ins touch no case until linked with consent, series across months,
and nobody on two duties at once, even when two saves race."""

import datetime as dt
import threading
import uuid

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone, translation

from accounts.models import AuditAction, AuditEvent, Role
from cases import services as case_services
from cases.choices import ConsentScope, ContactSource
from cases.models import Case, ContactEntry
from outreach import services
from outreach.models import IbashoAttendance, IbashoSession, StaffBooking, WalkIn
from tests.factories import UserFactory, make_case

pytestmark = pytest.mark.django_db

TOKYO = dt.timezone(dt.timedelta(hours=9))
NOW = dt.datetime(2026, 11, 28, 14, 30, tzinfo=TOKYO)  # a Saturday afternoon


def tokyo(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TOKYO)


@pytest.fixture
def session(centre_a, bob):
    with time_machine.travel(NOW, tick=False):
        return services.session_create(
            centre=centre_a,
            by=bob,
            fields={
                "place": "フリースペース",
                "starts_at": tokyo(2026, 11, 28, 14, 0),
                "ends_at": tokyo(2026, 11, 28, 16, 0),
            },
            staff=[bob],
        )


@pytest.fixture
def person(centre_a, alice):
    with time_machine.travel(NOW - dt.timedelta(days=40), tick=False):
        return make_case(centre_a, alice, primary_counsellor=alice)


def contacts(case: Case) -> list[ContactEntry]:
    return list(ContactEntry.objects.filter(case=case, source=ContactSource.IBASHO))


# --- attendance is contact -------------------------------------------------------------------


def test_attendance_resets_the_silence_clock_once(session, person, bob):
    with time_machine.travel(NOW, tick=False):
        first = services.check_in_case(session=session, case=person, by=bob)
        again = services.check_in_case(session=session, case=person, by=bob)  # a double tap
    assert again.pk == first.pk and first.first_visit
    (contact,) = contacts(person)
    assert (contact.channel, contact.counterpart, contact.two_way) == ("ibasho", "person", True)
    person.refresh_from_db()
    assert person.last_two_way_contact_at == NOW
    assert person.next_check_at == NOW + dt.timedelta(days=30)


def test_checking_out_and_correcting_the_times_correct_the_one_contact(session, person, bob):
    with time_machine.travel(NOW, tick=False):
        attendance = services.check_in_case(session=session, case=person, by=bob)
        services.check_out(attendance=attendance, by=bob, at=NOW + dt.timedelta(minutes=75))
        services.check_out(attendance=attendance, by=bob)  # a second tap changes nothing
        attendance.refresh_from_db()
        earlier = tokyo(2026, 11, 28, 14, 5)
        services.attendance_correct(
            attendance=attendance,
            by=bob,
            changes={"arrived_at": earlier, "talked_with_others": True},
            expected_version=attendance.version,
        )
    (contact,) = contacts(person)
    assert contact.occurred_at == earlier
    assert contact.duration_minutes == 100  # 14:05 to 15:45
    person.refresh_from_db()
    assert person.last_two_way_contact_at == earlier


def test_deleting_a_mistaken_check_in_takes_its_contact_back(session, person, alice, bob):
    before = person.silence_clock_started_at
    with time_machine.travel(NOW, tick=False):
        attendance = services.check_in_case(session=session, case=person, by=bob)
        services.attendance_delete(attendance=attendance, by=bob)
    assert contacts(person) == [] and not IbashoAttendance.objects.exists()
    person.refresh_from_db()
    assert person.last_two_way_contact_at is None
    assert person.silence_clock_started_at == before  # as if never recorded
    assert AuditEvent.objects.filter(
        case_id=person.pk, model="outreach.ibashoattendance", action=AuditAction.DELETE
    ).exists()


def test_a_walk_in_changes_no_case_and_a_double_tap_is_one_visit(session, person, bob):
    key = uuid.uuid4()
    with time_machine.travel(NOW, tick=False):
        first = services.check_in_walk_in(session=session, by=bob, client_key=key, nickname="くま")
        again = services.check_in_walk_in(session=session, by=bob, client_key=key, nickname="くま")
    assert again.pk == first.pk and first.case is None
    assert WalkIn.objects.count() == 1
    assert not ContactEntry.objects.exists()
    person.refresh_from_db()
    assert person.last_two_way_contact_at is None


def test_a_cancelled_session_takes_no_one(session, person, bob):
    services.session_cancel(session=session, by=bob, reason="台風")
    with pytest.raises(ValidationError, match="中止"):
        services.check_in_case(session=session, case=person, by=bob)
    assert not StaffBooking.objects.filter(session=session).exists()  # the staff are free


# --- walk-ins linked with consent --------------------------------------------------------------


def test_linking_a_walk_in_needs_the_person_s_consent_and_moves_the_visits(
    session, person, alice, bob
):
    with time_machine.travel(NOW, tick=False):
        visit = services.check_in_walk_in(
            session=session, by=bob, client_key=uuid.uuid4(), nickname="ゆう"
        )
    walk_in = visit.walk_in
    other = case_services.consent_record(
        case=person,
        by=alice,
        fields={"scope": ConsentScope.HOME_VISIT, "given_by": "本人", "given_on": NOW.date()},
    )
    with pytest.raises(ValidationError):
        services.walk_in_link(walk_in=walk_in, case=person, consent=other, by=alice)
    consent = case_services.consent_record(
        case=person,
        by=alice,
        fields={"scope": ConsentScope.IBASHO_RECORD, "given_by": "本人", "given_on": NOW.date()},
    )
    with time_machine.travel(NOW + dt.timedelta(days=3), tick=False):
        services.walk_in_link(walk_in=walk_in, case=person, consent=consent, by=alice)
    (contact,) = contacts(person)
    assert contact.occurred_at == NOW  # dated when it happened
    person.refresh_from_db()
    assert person.last_two_way_contact_at == NOW
    assert AuditEvent.objects.filter(
        case_id=person.pk, model="outreach.walkin", action=AuditAction.CHANGE
    ).exists()

    services.walk_in_unlink(walk_in=walk_in, by=alice)
    visit.refresh_from_db()
    walk_in.refresh_from_db()
    assert visit.case is None and walk_in.case is None and visit.walk_in == walk_in
    assert contacts(person) == []
    person.refresh_from_db()
    assert person.last_two_way_contact_at is None


# --- series ----------------------------------------------------------------------------------


def series_fields(**overrides):
    return {
        "title": "居場所",
        "place": "フリースペース",
        "weekdays": [2, 4],  # Tuesday, Thursday
        "every_weeks": 1,
        "starts_on": dt.date(2026, 12, 28),
        "ends_on": dt.date(2027, 1, 8),
        "start_time": dt.time(14, 0),
        "end_time": dt.time(16, 0),
        **overrides,
    }


def test_a_series_runs_across_a_month_boundary_at_the_same_tokyo_time(centre_a, bob):
    series = services.series_create(centre=centre_a, by=bob, fields=series_fields(), staff=[bob])
    sessions = list(series.sessions.order_by("starts_at"))
    days = [timezone.localdate(s.starts_at) for s in sessions]
    assert days == [
        dt.date(2026, 12, 29),
        dt.date(2026, 12, 31),
        dt.date(2027, 1, 5),
        dt.date(2027, 1, 7),
    ]
    # Asia/Tokyo keeps no daylight saving: 14:00 there is 05:00 UTC every week of the year.
    assert {s.starts_at.astimezone(dt.UTC).time() for s in sessions} == {dt.time(5, 0)}
    assert StaffBooking.objects.filter(user=bob).count() == 4


def test_every_other_week_counts_from_the_week_the_series_starts(centre_a, bob):
    series = services.series_create(
        centre=centre_a,
        by=bob,
        fields=series_fields(every_weeks=2, weekdays=[6], ends_on=dt.date(2027, 1, 31)),
        staff=[bob],
    )
    days = [timezone.localdate(s.starts_at) for s in series.sessions.order_by("starts_at")]
    assert days == [dt.date(2027, 1, 2), dt.date(2027, 1, 16), dt.date(2027, 1, 30)]


@pytest.fixture
def series(centre_a, bob):
    return services.series_create(centre=centre_a, by=bob, fields=series_fields(), staff=[bob])


def test_editing_one_occurrence_changes_only_it(series, bob):
    _first, second, *_rest = series.sessions.order_by("starts_at")
    services.session_update(session=second, by=bob, changes={"place": "2階 和室"})
    places = list(series.sessions.order_by("starts_at").values_list("place", flat=True))
    assert places == ["フリースペース", "2階 和室", "フリースペース", "フリースペース"]
    second.refresh_from_db()
    assert second.detached


def test_this_and_later_keeps_the_occurrences_with_attendance_or_edited_alone(series, person, bob):
    first, second, third, fourth = series.sessions.order_by("starts_at")
    with time_machine.travel(second.starts_at, tick=False):
        services.check_in_case(session=second, case=person, by=bob)
    services.session_update(session=third, by=bob, changes={"theme": "クリスマス会"})
    result = services.series_update_from(
        session=first,
        by=bob,
        place="新館",
        start_time=dt.time(13, 0),
        end_time=dt.time(15, 0),
        staff=[bob],
    )
    assert result.changed == 2 and {s.pk for s in result.kept} == {
        second.pk,
        third.pk,
    }
    for kept in (second, third):
        kept.refresh_from_db()
        assert kept.place == "フリースペース"
    fourth.refresh_from_db()
    assert fourth.place == "新館" and timezone.localtime(fourth.starts_at).hour == 13


def test_cancelling_the_rest_keeps_the_sessions_people_came_to(series, person, bob):
    first, second, third, fourth = series.sessions.order_by("starts_at")
    with time_machine.travel(third.starts_at, tick=False):
        services.check_in_case(session=third, case=person, by=bob)
    result = services.series_cancel_from(session=second, by=bob, reason="年末年始の休館")
    assert result.cancelled == 2 and [s.pk for s in result.kept] == [third.pk]
    states = {s.pk: s.is_cancelled for s in IbashoSession.objects.filter(series=series)}
    assert states == {first.pk: False, second.pk: True, third.pk: False, fourth.pk: True}
    assert IbashoAttendance.objects.filter(session=third).exists()


# --- no double booking -------------------------------------------------------------------------


def test_a_double_booking_is_refused_naming_the_clash_in_both_languages(session, centre_a, bob):
    overlapping = {
        "place": "別室",
        "starts_at": tokyo(2026, 11, 28, 15, 0),
        "ends_at": tokyo(2026, 11, 28, 17, 0),
    }
    with pytest.raises(ValidationError) as refused:
        services.session_create(centre=centre_a, by=bob, fields=overlapping, staff=[bob])
    message = " ".join(refused.value.message_dict["staff"])
    assert "2026-11-28 14:00〜16:00" in message and "居場所" in message
    with translation.override("en"), pytest.raises(ValidationError) as refused_en:
        services.session_create(centre=centre_a, by=bob, fields=overlapping, staff=[bob])
    message_en = " ".join(refused_en.value.message_dict["staff"])
    assert "already has another duty" in message_en and "14:00" in message_en
    assert IbashoSession.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_bookings_of_one_person_only_one_wins(centre_a):
    """Both transactions pass the check before either commits: the exclusion constraint
    makes the second wait for the first, then refuses it with the same clear message."""
    staff = UserFactory(role=Role.STAFF, centre=centre_a)
    both_checked = threading.Barrier(2)
    outcomes: list[str] = []
    original = services.bookings._first_clash

    def clash_check_then_wait(*args, **kwargs):
        found = original(*args, **kwargs)
        if found is None:
            both_checked.wait(timeout=10)
        return found

    def book(place: str) -> None:
        try:
            services.session_create(
                centre=centre_a,
                by=staff,
                fields={
                    "place": place,
                    "starts_at": tokyo(2026, 12, 5, 14, 0),
                    "ends_at": tokyo(2026, 12, 5, 16, 0),
                },
                staff=[staff],
            )
            outcomes.append("booked")
        except ValidationError as error:
            outcomes.append(" ".join(error.messages))
        finally:
            connection.close()

    services.bookings._first_clash = clash_check_then_wait  # type: ignore[assignment]
    try:
        threads = [threading.Thread(target=book, args=(p,)) for p in ("A室", "B室")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        services.bookings._first_clash = original  # type: ignore[assignment]
    assert sorted(outcomes)[0] == "booked" and outcomes.count("booked") == 1
    refused = next(o for o in outcomes if o != "booked")
    assert "別の予定" in refused
    assert StaffBooking.objects.filter(user=staff).count() == 1
    assert IbashoSession.objects.count() == 1


def test_people_are_checked_in_on_the_session_s_day_and_not_by_name_once_closed(
    session, person, alice, bob
):
    with (
        time_machine.travel(NOW + dt.timedelta(days=1), tick=False),
        pytest.raises(ValidationError, match="その回の日"),
    ):
        services.check_in_case(session=session, case=person, by=bob)
    case_services.case_change_status(
        case=person, by=alice, to_status="closed", closure_reason="goal_reached"
    )
    person.refresh_from_db()
    with time_machine.travel(NOW, tick=False), pytest.raises(ValidationError, match="終結"):
        services.check_in_case(session=session, case=person, by=bob)
    assert not IbashoAttendance.objects.exists()
