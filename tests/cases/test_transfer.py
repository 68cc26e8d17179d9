"""Handing cases over (cases.services.transfer): one case, a leaving counsellor's caseload as
previewed, and a move to another centre. The silence clock never moves."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import AuditEvent, Role
from cases import selectors, services
from cases.choices import CaseStatus, ClosureReason, SilenceStage
from cases.models import Case, CaseAssignment, CaseSensitiveInfo, ContactEntry
from tests.factories import UserFactory, make_case, make_cases, record_contact

pytestmark = pytest.mark.django_db

CLOCK = ("last_two_way_contact_at", "silence_clock_started_at", "next_check_at", "silence_stage")


def _clock(case):
    case.refresh_from_db()
    return {name: getattr(case, name) for name in CLOCK}


def _reminded(case):
    """A case whose silence has been noticed: the sweep's stage and schedule on it."""
    Case.objects.filter(pk=case.pk).update(
        silence_stage=SilenceStage.REMINDED,
        silence_clock_started_at=timezone.now() - dt.timedelta(days=33),
        next_check_at=timezone.now() + dt.timedelta(days=4),
    )
    case.refresh_from_db()
    return case


@pytest.fixture
def dora(centre_a):
    return UserFactory(username="dora", display_name="Dora", role=Role.COUNSELLOR, centre=centre_a)


@pytest.fixture
def emil(centre_a):
    return UserFactory(username="emil", display_name="Emil", role=Role.COUNSELLOR, centre=centre_a)


def test_reassign_changes_the_counsellor_and_writes_history_without_moving_the_clock(
    alice, dora, mallory, centre_a
):
    case = _reminded(make_case(centre_a, alice, primary_counsellor=alice))
    record_contact(case, alice, at=timezone.now() - dt.timedelta(days=40))
    before = _clock(case)
    version = case.version

    assignment = services.case_reassign(case=case, to=dora, by=mallory, reason="退職")

    case.refresh_from_db()
    assert case.primary_counsellor == dora and case.version == version + 1
    assert _clock(case) == before
    assert (assignment.from_user, assignment.to_user, assignment.by) == (alice, dora, mallory)
    assert AuditEvent.objects.filter(case_id=case.pk, model="cases.caseassignment").exists()
    timeline = [item for item in selectors.case_timeline(case) if item.kind == "assignment"]
    assert [item.obj.pk for item in timeline] == [assignment.pk]


def test_a_counsellor_of_another_centre_cannot_be_given_a_case(alice, charlie, mallory, centre_a):
    case = make_case(centre_a, alice, primary_counsellor=alice)
    with pytest.raises(ValidationError):
        services.case_reassign(case=case, to=charlie, by=mallory)
    case.refresh_from_db()
    assert case.primary_counsellor == alice and not CaseAssignment.objects.exists()


def test_the_plan_balances_by_current_caseload(alice, dora, emil, mallory, centre_a):
    make_cases(centre_a, dora, 3)  # dora has 3 open cases, emil none
    leaving = make_cases(centre_a, alice, 7)

    plan = services.caseload_transfer_plan(centre=centre_a, from_user=alice, to_users=[emil, dora])

    assert [move.case.pk for move in plan.moves] == [case.pk for case in leaving]
    assert plan.before == {dora.pk: 3, emil.pk: 0}
    assert plan.after == {dora.pk: 5, emil.pk: 5}  # dora gets 2, emil 5
    got = [move.to_user.pk for move in plan.moves]
    assert got.count(dora.pk) == 2 and got.count(emil.pk) == 5
    # Greedy and deterministic: emil fills up to 3 first, then ties go by name (Dora first).
    assert got == [emil.pk, emil.pk, emil.pk, dora.pk, emil.pk, dora.pk, emil.pk]
    again = services.caseload_transfer_plan(centre=centre_a, from_user=alice, to_users=[dora, emil])
    assert again.fingerprint == plan.fingerprint


