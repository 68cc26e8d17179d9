"""The rules that keep a home visit from surprising the person, through the one service module:
the notice period (from today while it is planned, from the announcement once it is made,
the centre's own setting), only a manager setting a rule aside (with a reason, audited), no
confirmation without an announcement, the briefing gate (asked again after a change to the
risk flags) and the pair rule, at planning and at the door."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import AuditAction, AuditEvent, Role
from cases import services as case_services
from cases.models import Case
from outreach import services
from outreach.models import (
    EmergencyGround,
    HomeVisit,
    VisitOverride,
    VisitRule,
    VisitStatus,
)
from outreach.services import OverrideRequest
from tests.factories import UserFactory, make_case
from tests.outreach.visit_clock import NOW, at, on

pytestmark = pytest.mark.django_db

HOUR = dt.timedelta(hours=1)


@pytest.fixture
def case(centre_a, alice):
    with at(NOW - dt.timedelta(days=30)):
        return make_case(centre_a, alice, primary_counsellor=alice)


def plan(case, by, *, days: int = 14, staff=None, **extra) -> HomeVisit:
    starts_at = on(days)
    return services.visit_plan(
        case=case,
        by=by,
        starts_at=starts_at,
        ends_at=starts_at + HOUR,
        purpose="近況をうかがう",
        staff=staff if staff is not None else [by],
        **extra,
    )


def announce(visit: HomeVisit, by, *, made_at: dt.datetime, response: str = "agreed"):
    return services.visit_announce(
        visit=visit,
        by=by,
        method="phone",
        made_at=made_at,
        recipient="person",
        response=response,
    )


def status(visit: HomeVisit) -> str:
    visit.refresh_from_db()
    return visit.status


def field_errors(error: pytest.ExceptionInfo[ValidationError], field: str) -> str:
    return " ".join(error.value.message_dict[field])


def override_audited(override: VisitOverride, by) -> bool:
    return AuditEvent.objects.filter(
        model="outreach.visitoverride",
        object_id=override.pk,
        action=AuditAction.CREATE,
        user=by,
        case_id=override.visit.case_id,
        changed_fields=[override.rule],
    ).exists()


# --- the notice period ---------------------------------------------------------------------------


def test_a_visit_not_yet_announced_is_planned_the_notice_period_from_today(case, alice, bob):
    with at(NOW):
        with pytest.raises(ValidationError) as refused:
            plan(case, alice, days=6, staff=[alice, bob])
        message = field_errors(refused, "starts_at")
        assert "2026年11月9日" in message and "7日後" in message  # the earliest day, and why
        assert not HomeVisit.objects.exists()
        visit = plan(case, alice, days=7, staff=[alice, bob])
    assert visit.status == VisitStatus.PLANNED


def test_the_notice_period_counts_from_the_day_the_announcement_was_made(case, alice, bob):
    with at(NOW):
        visit = plan(case, alice, days=14, staff=[alice, bob])
    # Announced on day 8: the visit would come 6 days after. Refused, and nothing recorded.
    with at(on(8, 11)), pytest.raises(ValidationError) as refused:
        announce(visit, alice, made_at=on(8, 9))
    assert "made_at" in refused.value.message_dict
    assert status(visit) == VisitStatus.PLANNED and not visit.announcements.exists()
    # A letter posted on day 7 and recorded two days later: 7 days before the visit.
    with at(on(9, 11)):
        announce(visit, alice, made_at=on(7, 9), response="no_answer")
    assert status(visit) == VisitStatus.ANNOUNCED


def test_an_announcement_made_on_time_lets_the_visit_be_confirmed_later(case, alice, bob):
    with at(NOW):
        visit = plan(case, alice, days=14, staff=[alice, bob])
    with at(on(7, 9)):
        announce(visit, alice, made_at=on(7, 9), response="no_answer")
    # No refusal since the announcement a week before: the visit is confirmed three days later.
    with at(on(10, 15)):
        services.visit_confirm(visit=visit, by=alice)
    assert status(visit) == VisitStatus.CONFIRMED


def test_the_centre_s_own_notice_period_is_respected(case, centre_a, alice, bob):
    centre_a.visit_notice_days = 10
    centre_a.save()
    case = Case.objects.select_related("centre").get(pk=case.pk)
    with at(NOW):
        with pytest.raises(ValidationError, match="10日"):
            plan(case, alice, days=9, staff=[alice, bob])
        visit = plan(case, alice, days=14, staff=[alice, bob])
    with at(on(5, 9)), pytest.raises(ValidationError):
        announce(visit, alice, made_at=on(5, 9))  # 9 days before
    with at(on(4, 9)):
        announce(visit, alice, made_at=on(4, 9), response="no_answer")  # 10 days before
    assert status(visit) == VisitStatus.ANNOUNCED


def test_confirming_checks_the_notice_period_the_centre_asks_for_now(case, centre_a, alice, bob):
    with at(NOW):
        visit = plan(case, alice, days=14, staff=[alice, bob])
    with at(on(7, 9)):
        announce(visit, alice, made_at=on(7, 9), response="no_answer")
    centre_a.visit_notice_days = 10  # the centre asks for more notice since
    centre_a.save()
    with at(on(8)), pytest.raises(ValidationError, match="10日"):
        services.visit_confirm(visit=visit, by=alice)
    assert status(visit) == VisitStatus.ANNOUNCED


def test_a_visit_without_an_announcement_cannot_be_confirmed(case, alice, bob):
    with at(NOW):
        visit = plan(case, alice, days=14, staff=[alice, bob])
        with pytest.raises(ValidationError, match="予告"):
            services.visit_confirm(visit=visit, by=alice)
    assert status(visit) == VisitStatus.PLANNED


def test_a_manager_s_emergency_override_lets_an_unannounced_visit_be_confirmed(
    case, alice, bob, mallory
):
    with at(NOW):
        visit = plan(case, alice, days=14, staff=[alice, bob])
        override = services.visit_override(
            visit=visit,
            by=mallory,
            rule=VisitRule.NOTICE_PERIOD,
            ground=EmergencyGround.FAMILY_REQUEST,
            reason="母親から、本人が数日食事をとっていないと緊急の連絡",
        )
        services.visit_confirm(visit=visit, by=alice)
    assert status(visit) == VisitStatus.CONFIRMED
    assert override_audited(override, mallory)


# --- overrides: a manager's, with a reason, audited ---------------------------------------------


def test_a_manager_plans_an_emergency_visit_tomorrow_with_a_reason_and_it_is_audited(
    case, alice, bob, mallory
):
    request = OverrideRequest(
        rule=VisitRule.NOTICE_PERIOD,
        ground=EmergencyGround.POLICE_WELFARE_CHECK,
        reason="警察から安否確認の依頼",
    )
    with at(NOW):
        visit = plan(case, mallory, days=1, staff=[alice, bob], overrides=[request])
    (override,) = visit.overrides.all()
    assert (override.rule, override.ground, override.by) == (
        VisitRule.NOTICE_PERIOD,
        EmergencyGround.POLICE_WELFARE_CHECK,
        mallory,
    )
    assert override_audited(override, mallory)
    assert AuditEvent.objects.filter(
        model="outreach.homevisit", object_id=visit.pk, action=AuditAction.CREATE
    ).exists()


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (OverrideRequest(rule=VisitRule.NOTICE_PERIOD, ground="police", reason="  "), "reason"),
        (OverrideRequest(rule=VisitRule.NOTICE_PERIOD, reason="警察からの依頼"), "ground"),
        (OverrideRequest(rule=VisitRule.PAIR, reason=""), "reason"),
    ],
)
def test_an_override_needs_a_reason_and_for_the_notice_period_an_emergency(
    case, alice, bob, mallory, request_, field
):
    with at(NOW), pytest.raises(ValidationError) as refused:
        plan(case, mallory, days=1, staff=[alice], overrides=[request_])
    assert f"override_{field}" in refused.value.message_dict
    assert not HomeVisit.objects.exists() and not VisitOverride.objects.exists()
    with at(NOW):
        visit = plan(case, alice, days=14, staff=[alice, bob])
        with pytest.raises(ValidationError) as refused_later:
            services.visit_override(
                visit=visit,
                by=mallory,
                rule=request_.rule,
                ground=request_.ground,
                reason=request_.reason,
            )
    assert f"override_{field}" in refused_later.value.message_dict
    assert not VisitOverride.objects.exists()


def test_an_override_must_name_a_rule_and_a_known_emergency(case, alice, bob, mallory):
    with at(NOW):
        visit = plan(case, alice, days=14, staff=[alice, bob])
        with pytest.raises(ValidationError):
            services.visit_override(visit=visit, by=mallory, rule="curfew", reason="理由")
        with pytest.raises(ValidationError):
            services.visit_override(
                visit=visit,
                by=mallory,
                rule=VisitRule.NOTICE_PERIOD,
                ground="boredom",
                reason="理由",
            )
    assert not VisitOverride.objects.exists()


@pytest.mark.parametrize("username", ["alice", "bob"])
def test_only_a_manager_may_override_a_rule(case, alice, bob, mallory, username):
    user = {"alice": alice, "bob": bob}[username]
    emergency = OverrideRequest(
        rule=VisitRule.NOTICE_PERIOD, ground="risk_to_life", reason="本人から希死念慮の連絡"
    )
    with at(NOW), pytest.raises(PermissionDenied):
        plan(case, user, days=1, staff=[alice, bob], overrides=[emergency])
    assert not HomeVisit.objects.exists()
    with at(NOW):
        visit = plan(case, alice, days=14, staff=[alice, bob])
    for rule in VisitRule.values:
        with at(NOW), pytest.raises(PermissionDenied):
            services.visit_override(
                visit=visit, by=user, rule=rule, ground="risk_to_life", reason="理由"
            )
    assert not VisitOverride.objects.exists()
    assert not AuditEvent.objects.filter(model="outreach.visitoverride").exists()


def test_a_system_admin_cannot_override_a_visit_rule_either(case, centre_a, alice, bob):
    admin = UserFactory(role=Role.ADMIN, centre=centre_a)
    with at(NOW):
        visit = plan(case, alice, days=14, staff=[alice, bob])
        with pytest.raises(PermissionDenied):
            services.visit_override(visit=visit, by=admin, rule=VisitRule.PAIR, reason="理由")


def test_a_notice_override_after_planning_lets_a_late_announcement_through(
    case, alice, bob, mallory
):
    with at(NOW):
        visit = plan(case, alice, days=14, staff=[alice, bob])
    with at(on(10)):
        with pytest.raises(ValidationError):
            announce(visit, alice, made_at=on(10))
        services.visit_override(
            visit=visit,
            by=mallory,
            rule=VisitRule.NOTICE_PERIOD,
            ground=EmergencyGround.RISK_TO_LIFE,
            reason="家族から、本人の自傷の恐れがあるとの連絡",
        )
        announce(visit, alice, made_at=on(10))
    assert status(visit) == VisitStatus.CONFIRMED


# --- the pair rule at planning --------------------------------------------------------------------


def test_one_staff_member_alone_is_refused_while_the_centre_s_pair_rule_is_on(
    case, centre_a, alice, mallory
):
    assert centre_a.pair_visit_required
    with at(NOW), pytest.raises(ValidationError) as refused:
        plan(case, alice, staff=[alice])
    assert "staff" in refused.value.message_dict
    # A manager lets one go alone, with a reason (no emergency needed), audited.
    with at(NOW):
        visit = plan(
            case,
            mallory,
            staff=[alice],
            overrides=[OverrideRequest(rule=VisitRule.PAIR, reason="家族の希望で1名のみ")],
        )
    (override,) = visit.overrides.all()
    assert override.rule == VisitRule.PAIR and override_audited(override, mallory)


def test_one_staff_member_alone_is_fine_where_the_centre_has_no_pair_rule(case, centre_a, alice):
    centre_a.pair_visit_required = False
    centre_a.save()
    case = Case.objects.select_related("centre").get(pk=case.pk)
    with at(NOW):
        visit = plan(case, alice, staff=[alice])
    assert list(visit.staff.all()) == [alice] and not visit.overrides.exists()


# --- the gates at the door: briefing and pair ---------------------------------------------------


def confirmed(case, by, staff, *, days: int = 14) -> HomeVisit:
    with at(NOW):
        visit = plan(case, by, days=days, staff=staff)
        announce(visit, by, made_at=NOW)
    visit.refresh_from_db()
    return visit


def acknowledge(visit: HomeVisit, *users) -> None:
    for user in users:
        with at(NOW + HOUR):
            services.briefing_acknowledge(visit=visit, by=user)


def test_a_visit_starts_only_once_every_assignee_acknowledged_the_briefing(case, alice, bob):
    visit = confirmed(case, alice, [alice, bob])
    acknowledge(visit, alice)
    with at(on(14, 9, 55)):
        with pytest.raises(ValidationError) as refused:
            services.visit_check_in(visit=visit, by=alice)
        assert str(bob) in " ".join(refused.value.messages)
        assert status(visit) == VisitStatus.CONFIRMED
        services.briefing_acknowledge(visit=visit, by=bob)
        services.visit_check_in(visit=visit, by=alice)
    visit.refresh_from_db()
    assert visit.status == VisitStatus.IN_PROGRESS
    assert (visit.checked_in_at, visit.checked_in_by) == (on(14, 9, 55), alice)


def test_a_manager_lets_a_visit_start_without_every_briefing(case, alice, bob, mallory):
    visit = confirmed(case, alice, [alice, bob])
    acknowledge(visit, alice)
    with at(on(14, 9, 30)):
        override = services.visit_override(
            visit=visit,
            by=mallory,
            rule=VisitRule.BRIEFING,
            reason="鈴木さんは電話で口頭説明を受けた",
        )
        services.visit_check_in(visit=visit, by=alice)
    assert status(visit) == VisitStatus.IN_PROGRESS
    assert override_audited(override, mallory)


@pytest.mark.parametrize("how", ["case_update", "direct_save"])
def test_a_change_to_the_risk_flags_asks_every_assignee_again(case, alice, bob, how):
    visit = confirmed(case, alice, [alice, bob])
    acknowledge(visit, alice, bob)
    with at(NOW + 2 * HOUR):
        if how == "case_update":
            case_services.case_update(
                case=case, by=alice, expected_version=case.version, changes={"risk_violence": True}
            )
        else:
            Case.objects.filter(pk=case.pk).update(risk_violence=True)
    with at(on(14, 9, 55)):
        with pytest.raises(ValidationError) as refused:
            services.visit_check_in(visit=visit, by=alice)
        message = " ".join(refused.value.messages)
        assert str(alice) in message and str(bob) in message
        services.briefing_acknowledge(visit=visit, by=alice)
        with pytest.raises(ValidationError):
            services.visit_check_in(visit=visit, by=alice)
        services.briefing_acknowledge(visit=visit, by=bob)
        services.visit_check_in(visit=visit, by=bob)
    assert status(visit) == VisitStatus.IN_PROGRESS


def test_the_pair_rule_turned_on_after_planning_stops_a_visit_alone_at_the_door(
    case, centre_a, alice, mallory
):
    centre_a.pair_visit_required = False
    centre_a.save()
    case = Case.objects.select_related("centre").get(pk=case.pk)
    visit = confirmed(case, alice, [alice])
    acknowledge(visit, alice)
    centre_a.pair_visit_required = True
    centre_a.save()
    with at(on(14, 9, 55)):
        with pytest.raises(ValidationError, match="2名"):
            services.visit_check_in(visit=visit, by=alice)
        services.visit_override(
            visit=visit, by=mallory, rule=VisitRule.PAIR, reason="同行予定の職員が急病"
        )
        services.visit_check_in(visit=visit, by=alice)
    assert status(visit) == VisitStatus.IN_PROGRESS


def test_only_the_assignees_and_casework_roles_check_in(case, centre_a, alice, bob):
    other_staff = UserFactory(role=Role.STAFF, centre=centre_a)
    second = UserFactory(role=Role.COUNSELLOR, centre=centre_a)
    visit = confirmed(case, alice, [alice, second])
    acknowledge(visit, alice, second)
    with at(on(14, 9, 55)):
        for outsider in (bob, other_staff):
            with pytest.raises(PermissionDenied):
                services.visit_check_in(visit=visit, by=outsider)
        services.visit_check_in(visit=visit, by=second)
    assert status(visit) == VisitStatus.IN_PROGRESS


def test_a_check_in_long_before_the_visit_is_refused(case, alice, bob):
    visit = confirmed(case, alice, [alice, bob])
    acknowledge(visit, alice, bob)
    with at(on(14, 7, 59)), pytest.raises(ValidationError, match="2時間前"):
        services.visit_check_in(visit=visit, by=alice)
    assert status(visit) == VisitStatus.CONFIRMED
