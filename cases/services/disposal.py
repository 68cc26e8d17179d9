"""Retention (APPI) on the case file: a manager's legal hold, and blanking a closed case's
personal data once the centre's retention period has passed, keeping what the statistics
count (docs/statistics.md). The apps above blank their own parts; records.retention runs them
all in one transaction per case and writes the disposal log through `case_mark_disposed`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import AuditAction, User
from cases.choices import CaseStatus
from cases.models import (
    Assessment,
    Case,
    CaseAssignment,
    CaseSensitiveInfo,
    CaseStatusChange,
    Consent,
    ContactEntry,
    DisposalRecord,
    DisposalSource,
    Referral,
    SupportPlan,
)
from cases.services.audit import case_audit_record
from cases.services.locking import lock_current

# The person's details that go: who they are, how to reach them, where they live. What the
# statistics count stays: gender, who made the first contact and when, the status history,
# and the birth date only to the month that gives the same age bands (below).
CASE_BLANKED_FIELDS: tuple[str, ...] = (
    "family_name",
    "given_name",
    "family_name_kana",
    "given_name_kana",
    "search_text",
    "postal_code",
    "municipality",
    "address_line",
    "phone",
)


# What a required free text holds once blanked (a manager's override must have a reason, a
# walk-in a nickname): stored as is, in the source language, naming nobody.
ERASED_TEXT = "（消去済み）"


def birth_date_for_statistics(birth_date: dt.date | None) -> dt.date | None:
    """The birth date coarsened to a first of the month that gives the same age band on every
    first of a month (every period of the statistics starts on one): a birthday on the 1st
    counts from that day, any other from the 1st of the following month, which is the first
    period it was already reached on. The day of birth itself is not kept."""
    if birth_date is None or birth_date.day == 1:
        return birth_date
    if birth_date.month == 12:
        return dt.date(birth_date.year + 1, 1, 1)
    return dt.date(birth_date.year, birth_date.month + 1, 1)


@transaction.atomic
def case_legal_hold_set(
    *,
    case: Case,
    by: User,
    hold: bool,
    expected_version: int,
    reason: str = "",
    ip: str | None = None,
) -> Case:
    """Put a legal hold on a case (nothing of it is disposed of while it holds), or lift it,
    if nobody saved the case since `expected_version` was read. A hold needs its reason; the
    audit trail records the change, never the reason's text."""
    reason = reason.strip()
    if hold and not reason:
        raise ValidationError({"reason": _("保全の理由を入力してください。")})
    locked = lock_current(Case.objects.all(), case.pk, expected_version)
    if locked.disposed_at is not None:
        raise ValidationError(_("このケースの個人情報はすでに消去されています。"))
    locked.legal_hold = hold
    locked.legal_hold_reason = reason if hold else ""
    locked.legal_hold_by = by if hold else None
    locked.legal_hold_at = timezone.now() if hold else None
    locked.version += 1
    fields = ["legal_hold", "legal_hold_reason", "legal_hold_by", "legal_hold_at"]
    locked.save(update_fields=[*fields, "version", "updated_at"])
    case_audit_record(
        by=by, action=AuditAction.CHANGE, obj=locked, case=locked, ip=ip, changed_fields=fields
    )
    return locked


def case_blank_personal_data(*, case: Case) -> dict[str, int]:
    """Blank the person's details and every free text of the case file (contact notes,
    sensitive information, consents' details, referrals' shared information), delete the
    assessments and support plans; keep the rows and columns the statistics count. Returns
    how many rows of each kind were blanked or deleted. Runs inside the caller's transaction
    (records.retention.case_dispose), with the case row locked."""
    for name in CASE_BLANKED_FIELDS:
        setattr(case, name, "")
    case.birth_date = birth_date_for_statistics(case.birth_date)
    case.current_plan_review_on = None  # its plans are deleted below
    case.save(
        update_fields=[*CASE_BLANKED_FIELDS, "birth_date", "current_plan_review_on", "updated_at"]
    )
    counts = {
        "contacts": ContactEntry.objects.filter(case=case).update(
            note="", next_action="", counterpart_detail=""
        ),
        "sensitive": CaseSensitiveInfo.objects.filter(case=case).update(
            conditions="", medical_status="", disability_certificate=""
        ),
        "status_notes": CaseStatusChange.objects.filter(case=case).exclude(note="").update(note=""),
        "assignment_reasons": CaseAssignment.objects.filter(case=case)
        .exclude(reason="")
        .update(reason=""),
        "consents": Consent.objects.filter(case=case).update(detail="", given_by=""),
        "referrals": Referral.objects.filter(case=case).update(shared_information=""),
        "assessments": Assessment.objects.filter(case=case).delete()[0],
        # The plans' milestones go with them (CASCADE): counted with them.
        "plans": SupportPlan.objects.filter(case=case).delete()[0],
    }
    return counts


def case_mark_disposed(
    *,
    case: Case,
    by: User | None,
    source: DisposalSource,
    rule: str,
    counts: Mapping[str, int],
    at: dt.datetime | None = None,
) -> DisposalRecord:
    """Mark the case disposed of and write its line of the disposal log (never a name), and
    the audit event (field names only). In the caller's transaction, after every app has
    blanked its part."""
    if case.status != CaseStatus.CLOSED or case.closed_at is None:
        raise ValidationError(_("終結していないケースは廃棄できません。"))
    at = at or timezone.now()
    case.disposed_at = at
    case.save(update_fields=["disposed_at", "updated_at"])
    record = DisposalRecord.objects.create(
        centre_id=case.centre_id,
        case_id=case.pk,
        case_number=case.case_number,
        opened_on=case.first_contact_date,
        closed_at=case.closed_at,
        disposed_at=at,
        rule=rule,
        by=by,
        source=source,
        counts=dict(counts),
    )
    case_audit_record(
        by=by,
        action=AuditAction.DELETE,
        obj=case,
        case=case,
        ip=None,
        changed_fields=[*CASE_BLANKED_FIELDS, "birth_date", *sorted(counts)],
    )
    return record
