"""How a visit ends, and how it reaches the case's one timeline: the outcome writes a contact
entry (channel 訪問), two-way only when someone was met or answered, so a letter left or no
answer does not reset the silence clock; the report written later corrects that entry's note;
a "no" at the announcement cancels the visit, is kept on the timeline and offers a next step;
"another date, please" postpones it until it is given one. Every write is audited."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import AuditAction, AuditEvent
from cases.choices import Channel, ContactSource
from cases.models import ContactEntry
from outreach import services
from outreach.models import (
    HomeVisit,
    NextStep,
    StaffBooking,
    VisitOutcome,
    VisitStatus,
)
from tests.factories import UserFactory, make_case, make_member
from tests.outreach.visit_clock import NOW, at, on, planned

pytestmark = pytest.mark.django_db

CASE_START = NOW - dt.timedelta(days=30)


@pytest.fixture
def case(centre_a, alice):
    with at(CASE_START):
        return make_case(centre_a, alice, primary_counsellor=alice)


def announce(visit, by, response: str, *, method: str = "phone", next_step: str = ""):
    with at(NOW):
        return services.visit_announce(
            visit=visit,
            by=by,
            method=method,
            made_at=NOW,
            recipient="person",
            response=response,
            next_step=next_step,
        )


def under_way(case, alice, bob) -> HomeVisit:
    visit = planned(case, alice, [alice, bob])
    announce(visit, alice, "agreed")
    with at(NOW):
        services.briefing_acknowledge(visit=visit, by=alice)
        services.briefing_acknowledge(visit=visit, by=bob)
    with at(on(14, 10, 2)):
        return services.visit_check_in(visit=visit, by=bob)


def audited(obj, action: str = AuditAction.CHANGE, **filters) -> bool:
    return AuditEvent.objects.filter(
        model=obj._meta.label_lower, object_id=obj.pk, action=action, **filters
    ).exists()


# --- the outcome -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("outcome", "two_way", "counterpart"),
    [
        (VisitOutcome.MET_PERSON, True, "person"),
        (VisitOutcome.THROUGH_DOOR, True, "person"),
        (VisitOutcome.MET_FAMILY, True, "family"),
        (VisitOutcome.REFUSED, True, "person"),
        (VisitOutcome.LETTER_LEFT, False, "person"),
        (VisitOutcome.NO_ANSWER, False, "person"),
    ],
)
def test_the_outcome_is_a_home_visit_contact_two_way_only_when_someone_answered(
    case, alice, bob, outcome, two_way, counterpart
):
    visit = under_way(case, alice, bob)
    case.refresh_from_db()
    silence_before = (case.last_two_way_contact_at, case.next_check_at)
    with at(on(14, 11, 20)):
        services.visit_record_outcome(visit=visit, by=bob, outcome=outcome, report="記録")
    visit.refresh_from_db()
    assert (visit.status, visit.outcome) == (VisitStatus.DONE, outcome)
    assert (visit.checked_out_at, visit.checked_out_by) == (on(14, 11, 20), bob)
    contact = ContactEntry.objects.get(case=case)
    assert visit.contact == contact
    assert (contact.channel, contact.source) == (Channel.HOME_VISIT, ContactSource.HOME_VISIT)
    assert (contact.two_way, contact.counterpart) == (two_way, counterpart)
    assert (contact.occurred_at, contact.duration_minutes, contact.staff) == (
        on(14, 10, 2),
        78,
        bob,
    )
    case.refresh_from_db()
    if two_way:
        assert case.last_two_way_contact_at == on(14, 10, 2)
        assert case.next_check_at == on(14, 10, 2) + dt.timedelta(days=30)
    else:  # a one-way attempt: the silence clock runs on
        assert (case.last_two_way_contact_at, case.next_check_at) == silence_before
    assert audited(visit, changed_fields=["outcome", "report", "status"])
    assert audited(contact, AuditAction.CREATE)


def test_a_refusal_at_the_door_offers_the_next_step(case, alice, bob):
    visit = under_way(case, alice, bob)
    with at(on(14, 10, 15)):
        services.visit_record_outcome(
            visit=visit, by=alice, outcome="refused", next_step=NextStep.FAMILY_CONSULTATION
        )
    visit.refresh_from_db()
    assert visit.next_step == NextStep.FAMILY_CONSULTATION
    assert ContactEntry.objects.get(case=case).two_way


@pytest.mark.parametrize("status", ["planned", "announced"])
def test_an_outcome_needs_a_confirmed_or_started_visit(case, alice, bob, status):
    visit = planned(case, alice, [alice, bob])
    if status == "announced":
        announce(visit, alice, "no_answer")
    with at(on(14, 11)), pytest.raises(ValidationError):
        services.visit_record_outcome(visit=visit, by=alice, outcome="met_person")
    visit.refresh_from_db()
    assert visit.status == status and visit.outcome == ""
    assert not ContactEntry.objects.filter(case=case).exists()


def test_a_confirmed_visit_not_checked_in_takes_its_outcome_after_its_start(case, alice, bob):
    visit = planned(case, alice, [alice, bob])
    announce(visit, alice, "agreed")
    with at(on(13, 10)):  # it could have started: both were briefed
        services.briefing_acknowledge(visit=visit, by=alice)
        services.briefing_acknowledge(visit=visit, by=bob)
    with at(on(14, 9, 50)), pytest.raises(ValidationError):
        services.visit_record_outcome(visit=visit, by=alice, outcome="letter_left")
    with at(on(14, 13)):
        services.visit_record_outcome(visit=visit, by=alice, outcome="letter_left")
    contact = ContactEntry.objects.get(case=case)
    assert (contact.occurred_at, contact.duration_minutes, contact.two_way) == (
        on(14, 10),
        60,
        False,
    )


def test_an_outcome_is_recorded_once_and_needs_to_be_one_of_the_outcomes(case, alice, bob):
    visit = under_way(case, alice, bob)
    with at(on(14, 11)):
        with pytest.raises(ValidationError):
            services.visit_record_outcome(visit=visit, by=alice, outcome="")
        services.visit_record_outcome(visit=visit, by=alice, outcome="met_person")
        with pytest.raises(ValidationError):
            services.visit_record_outcome(visit=visit, by=alice, outcome="no_answer")
    assert ContactEntry.objects.filter(case=case).count() == 1


def test_someone_not_on_the_visit_and_not_casework_cannot_record_it(case, centre_a, alice, mallory):
    visit = planned(case, alice, [alice, mallory])
    announce(visit, alice, "agreed")
    stranger = UserFactory(role="staff", centre=centre_a)
    with at(on(14, 11)), pytest.raises(PermissionDenied):
        services.visit_record_outcome(visit=visit, by=stranger, outcome="met_person")


def test_the_report_written_later_corrects_the_contact_s_note(case, alice, bob):
    visit = under_way(case, alice, bob)
    with at(on(14, 11)):
        services.visit_record_outcome(visit=visit, by=bob, outcome="through_door")
    contact = ContactEntry.objects.get(case=case)
    assert contact.note == "【訪問: ドア越しに話せた】"
    visit.refresh_from_db()
    with at(on(15, 9)):
        services.visit_report_write(
            visit=visit,
            by=alice,
            report="ドア越しに5分ほど会話。次回も同じ曜日を希望。",
            expected_version=visit.version,
        )
    contact.refresh_from_db()
    assert (
        contact.note == "【訪問: ドア越しに話せた】\nドア越しに5分ほど会話。次回も同じ曜日を希望。"
    )
    visit.refresh_from_db()
    assert (visit.report_by, visit.report_written_at) == (alice, on(15, 9))
    assert audited(visit, changed_fields=["report"])
    assert audited(contact, changed_fields=["note"])
    assert ContactEntry.objects.filter(case=case).count() == 1


def test_a_report_needs_the_outcome_first(case, alice, bob):
    visit = under_way(case, alice, bob)
    visit.refresh_from_db()
    with at(on(14, 11)), pytest.raises(ValidationError):
        services.visit_report_write(
            visit=visit, by=alice, report="記録", expected_version=visit.version
        )


# --- the answer to the announcement ------------------------------------------------------------


def test_a_refusal_at_the_announcement_cancels_the_visit_and_is_kept_on_the_timeline(
    case, alice, bob
):
    visit = planned(case, alice, [alice, bob])
    with at(NOW):
        mother = make_member(case, alice)
    with at(NOW + dt.timedelta(hours=1)):
        announcement = services.visit_announce(
            visit=visit,
            by=alice,
            method="via_family",
            made_at=NOW,
            recipient="household",
            recipient_member_id=mother.pk,
            response="refused",
            next_step=NextStep.LATER_DATE,
        )
    visit.refresh_from_db()
    assert visit.status == VisitStatus.CANCELLED and visit.status_reason
    assert visit.next_step == NextStep.LATER_DATE
    assert not StaffBooking.objects.filter(visit=visit).exists()
    contact = ContactEntry.objects.get(case=case)
    assert (contact.source, contact.two_way, contact.counterpart) == (
        ContactSource.HOME_VISIT,
        True,  # a "no" is an answer
        "family",
    )
    assert contact.occurred_at == NOW and "断られた" in contact.note
    case.refresh_from_db()
    assert case.last_two_way_contact_at == NOW
    assert audited(announcement, AuditAction.CREATE)
    assert audited(visit, changed_fields=["status", "status_reason"])
    # A cancelled visit is closed: no outcome, no new announcement, no new date.
    with at(NOW + dt.timedelta(hours=2)):
        with pytest.raises(ValidationError):
            services.visit_confirm(visit=visit, by=alice)
        with pytest.raises(ValidationError):
            services.visit_update(
                visit=visit,
                by=alice,
                expected_version=visit.version,
                starts_at=on(20, 10),
                ends_at=on(20, 11),
                purpose=visit.purpose,
                staff=[alice, bob],
            )


def test_a_refusal_without_a_chosen_next_step_offers_a_letter(case, alice, bob):
    visit = planned(case, alice, [alice, bob])
    announce(visit, alice, "refused", method="letter")
    visit.refresh_from_db()
    assert (visit.status, visit.next_step) == (VisitStatus.CANCELLED, NextStep.LETTER)
    assert ContactEntry.objects.get(case=case).channel == Channel.LETTER


def test_asking_for_another_date_postpones_the_visit_until_it_is_given_one(case, alice, bob):
    visit = planned(case, alice, [alice, bob])
    announce(visit, alice, "change_date")
    visit.refresh_from_db()
    assert visit.status == VisitStatus.POSTPONED and visit.status_reason
    assert not StaffBooking.objects.filter(visit=visit).exists()
    assert not ContactEntry.objects.filter(case=case).exists()
    # The date they asked for was never agreed: it can't be confirmed as it stands.
    with at(NOW + dt.timedelta(hours=1)), pytest.raises(ValidationError):
        services.visit_confirm(visit=visit, by=alice)
    # The new date: counted from today, since it has not been announced yet.
    with at(on(3, 9)):
        with pytest.raises(ValidationError, match="以降"):
            services.visit_update(
                visit=visit,
                by=alice,
                expected_version=visit.version,
                starts_at=on(9, 10),
                ends_at=on(9, 11),
                purpose=visit.purpose,
                staff=[alice, bob],
            )
        services.visit_update(
            visit=visit,
            by=alice,
            expected_version=visit.version,
            starts_at=on(10, 14),
            ends_at=on(10, 15),
            purpose=visit.purpose,
            staff=[alice, bob],
        )
    visit.refresh_from_db()
    # The new date has not been announced: the visit is planned again.
    assert visit.status == VisitStatus.PLANNED and visit.status_reason == ""
    assert StaffBooking.objects.filter(visit=visit).count() == 2
    # Confirming needs the new date announced (the last answer was "another date").
    with at(on(3, 10)):
        with pytest.raises(ValidationError):
            services.visit_confirm(visit=visit, by=alice)
        services.visit_announce(
            visit=visit,
            by=alice,
            method="phone",
            made_at=on(3, 10),
            recipient="person",
            response="agreed",
        )
    visit.refresh_from_db()
    assert visit.status == VisitStatus.CONFIRMED


def test_moving_a_confirmed_visit_asks_for_confirmation_again(case, alice, bob):
    visit = planned(case, alice, [alice, bob])
    announce(visit, alice, "agreed")
    visit.refresh_from_db()
    with at(NOW + dt.timedelta(hours=1)):
        services.visit_update(
            visit=visit,
            by=alice,
            expected_version=visit.version,
            starts_at=on(14, 15),
            ends_at=on(14, 16),
            purpose=visit.purpose,
            staff=[alice, bob],
        )
    visit.refresh_from_db()
    # The "yes" was to the old time: the new one is to be announced (and agreed) again.
    assert visit.status == VisitStatus.PLANNED
    assert audited(visit, changed_fields=["ends_at", "staff", "starts_at"])


def test_a_visit_is_called_off_with_a_reason(case, alice, bob):
    visit = planned(case, alice, [alice, bob])
    with at(NOW), pytest.raises(ValidationError):  # not yet due: it can't have been missed
        services.visit_call_off(visit=visit, by=alice, status="missed", reason="担当者の急病")
    with at(on(14, 11)), pytest.raises(ValidationError):
        services.visit_call_off(visit=visit, by=alice, status="missed", reason=" ")
    with at(NOW), pytest.raises(ValidationError):
        services.visit_call_off(visit=visit, by=alice, status="done", reason="理由")
    with at(on(14, 11)):
        services.visit_call_off(visit=visit, by=alice, status="missed", reason="担当者の急病")
    visit.refresh_from_db()
    assert (visit.status, visit.status_reason) == (VisitStatus.MISSED, "担当者の急病")


# --- every write on the audit trail -----------------------------------------------------------------


def test_every_step_of_a_visit_is_on_the_audit_trail(case, alice, bob):
    visit = under_way(case, alice, bob)
    with at(on(14, 11, 30)):
        services.visit_check_out(visit=visit, by=alice)
        services.visit_record_outcome(visit=visit, by=alice, outcome="met_person", report="記録")
    events = set(
        AuditEvent.objects.filter(case_id=case.pk).values_list("model", "action", "user__username")
    )
    assert {
        ("outreach.homevisit", "create", "alice"),  # planned
        ("outreach.visitannouncement", "create", "alice"),
        ("outreach.homevisit", "change", "alice"),  # confirmed, checked out, closed
        ("outreach.visitassignment", "change", "alice"),  # briefings acknowledged
        ("outreach.visitassignment", "change", "bob"),
        ("outreach.homevisit", "change", "bob"),  # checked in
        ("cases.contactentry", "create", "alice"),
    } <= events
    fields = [
        sorted(e)
        for e in AuditEvent.objects.filter(
            model="outreach.homevisit", object_id=visit.pk
        ).values_list("changed_fields", flat=True)
    ]
    assert ["status"] in fields and ["checked_in_at"] in fields
    assert ["checked_out_at"] in fields and ["outcome", "report", "status"] in fields
