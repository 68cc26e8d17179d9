"""The ibasho's rules, through its services: attendance is contact with the person (once,
corrected with it), walk-ins touch no case until linked with consent, series across months,
and nobody on two duties at once, even when two saves race."""

import datetime as dt
import functools
import threading
import time
import uuid
from collections.abc import Callable

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
from outreach.models import IbashoAttendance, IbashoSeries, IbashoSession, StaffBooking, WalkIn
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


def test_a_linked_walk_in_checked_in_by_nickname_keeps_the_visit_and_an_unlink_takes_it_back(
    session, centre_a, person, alice, bob
):
    with time_machine.travel(NOW, tick=False):
        walk_in = services.check_in_walk_in(
            session=session, by=bob, client_key=uuid.uuid4(), nickname="ゆう"
        ).walk_in
    consent = case_services.consent_record(
        case=person,
        by=alice,
        fields={"scope": ConsentScope.IBASHO_RECORD, "given_by": "本人", "given_on": NOW.date()},
    )
    services.walk_in_link(walk_in=walk_in, case=person, consent=consent, by=alice)
    next_week = NOW + dt.timedelta(days=7)
    later = services.session_create(
        centre=centre_a,
        by=bob,
        fields={
            "place": "フリースペース",
            "starts_at": next_week - dt.timedelta(minutes=30),
            "ends_at": next_week + dt.timedelta(hours=1),
        },
        staff=[],
    )

    with time_machine.travel(next_week, tick=False):
        again = services.check_in_walk_in(
            session=later, by=bob, client_key=uuid.uuid4(), walk_in=walk_in
        )

    assert (again.case, again.walk_in, again.first_visit) == (person, walk_in, False)
    assert len(contacts(person)) == 2  # the visit is a contact with the person
    assert list(walk_in.attendances.order_by("arrived_at")) == [session.attendances.get(), again]

    services.walk_in_unlink(walk_in=walk_in, by=alice)
    again.refresh_from_db()
    assert (again.case, again.contact, again.walk_in) == (None, None, walk_in)
    assert contacts(person) == []  # this visit's contact is taken back with the earlier one


def test_a_walk_in_linked_since_the_door_read_it_is_checked_in_as_the_person(
    session, person, alice, bob
):
    with time_machine.travel(NOW - dt.timedelta(days=7), tick=False):
        last_week = services.session_create(
            centre=session.centre,
            by=bob,
            fields={
                "place": "フリースペース",
                "starts_at": session.starts_at - dt.timedelta(days=7),
                "ends_at": session.ends_at - dt.timedelta(days=7),
            },
            staff=[],
        )
        read_by_the_door = services.check_in_walk_in(
            session=last_week, by=bob, client_key=uuid.uuid4(), nickname="ゆう"
        ).walk_in
    consent = case_services.consent_record(
        case=person,
        by=alice,
        fields={"scope": ConsentScope.IBASHO_RECORD, "given_by": "本人", "given_on": NOW.date()},
    )
    services.walk_in_link(
        walk_in=WalkIn.objects.get(pk=read_by_the_door.pk), case=person, consent=consent, by=alice
    )

    with time_machine.travel(NOW, tick=False):
        visit = services.check_in_walk_in(
            session=session, by=bob, client_key=uuid.uuid4(), walk_in=read_by_the_door
        )

    assert (visit.case, visit.walk_in) == (person, read_by_the_door)
    assert len(contacts(person)) == 2


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
    services.session_update(
        session=second, by=bob, changes={"place": "2階 和室"}, expected_version=second.version
    )
    places = list(series.sessions.order_by("starts_at").values_list("place", flat=True))
    assert places == ["フリースペース", "2階 和室", "フリースペース", "フリースペース"]
    second.refresh_from_db()
    assert second.detached