def test_the_plan_takes_open_and_paused_cases_only(alice, dora, mallory, centre_a):
    open_case, paused, closed = make_cases(centre_a, alice, 3)
    services.case_change_status(
        case=paused,
        by=mallory,
        to_status=CaseStatus.PAUSED,
        paused_until=timezone.localdate() + dt.timedelta(days=30),
    )
    services.case_change_status(
        case=closed, by=mallory, to_status=CaseStatus.CLOSED, closure_reason="goal_reached"
    )
    plan = services.caseload_transfer_plan(centre=centre_a, from_user=alice, to_users=[dora])
    assert {move.case.pk for move in plan.moves} == {open_case.pk, paused.pk}


def test_transfer_applies_the_preview_exactly_and_leaves_every_clock(
    alice, dora, emil, mallory, centre_a
):
    make_cases(centre_a, dora, 1)
    cases = make_cases(centre_a, alice, 5)
    _reminded(cases[0])
    clocks = {case.pk: _clock(case) for case in cases}
    plan = services.caseload_transfer_plan(centre=centre_a, from_user=alice, to_users=[dora, emil])

    assignments = services.caseload_transfer(plan=plan, by=mallory, reason="退職")

    result = dict(Case.objects.filter(pk__in=clocks).values_list("pk", "primary_counsellor_id"))
    assert result == {move.case.pk: move.to_user.pk for move in plan.moves}
    assert {case.pk: _clock(case) for case in cases} == clocks
    assert len(assignments) == 5
    for case in cases:
        kinds = [item.kind for item in selectors.case_timeline(case)]
        assert kinds.count("assignment") == 1
    assert not Case.objects.filter(primary_counsellor=alice).exists()


def test_a_stale_preview_is_refused_and_changes_nothing(alice, dora, mallory, centre_a):
    cases = make_cases(centre_a, alice, 3)
    plan = services.caseload_transfer_plan(centre=centre_a, from_user=alice, to_users=[dora])
    make_case(centre_a, alice, primary_counsellor=alice)  # a new case since the preview

    with pytest.raises(services.StalePlan):
        services.caseload_transfer(plan=plan, by=mallory)

    assert Case.objects.filter(primary_counsellor=alice).count() == 4
    assert not CaseAssignment.objects.exists()
    assert all(Case.objects.get(pk=c.pk).version == c.version for c in cases)


def test_a_preview_is_refused_once_applied(alice, dora, mallory, centre_a):
    make_cases(centre_a, alice, 2)
    plan = services.caseload_transfer_plan(centre=centre_a, from_user=alice, to_users=[dora])
    services.caseload_transfer(plan=plan, by=mallory)
    with pytest.raises(ValidationError):
        services.caseload_transfer(plan=plan, by=mallory)
    assert CaseAssignment.objects.count() == 2


def test_a_colleague_of_another_centre_is_refused_in_a_bulk_transfer(
    alice, charlie, mallory, centre_a
):
    make_cases(centre_a, alice, 2)
    plan = services.caseload_transfer_plan(centre=centre_a, from_user=alice, to_users=[charlie])
    with pytest.raises(services.StalePlan):
        services.caseload_transfer(plan=plan, by=mallory)
    assert Case.objects.filter(primary_counsellor=alice).count() == 2


@pytest.fixture
def both_centres_manager(mallory, centre_b):
    mallory.centres.add(centre_b)
    return mallory


