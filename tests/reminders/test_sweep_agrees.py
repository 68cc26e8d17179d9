"""The sweep's SQL repeats two rules that are defined once in Python, for speed: when a case's
next check is due (`Case.next_silence_check_at`) and who may own a case
(`cases.models.case_owners`). These tests run both definitions on the same cases and
require the same answers, so that changing one without the other fails here."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError

from accounts.models import Role
from cases import services as case_services
from cases.choices import CaseStatus, SilenceStage
from cases.forms import CaseForm
from cases.models import Case, case_owners
from reminders import services
from reminders.models import Notification
from tests.factories import CentreFactory, UserFactory, make_case

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 4, 1, 0, 30, tzinfo=dt.UTC)  # 09:30 in Tokyo

# (follow-up interval, escalation grace) of the case: None takes the centre's (30, 7).
CADENCES = [(None, None), (10, None), (None, 3), (14, 2)]
# How late the sweep comes after the case fell due: on time, minutes, days, beyond the grace.
LATENESS = [
    dt.timedelta(0),
    dt.timedelta(minutes=5),
    dt.timedelta(days=3),
    dt.timedelta(days=20),
]


def cases_with_every_cadence(centre, owner) -> list[Case]:
    with time_machine.travel(START, tick=False):
        return [
            make_case(
                centre,
                owner,
                primary_counsellor=owner,
                followup_interval_days=interval,
                escalation_grace_days=grace,
            )
            for interval, grace in CADENCES
        ]


def sweep(now: dt.datetime) -> services.SweepResult:
    return services.sweep_silence(now=now, announce_delivery=lambda: None)


@pytest.mark.parametrize("late", LATENESS, ids=str)
@pytest.mark.parametrize(("interval", "grace"), CADENCES)
def test_the_sweep_and_python_schedule_the_same_next_check_at_every_stage(
    interval, grace, late, centre_a, alice
):
    with time_machine.travel(START, tick=False):
        case = make_case(
            centre_a,
            alice,
            primary_counsellor=alice,
            followup_interval_days=interval,
            escalation_grace_days=grace,
        )
    # Python's schedule of a fresh (ok) case is what the sweep will find due.
    assert case.next_check_at == case.next_silence_check_at()
    assert case.next_check_at == START + dt.timedelta(days=case.effective_followup_days)

    # ok -> reminded, swept `late` after the case fell due.
    reminded_at = case.next_check_at + late
    assert sweep(reminded_at).reminded == 1
    case.refresh_from_db()
    assert case.silence_stage == SilenceStage.REMINDED
    assert case.next_check_at == case.next_silence_check_at(reminded_at=reminded_at)
    # The counsellor always gets the whole grace after the reminder.
    assert case.next_check_at >= reminded_at + dt.timedelta(days=case.effective_grace_days)

    # reminded -> escalated: nothing left to check, in SQL as in Python.
    assert sweep(case.next_check_at + late).escalated == 1
    case.refresh_from_db()
    assert case.silence_stage == SilenceStage.ESCALATED
    assert case.next_check_at is None
    assert case.next_silence_check_at() is None


def test_python_without_the_reminder_time_is_the_on_time_sweep(centre_a, alice):
    (case,) = cases_with_every_cadence(centre_a, alice)[:1]
    sweep(case.next_check_at)
    case.refresh_from_db()
    assert case.next_check_at == case.next_silence_check_at()


def test_resumed_pauses_are_scheduled_as_python_schedules_an_open_case(centre_a, alice):
    cases = cases_with_every_cadence(centre_a, alice)
    resume_on = dt.date(2026, 4, 20)
    with time_machine.travel(START + dt.timedelta(days=1), tick=False):
        for case in cases:
            case_services.case_change_status(
                case=case, by=alice, to_status=CaseStatus.PAUSED, paused_until=resume_on
            )
    resumed = case_services.cases_resume_expired_pauses(today=resume_on)
    assert resumed == len(cases)
    for case in cases:
        case.refresh_from_db()
        assert (case.status, case.silence_stage) == (CaseStatus.OPEN, SilenceStage.OK)
        assert case.next_check_at == case.next_silence_check_at()


def test_changing_the_cadence_of_a_reminded_case_keeps_the_grace_counted_from_the_reminder(
    centre_a, alice
):
    case = cases_with_every_cadence(centre_a, alice)[0]
    reminded_at = case.next_check_at + dt.timedelta(days=3)  # the sweep was down for days
    sweep(reminded_at)
    case.refresh_from_db()
    with time_machine.travel(reminded_at + dt.timedelta(hours=1), tick=False):
        case_services.case_update(
            case=case, by=alice, changes={"escalation_grace_days": 2}, expected_version=1
        )
    case.refresh_from_db()
    # Not the clock plus interval plus grace (already past: an instant escalation).
    assert case.next_check_at == reminded_at + dt.timedelta(days=2)
    assert case.next_check_at == case.next_silence_check_at(reminded_at=reminded_at)


# --- who may own a case --------------------------------------------------------------------


def test_the_sweep_routes_reminders_to_exactly_the_owners_python_allows(centre_a, centre_b):
    manager = UserFactory(role=Role.MANAGER, centre=centre_a)
    candidates = {
        "counsellor": UserFactory(role=Role.COUNSELLOR, centre=centre_a),
        "manager": manager,
        "staff": UserFactory(role=Role.STAFF, centre=centre_a),
        "admin": UserFactory(role=Role.ADMIN, centre=centre_a),
        "left": UserFactory(role=Role.COUNSELLOR, centre=centre_a, is_active=False),
        "other centre": UserFactory(role=Role.COUNSELLOR, centre=centre_b),
    }
    with time_machine.travel(START, tick=False):
        owned = {}
        for label, user in candidates.items():
            case = make_case(centre_a, manager)
            # As a row written before the rule, or by hand in the database: the sweep must
            # still agree with Python about whether this owner counts.
            Case.objects.filter(pk=case.pk).update(primary_counsellor=user)
            owned[label] = case
    sweep(START + dt.timedelta(days=31))

    allowed = set(case_owners(centre_a).values_list("pk", flat=True))
    assert allowed == {candidates["counsellor"].pk, manager.pk}
    for label, case in owned.items():
        owner = candidates[label]
        reminded_as_owner = Notification.objects.filter(
            case=case, recipient=owner, context__owner=True
        ).exists()
        assert reminded_as_owner == (owner.pk in allowed), label
        if owner.pk not in allowed:
            # Nobody owns it: the centre's manager hears at once.
            assert Notification.objects.filter(case=case, recipient=manager).exists(), label


@pytest.mark.parametrize("role", [Role.STAFF, Role.ADMIN])
def test_a_service_refuses_an_owner_the_rule_does_not_allow(role, centre_a, alice):
    not_an_owner = UserFactory(role=role, centre=centre_a)
    with pytest.raises(ValidationError) as refused:
        make_case(centre_a, alice, primary_counsellor=not_an_owner)
    assert "primary_counsellor" in refused.value.message_dict
    case = make_case(centre_a, alice, primary_counsellor=alice)
    with pytest.raises(ValidationError):
        case_services.case_update(
            case=case, by=alice, changes={"primary_counsellor": not_an_owner}, expected_version=1
        )


def test_a_service_refuses_an_owner_who_left_or_works_elsewhere(centre_a, alice):
    left = UserFactory(role=Role.COUNSELLOR, centre=centre_a, is_active=False)
    elsewhere = UserFactory(role=Role.COUNSELLOR, centre=CentreFactory())
    for owner in (left, elsewhere):
        with pytest.raises(ValidationError):
            make_case(centre_a, alice, primary_counsellor=owner)


def test_the_case_form_offers_exactly_the_owners_the_rule_allows(centre_a, centre_b, alice):
    UserFactory(role=Role.STAFF, centre=centre_a)
    UserFactory(role=Role.COUNSELLOR, centre=centre_a, is_active=False)
    UserFactory(role=Role.COUNSELLOR, centre=centre_b)
    manager = UserFactory(role=Role.MANAGER, centre=centre_a)
    form = CaseForm(centre=centre_a)
    offered = set(form.fields["primary_counsellor"].queryset)
    assert offered == set(case_owners(centre_a)) == {alice, manager}


def test_case_numbers_read_the_same_in_python_and_in_the_sweep(centre_a, alice):
    with time_machine.travel(START, tick=False):
        short = make_case(centre_a, alice, primary_counsellor=alice)
    assert short.case_number == "K-0001"
    sweep(START + dt.timedelta(days=31))
    numbers = set(Notification.objects.values_list("context__case_number", flat=True))
    assert numbers == {short.case_number}