def test_this_and_later_keeps_the_occurrences_with_attendance_or_edited_alone(series, person, bob):
    first, second, third, fourth = series.sessions.order_by("starts_at")
    with time_machine.travel(second.starts_at, tick=False):
        services.check_in_case(session=second, case=person, by=bob)
    services.session_update(
        session=third, by=bob, changes={"theme": "クリスマス会"}, expected_version=third.version
    )
    result = services.series_update_from(
        session=first,
        by=bob,
        expected_version=first.version,
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


# --- a session people came to keeps its day ---------------------------------------------------


def test_a_session_people_came_to_can_change_its_time_but_not_its_day(session, person, bob):
    with time_machine.travel(NOW, tick=False):
        services.check_in_case(session=session, case=person, by=bob)
    next_day = {
        "starts_at": tokyo(2026, 11, 29, 14, 0),
        "ends_at": tokyo(2026, 11, 29, 16, 0),
    }

    with pytest.raises(ValidationError) as refused:
        services.session_update(
            session=session, by=bob, changes=next_day, expected_version=session.version
        )

    assert "別の日に移せません" in refused.value.message_dict["starts_at"][0]
    session.refresh_from_db()
    assert session.starts_at == tokyo(2026, 11, 28, 14, 0)
    same_day = {"starts_at": tokyo(2026, 11, 28, 13, 0), "ends_at": tokyo(2026, 11, 28, 17, 0)}
    services.session_update(
        session=session, by=bob, changes=same_day, expected_version=session.version
    )
    session.refresh_from_db()
    assert (session.starts_at, session.version) == (tokyo(2026, 11, 28, 13, 0), 2)


def test_a_session_nobody_came_to_can_move_to_another_day(session, bob):
    next_day = {"starts_at": tokyo(2026, 11, 29, 14, 0), "ends_at": tokyo(2026, 11, 29, 16, 0)}
    services.session_update(
        session=session, by=bob, changes=next_day, expected_version=session.version
    )
    session.refresh_from_db()
    assert session.starts_at == tokyo(2026, 11, 29, 14, 0)


@pytest.mark.parametrize("field", ["arrived_at", "left_at"])
def test_a_corrected_attendance_stays_on_the_session_s_day(session, person, bob, field):
    with time_machine.travel(NOW, tick=False):
        attendance = services.check_in_case(session=session, case=person, by=bob)
        services.check_out(attendance=attendance, by=bob, at=NOW + dt.timedelta(minutes=30))
    attendance.refresh_from_db()
    arrived, left = attendance.arrived_at, attendance.left_at
    changes = {"arrived_at": arrived, "left_at": left, field: tokyo(2026, 11, 29, 14, 30)}

    with (
        time_machine.travel(NOW + dt.timedelta(days=2), tick=False),
        pytest.raises(ValidationError) as refused,
    ):
        services.attendance_correct(
            attendance=attendance, by=bob, changes=changes, expected_version=2
        )

    assert refused.value.message_dict == {field: ["来所と退出は、その回の日に記録してください。"]}
    attendance.refresh_from_db()
    assert (attendance.arrived_at, attendance.left_at, attendance.version) == (arrived, left, 2)
    (contact,) = contacts(person)
    assert contact.occurred_at == arrived


# --- dates from 2000 until two years ahead ------------------------------------------------------


def test_a_series_or_session_at_the_end_of_the_calendar_is_refused_not_overflowed(centre_a, bob):
    last_days = series_fields(starts_on=dt.date(9999, 6, 1), ends_on=dt.date(9999, 12, 31))
    with time_machine.travel(NOW, tick=False):
        with pytest.raises(ValidationError) as series_refused:
            services.series_create(centre=centre_a, by=bob, fields=last_days, staff=[bob])
        last_evening = {
            "place": "フリースペース",
            "starts_at": dt.datetime(9999, 12, 31, 14, 0, tzinfo=dt.UTC),
            "ends_at": dt.datetime(9999, 12, 31, 14, 30, tzinfo=dt.UTC),  # 23:30 in Tokyo
        }
        with pytest.raises(ValidationError) as session_refused:
            services.session_create(centre=centre_a, by=bob, fields=last_evening, staff=[bob])

    assert set(series_refused.value.message_dict) == {"starts_on", "ends_on"}
    assert "2028-11-28" in series_refused.value.message_dict["ends_on"][0]  # two years ahead
    assert set(session_refused.value.message_dict) == {"starts_at", "ends_at"}
    assert not IbashoSeries.objects.exists() and not IbashoSession.objects.exists()
    # The days of a series that ends on the calendar's last day are counted without overflow.
    series = IbashoSeries(**series_fields(starts_on=dt.date(9999, 12, 20), ends_on=dt.date.max))
    assert services.series_dates(series) == [
        dt.date(9999, 12, 21),
        dt.date(9999, 12, 23),
        dt.date(9999, 12, 28),
        dt.date(9999, 12, 30),
    ]


def test_a_series_longer_than_a_year_is_refused_by_the_service_too(centre_a, bob):
    too_long = series_fields(starts_on=dt.date(2026, 12, 1), ends_on=dt.date(2027, 12, 31))
    with time_machine.travel(NOW, tick=False), pytest.raises(ValidationError) as refused:
        services.series_create(centre=centre_a, by=bob, fields=too_long, staff=[bob])
    assert refused.value.message_dict == {"ends_on": ["期間は1年以内にしてください。"]}
    assert not IbashoSession.objects.exists()


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


# --- two requests at the same moment ------------------------------------------------------------


def _in_threads(
    *calls: Callable[[], object], meanwhile: Callable[[], None] | None = None
) -> list[object]:
    """Each call in a thread of its own (its own connection): what it returned or raised.
    `meanwhile` runs here while they do."""
    outcomes: list[object] = [None] * len(calls)

    def run(index: int, call: Callable[[], object]) -> None:
        try:
            outcomes[index] = call()
        except Exception as error:
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(calls)]
    for thread in threads:
        thread.start()
    try:
        if meanwhile is not None:
            meanwhile()
    finally:
        for thread in threads:
            thread.join(timeout=30)
    return outcomes