def test_a_move_opens_a_new_numbered_case_at_the_new_centre_linked_both_ways(
    alice, charlie, both_centres_manager, centre_a, centre_b
):
    make_case(centre_b, charlie)  # centre B has used S-0001
    case = make_case(centre_a, alice, primary_counsellor=alice, gender="female")
    CaseSensitiveInfo.objects.filter(case=case).update(conditions="うつ病の診断あり")
    record_contact(case, alice, at=timezone.now() - dt.timedelta(days=3))
    record_contact(case, alice, two_way=False)
    case.refresh_from_db()
    clock = _clock(case)

    new = services.case_move_to_centre(
        case=case, to_centre=centre_b, by=both_centres_manager, reason="転居", counsellor=charlie
    )

    new = Case.objects.get(pk=new.pk)
    case.refresh_from_db()
    assert new.centre == centre_b and new.case_number == "S-0002"
    assert new.transferred_from == case and case.transferred_to == new
    assert (new.family_name, new.gender) == (case.family_name, "female")
    assert new.primary_counsellor == charlie and new.status == CaseStatus.OPEN
    assert {name: getattr(new, name) for name in CLOCK} == clock
    assert case.status == CaseStatus.CLOSED
    assert case.closure_reason == ClosureReason.TRANSFERRED
    assert ContactEntry.objects.filter(case=case).count() == 2
    assert not ContactEntry.objects.filter(case=new).exists()
    assert new.sensitive.conditions == "うつ病の診断あり"
    history = new.assignments.get()
    assert (history.from_user, history.to_user) == (alice, charlie)


def test_a_move_keeps_a_reminded_silence_on_schedule(
    alice, both_centres_manager, centre_a, centre_b
):
    case = _reminded(make_case(centre_a, alice, primary_counsellor=alice))
    new = services.case_move_to_centre(case=case, to_centre=centre_b, by=both_centres_manager)
    new.refresh_from_db()
    assert new.silence_stage == SilenceStage.REMINDED
    assert new.next_check_at == case.next_check_at  # same cadence at both centres


def test_only_a_member_of_both_centres_may_move_a_case(mallory, alice, centre_a, centre_b):
    case = make_case(centre_a, alice, primary_counsellor=alice)
    with pytest.raises(ValidationError):
        services.case_move_to_centre(case=case, to_centre=centre_b, by=mallory)
    assert not Case.objects.filter(centre=centre_b).exists()
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN


def test_a_move_refuses_a_counsellor_of_the_old_centre(
    alice, both_centres_manager, centre_a, centre_b
):
    case = make_case(centre_a, alice, primary_counsellor=alice)
    with pytest.raises(ValidationError):
        services.case_move_to_centre(
            case=case, to_centre=centre_b, by=both_centres_manager, counsellor=alice
        )
    assert not Case.objects.filter(centre=centre_b).exists()


def test_a_closed_case_cannot_be_moved(alice, both_centres_manager, centre_a, centre_b):
    case = make_case(centre_a, alice)
    services.case_change_status(
        case=case, by=alice, to_status=CaseStatus.CLOSED, closure_reason="goal_reached"
    )
    with pytest.raises(ValidationError):
        services.case_move_to_centre(case=case, to_centre=centre_b, by=both_centres_manager)


def test_the_timeline_reads_the_history_in_one_query_however_long(
    alice, dora, mallory, centre_a, django_assert_num_queries
):
    case = make_case(centre_a, alice, primary_counsellor=alice)
    services.case_reassign(case=case, to=dora, by=mallory)
    with django_assert_num_queries(1):  # the kinds together, one UNION ALL
        selectors.case_timeline(case)
    for to in [alice, dora] * 10:
        services.case_reassign(case=case, to=to, by=mallory)
    with django_assert_num_queries(1):
        timeline = selectors.case_timeline(case)
        names = [str(item.obj.to_user) for item in timeline if item.kind == "assignment"]
    assert len(names) == 21 and names[0] == str(dora)


def test_the_assignment_message_carries_the_case_number_only(alice, centre_a):
    from reminders import notification_texts

    case = make_case(centre_a, alice, primary_counsellor=alice)
    context = {"case_id": case.pk, "case_number": case.case_number}
    subject, body = notification_texts.render("case_assigned", context, "ja")
    assert case.case_number in subject and f"/cases/{case.pk}/" in body
    assert case.family_name not in subject + body
    with pytest.raises(notification_texts.UnsafeContext):
        notification_texts.check_context("case_assigned", {**context, "reason": "退職"})
