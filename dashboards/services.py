"""Writes made from the dashboards: handing cases over, with the new counsellor told through
the outbox. `cases` does the handing over; the notification is queued here, because the
outbox (`reminders`) sits above `cases` in the layers. Both in one transaction: a refused
transfer queues nothing."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from accounts.models import Centre, User
from cases import services as case_services
from cases.models import Case, CaseAssignment
from reminders.services import notification_queue

CASE_ASSIGNED = "case_assigned"


def _notify_assigned(assignments: Iterable[CaseAssignment]) -> int:
    """One notification per case and assignment (its dedupe key), for the new counsellor;
    the number only, never the name."""
    queued = 0
    for assignment in assignments:
        case = assignment.case
        queued += notification_queue(
            recipients=[assignment.to_user],
            kind=CASE_ASSIGNED,
            context={"case_id": case.pk, "case_number": case.case_number},
            dedupe_key=f"{CASE_ASSIGNED}:{case.pk}:{assignment.pk}",
            case=case,
        )
    return queued


@transaction.atomic
def transfer_case_reassign(
    *, case: Case, to: User, by: User, reason: str = "", ip: str | None = None
) -> CaseAssignment:
    assignment = case_services.case_reassign(case=case, to=to, by=by, reason=reason, ip=ip)
    assignment.case = case
    _notify_assigned([assignment])
    return assignment


@transaction.atomic
def transfer_caseload(
    *,
    plan: case_services.CaseloadTransferPlan,
    by: User,
    reason: str = "",
    ip: str | None = None,
) -> list[CaseAssignment]:
    assignments = case_services.caseload_transfer(plan=plan, by=by, reason=reason, ip=ip)
    _notify_assigned(assignments)
    return assignments


@transaction.atomic
def transfer_case_to_centre(
    *,
    case: Case,
    to_centre: Centre,
    by: User,
    reason: str = "",
    counsellor: User | None = None,
    ip: str | None = None,
) -> Case:
    new = case_services.case_move_to_centre(
        case=case, to_centre=to_centre, by=by, reason=reason, counsellor=counsellor, ip=ip
    )
    _notify_assigned(new.assignments.select_related("case__centre", "to_user"))
    return new