def _until_a_request_waits_for_a_lock() -> None:
    """Return once another connection to the test database waits for a row lock (asked, not
    slept on: the moment it blocks is visible in pg_stat_activity)."""
    deadline = time.monotonic() + 10
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
    pytest.fail("no request waited for the other")


def hold_before_insert(monkeypatch: pytest.MonkeyPatch) -> None:
    """Both requests pass every check, then wait for each other just before inserting the
    attendance: the insert that comes second meets the first's unique key."""
    both_checked = threading.Barrier(2)
    original = IbashoAttendance.save

    def save(self, *args, **kwargs):
        if self.pk is None:  # the insert (not a later update)
            both_checked.wait(timeout=10)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(IbashoAttendance, "save", save)


@pytest.mark.django_db(transaction=True)
def test_a_double_tap_on_a_new_nickname_at_the_same_moment_is_one_visitor_and_one_visit(
    session, bob, monkeypatch
):
    hold_before_insert(monkeypatch)
    tap = functools.partial(
        services.check_in_walk_in,
        session=session,
        by=bob,
        client_key=uuid.uuid4(),  # the same form, sent twice
        nickname="くま",
        at=NOW,
    )

    first, second = _in_threads(tap, tap)

    assert isinstance(first, IbashoAttendance) and isinstance(second, IbashoAttendance)
    assert first.pk == second.pk
    assert WalkIn.objects.count() == 1  # the losing request's walk-in is not left behind
    assert IbashoAttendance.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_an_earlier_walk_in_checked_in_from_two_tablets_at_once_is_one_visit(
    session, centre_a, bob, monkeypatch
):
    last_week = services.session_create(
        centre=centre_a,
        by=bob,
        fields={
            "place": "フリースペース",
            "starts_at": session.starts_at - dt.timedelta(days=7),
            "ends_at": session.ends_at - dt.timedelta(days=7),
        },
        staff=[],
    )
    walk_in = services.check_in_walk_in(
        session=last_week,
        by=bob,
        client_key=uuid.uuid4(),
        nickname="くま",
        at=last_week.starts_at,
    ).walk_in
    hold_before_insert(monkeypatch)

    def tablet() -> IbashoAttendance:  # each tablet's form has a key of its own
        return services.check_in_walk_in(
            session=session, by=bob, client_key=uuid.uuid4(), walk_in=walk_in, at=NOW
        )

    first, second = _in_threads(tablet, tablet)

    assert isinstance(first, IbashoAttendance) and isinstance(second, IbashoAttendance)
    assert first.pk == second.pk
    assert IbashoAttendance.objects.filter(session=session).count() == 1
    assert WalkIn.objects.count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("visitor", ["case", "walk_in"])
