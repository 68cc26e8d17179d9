"""Nobody is on two duties at once: a visit books its staff (with the centre's travel buffer
either side) in the same table as the ibasho, so a clash with another visit, an ibasho duty
or the way there is refused naming its kind and time (never a client's name), even when two
requests race; calling a visit off gives the time back, and moving it moves the booking."""

import datetime as dt
import threading

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection

from accounts.models import Role
from outreach import services
from outreach.models import HomeVisit, StaffBooking, VisitStatus
from tests.factories import UserFactory, make_case
from tests.outreach.visit_clock import NOW, on

pytestmark = pytest.mark.django_db

SECRETS = ("山田", "太郎", "やまだ", "たろう")


@pytest.fixture
def case(centre_a, alice):
    with time_machine.travel(NOW - dt.timedelta(days=30), tick=False):
        return make_case(centre_a, alice, primary_counsellor=alice)


@pytest.fixture(autouse=True)
def now():
    with time_machine.travel(NOW, tick=False):
        yield


def plan(case, by, staff, starts_at: dt.datetime, minutes: int = 60) -> HomeVisit:
    return services.visit_plan(
        case=case,
        by=by,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(minutes=minutes),
        purpose="近況をうかがう",
        staff=staff,
    )


def ibasho_duty(centre, by, staff, starts_at: dt.datetime, ends_at: dt.datetime):
    return services.session_create(
        centre=centre,
        by=by,
        fields={"place": "フリースペース", "starts_at": starts_at, "ends_at": ends_at},
        staff=staff,
    )


def refusal(error: pytest.ExceptionInfo[ValidationError]) -> str:
    message = " ".join(error.value.message_dict["staff"])
    assert not any(secret in message for secret in SECRETS)
    return message


def booked(visit: HomeVisit) -> list[tuple[str, dt.datetime, dt.datetime]]:
    return sorted(
        (b.user.username, b.during.lower, b.during.upper)
        for b in StaffBooking.objects.filter(visit=visit).select_related("user")
    )


def test_a_visit_books_its_staff_with_the_travel_buffer_either_side(case, alice, bob):
    visit = plan(case, alice, [alice, bob], on(14, 10))
    buffer = dt.timedelta(minutes=30)
    assert booked(visit) == [
        ("alice", on(14, 10) - buffer, on(14, 11) + buffer),
        ("bob", on(14, 10) - buffer, on(14, 11) + buffer),
    ]


def test_a_second_visit_of_the_same_staff_member_at_the_same_time_is_refused(
    case, centre_a, alice, bob, mallory
):
    plan(case, alice, [alice, bob], on(14, 10))
    other = make_case(centre_a, alice)
    with pytest.raises(ValidationError) as refused:
        plan(other, alice, [mallory, bob], on(14, 10, 30))
    message = refusal(refused)
    assert str(bob) in message and "訪問" in message and "09:30〜11:30" in message
    assert HomeVisit.objects.count() == 1


def test_a_visit_clashing_with_an_ibasho_duty_is_refused(case, centre_a, alice, bob):
    ibasho_duty(centre_a, bob, [bob], on(14, 13), on(14, 16))
    with pytest.raises(ValidationError) as refused:
        plan(case, alice, [alice, bob], on(14, 14))
    message = refusal(refused)
    assert "居場所" in message and "13:00〜16:00" in message
    assert not HomeVisit.objects.exists()


def test_the_travel_buffer_keeps_an_ibasho_duty_from_following_a_visit_too_closely(
    case, centre_a, alice, bob
):
    """A visit ending at 10:00 and an ibasho duty at 10:15, with 30 minutes to get back."""
    visit = plan(case, alice, [alice, bob], on(14, 9))
    with pytest.raises(ValidationError) as refused:
        ibasho_duty(centre_a, bob, [bob], on(14, 10, 15), on(14, 12))
    assert "訪問" in refusal(refused)
    # ...and the other way round: a visit planned just before the ibasho duty.
    services.visit_call_off(visit=visit, by=alice, status="cancelled", reason="家族の都合")
    ibasho_duty(centre_a, bob, [bob], on(14, 10, 15), on(14, 12))
    with pytest.raises(ValidationError) as refused_too:
        plan(case, alice, [alice, bob], on(14, 9))
    assert "居場所" in refusal(refused_too)
    # Outside the buffer, or with a centre that books none, both fit.
    plan(case, alice, [alice, bob], on(14, 8, 30), minutes=75)  # ends 9:45, back by 10:15
    case.centre.visit_travel_buffer_minutes = 10
    case.centre.save()
    plan(case, alice, [alice, bob], on(15, 9))
    ibasho_duty(case.centre, bob, [bob], on(15, 10, 15), on(15, 12))