@pytest.mark.parametrize("scope", ["this", "this_and_later"])
def test_a_check_in_during_a_cancel_waits_for_it_and_is_refused(
    series, person, bob, monkeypatch, visitor, scope
):
    """The door read the session before the cancel (as its page did): the check-in comes
    while the cancel holds the session, so it waits, then sees the cancel."""
    first = series.sessions.order_by("starts_at").first()
    read_by_the_door = IbashoSession.objects.get(pk=first.pk)
    cancelling, checking_in = threading.Event(), threading.Event()
    original = services.sessions._cancel

    def cancel_then_wait(session, *, reason):
        cancelling.set()  # the cancel has checked for attendance
        checking_in.wait(timeout=10)
        original(session, reason=reason)

    monkeypatch.setattr(services.sessions, "_cancel", cancel_then_wait)

    def cancel() -> object:
        if scope == "this":
            return services.session_cancel(session=first, by=bob, reason="台風")
        return services.series_cancel_from(session=first, by=bob, reason="台風")

    def check_in() -> object:
        cancelling.wait(timeout=10)
        checking_in.set()
        at = first.starts_at + dt.timedelta(minutes=10)
        if visitor == "case":
            return services.check_in_case(session=read_by_the_door, case=person, by=bob, at=at)
        return services.check_in_walk_in(
            session=read_by_the_door, by=bob, client_key=uuid.uuid4(), nickname="くま", at=at
        )

    with time_machine.travel(first.starts_at + dt.timedelta(minutes=30)):
        _cancelled, checked_in = _in_threads(cancel, check_in)

    assert isinstance(checked_in, ValidationError), checked_in
    assert "この回は中止になっています。" in checked_in.messages
    first.refresh_from_db()
    assert first.is_cancelled
    assert not IbashoAttendance.objects.exists() and not WalkIn.objects.exists()
    assert contacts(person) == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("scope", ["this", "this_and_later"])
def test_a_cancel_during_a_check_in_waits_for_it_and_is_refused(
    series, person, bob, monkeypatch, scope
):
    """The check-in holds the session (it has found it open); the cancel comes, waits for the
    check-in to be saved, then finds the attendance and keeps the session."""
    first = series.sessions.order_by("starts_at").first()
    found_open, go_on = threading.Event(), threading.Event()
    original = services.attendance._check_open

    def check_then_wait(session, at):
        original(session, at)
        found_open.set()
        go_on.wait(timeout=10)

    monkeypatch.setattr(services.attendance, "_check_open", check_then_wait)

    def check_in() -> object:
        at = first.starts_at + dt.timedelta(minutes=10)
        return services.check_in_case(session=first, case=person, by=bob, at=at)

    def cancel() -> object:
        found_open.wait(timeout=10)
        if scope == "this":
            return services.session_cancel(session=first, by=bob, reason="台風")
        return services.series_cancel_from(session=first, by=bob, reason="台風")

    def let_the_check_in_go_on_once_the_cancel_waits() -> None:
        found_open.wait(timeout=10)
        try:
            _until_a_request_waits_for_a_lock()
        finally:
            go_on.set()

    with time_machine.travel(first.starts_at + dt.timedelta(minutes=30)):
        checked_in, cancelled = _in_threads(
            check_in, cancel, meanwhile=let_the_check_in_go_on_once_the_cancel_waits
        )

    assert isinstance(checked_in, IbashoAttendance), checked_in
    first.refresh_from_db()
    assert not first.is_cancelled
    assert IbashoAttendance.objects.get().session == first
    if scope == "this":
        assert isinstance(cancelled, ValidationError)
        assert "来所の記録がある回は中止にできません。" in cancelled.messages
    else:
        assert isinstance(cancelled, services.SeriesChange)
        assert (cancelled.cancelled, [s.pk for s in cancelled.kept]) == (3, [first.pk])