def test_a_visit_called_off_gives_its_staff_their_time_back(case, alice, bob):
    for status in ("cancelled", "postponed", "missed"):
        visit = plan(case, alice, [alice, bob], on(14, 10))
        # Missed: once its time has come (a visit ahead can't have been missed yet).
        when = on(14, 11) if status == "missed" else NOW
        with time_machine.travel(when, tick=False):
            services.visit_call_off(visit=visit, by=alice, status=status, reason="本人の体調不良")
        assert not StaffBooking.objects.filter(visit=visit).exists()
    again = plan(case, alice, [alice, bob], on(14, 10))
    assert len(booked(again)) == 2


def test_moving_a_visit_moves_its_booking(case, centre_a, alice, bob, mallory):
    visit = plan(case, alice, [alice, bob], on(14, 10))
    services.visit_update(
        visit=visit,
        by=alice,
        expected_version=visit.version,
        starts_at=on(14, 14),
        ends_at=on(14, 15),
        purpose=visit.purpose,
        staff=[alice, mallory],
    )
    assert [(user, start) for user, start, _end in booked(visit)] == [
        ("alice", on(14, 13, 30)),
        ("mallory", on(14, 13, 30)),
    ]
    other = make_case(centre_a, alice)
    plan(other, bob, [bob, alice], on(14, 10))  # the old time is free again
    with pytest.raises(ValidationError) as refused:
        plan(other, bob, [bob, mallory], on(14, 14, 30))
    assert "訪問" in refusal(refused)


def test_a_move_onto_another_duty_is_refused_and_keeps_the_old_booking(case, centre_a, alice, bob):
    ibasho_duty(centre_a, bob, [bob], on(14, 13), on(14, 16))
    visit = plan(case, alice, [alice, bob], on(14, 10))
    before = booked(visit)
    with pytest.raises(ValidationError) as refused:
        services.visit_update(
            visit=visit,
            by=alice,
            expected_version=visit.version,
            starts_at=on(14, 15),
            ends_at=on(14, 16),
            purpose=visit.purpose,
            staff=[alice, bob],
        )
    assert "居場所" in refusal(refused)
    visit.refresh_from_db()
    assert visit.starts_at == on(14, 10) and booked(visit) == before


def test_a_postponed_visit_is_booked_again_at_its_new_date(case, alice, bob):
    visit = plan(case, alice, [alice, bob], on(14, 10))
    services.visit_call_off(visit=visit, by=alice, status="postponed", reason="本人の希望")
    visit.refresh_from_db()
    services.visit_update(
        visit=visit,
        by=alice,
        expected_version=visit.version,
        starts_at=on(21, 10),
        ends_at=on(21, 11),
        purpose=visit.purpose,
        staff=[alice, bob],
    )
    visit.refresh_from_db()
    assert visit.status == VisitStatus.PLANNED and visit.status_reason == ""
    assert [start for _user, start, _end in booked(visit)] == [on(21, 9, 30)] * 2


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_plans_for_the_same_staff_and_time_only_one_wins(centre_a, alice, bob):
    """Both requests pass the clash check before either commits: the exclusion constraint
    makes the second wait for the first, then refuses it with the same clear message."""
    cases = [make_case(centre_a, alice) for _ in range(2)]
    both_checked = threading.Barrier(2)
    outcomes: list[object] = []
    original = services.bookings._first_clash

    def clash_check_then_wait(*args, **kwargs):
        found = original(*args, **kwargs)
        if found is None:
            both_checked.wait(timeout=10)
        return found

    def request(case) -> None:
        try:
            with time_machine.travel(NOW, tick=False):
                outcomes.append(plan(case, alice, [alice, bob], on(14, 10)))
        except ValidationError as error:
            outcomes.append(error)
        finally:
            connection.close()

    services.bookings._first_clash = clash_check_then_wait  # type: ignore[assignment]
    try:
        threads = [threading.Thread(target=request, args=(c,)) for c in cases]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        services.bookings._first_clash = original  # type: ignore[assignment]
    won = [o for o in outcomes if isinstance(o, HomeVisit)]
    lost = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(won) == 1 and len(lost) == 1
    message = " ".join(lost[0].message_dict["staff"])
    assert "別の予定" in message and "訪問" in message
    assert not any(secret in message for secret in SECRETS)
    assert list(HomeVisit.objects.values_list("pk", flat=True)) == [won[0].pk]
    assert StaffBooking.objects.filter(visit=won[0]).count() == 2
    assert StaffBooking.objects.count() == 2


def test_staff_of_another_centre_cannot_be_booked(case, centre_b, alice):
    outsider = UserFactory(role=Role.COUNSELLOR, centre=centre_b)
    with pytest.raises(ValidationError) as refused:
        plan(case, alice, [alice, outsider], on(14, 10))
    assert "staff" in refused.value.message_dict
    assert not StaffBooking.objects.exists()
