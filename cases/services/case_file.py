"""Opening, editing, pausing, closing and reopening a case file."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import AuditAction, Centre, User
from cases import hooks
from cases.choices import CaseStatus, ContactSource, SilenceStage
from cases.models import Case, CaseSensitiveInfo, CaseStatusChange
from cases.services.audit import case_audit_change, case_audit_record
from cases.services.contacts import contact_record
from cases.services.locking import lock_current
from cases.services.search import name_search_text
from cases.services.silence_clock import case_restart_silence_clock


def case_next_number(*, centre: Centre) -> int:
    """Take the centre's next case number. The row lock taken by UPDATE serialises concurrent
    intakes until their transactions end; the unique constraint is the final guarantee."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE accounts_centre SET last_case_number = last_case_number + 1 "
            "WHERE id = %s RETURNING last_case_number",
            [centre.pk],
        )
        return int(cursor.fetchone()[0])


@transaction.atomic
def case_create(
    *,
    centre: Centre,
    by: User,
    fields: Mapping[str, Any],
    sensitive: Mapping[str, Any] | None = None,
    ip: str | None = None,
) -> Case:
    case = Case(centre=centre, created_by=by, **fields)
    case.number = case_next_number(centre=centre)
    case.search_text = name_search_text(case)
    case_restart_silence_clock(case=case, at=timezone.now())
    case.full_clean(exclude=["number"])
    case.save()
    CaseSensitiveInfo.objects.create(case=case, **(sensitive or {}))
    CaseStatusChange.objects.create(
        case=case, by=by, from_status="", to_status=case.status, episode=case.episode
    )
    case_audit_record(by=by, action=AuditAction.CREATE, obj=case, case=case, ip=ip)
    return case


@transaction.atomic
def case_intake(
    *,
    centre: Centre,
    by: User,
    case_fields: Mapping[str, Any],
    contact_fields: Mapping[str, Any],
    ip: str | None = None,
) -> Case:
    """A first call: the case and its first contact entry, together or not at all."""
    first_contact = timezone.localdate(contact_fields["occurred_at"])
    case_fields = {"first_contact_date": first_contact, **case_fields}
    case = case_create(centre=centre, by=by, fields=case_fields, ip=ip)
    contact_record(case=case, by=by, fields=contact_fields, source=ContactSource.INTAKE, ip=ip)
    return case


@transaction.atomic
def case_update(
    *,
    case: Case,
    by: User,
    changes: Mapping[str, Any],
    expected_version: int,
    ip: str | None = None,
) -> Case:
    """Save edited fields only if nobody saved the case since `expected_version` was read."""
    # Locked, so the sweep or a contact can't move the silence state under the reschedule.
    current = lock_current(Case.objects.select_related("centre"), case.pk, expected_version)
    # When the reminder went out, as the sweep's schedule implies: it set the next check to
    # the reminder plus the grace (or later), so a new cadence keeps the grace it promised.
    reminded_at = (
        current.next_check_at - dt.timedelta(days=current.effective_grace_days)
        if current.silence_stage == SilenceStage.REMINDED and current.next_check_at
        else None
    )
    for name, value in changes.items():
        setattr(current, name, value)
    current.search_text = name_search_text(current)
    fields = [*changes, "search_text", "version", "updated_at"]
    if {"followup_interval_days", "escalation_grace_days"} & set(changes):
        current.next_check_at = current.next_silence_check_at(reminded_at=reminded_at)
        fields.append("next_check_at")
    current.version += 1
    current.full_clean(exclude=["number"])
    current.save(update_fields=fields)
    for name in fields:
        setattr(case, name, getattr(current, name))
    case_audit_change(by=by, obj=case, case=case, ip=ip, fields=changes.keys())
    return case


@transaction.atomic
def case_sensitive_update(
    *,
    case: Case,
    by: User,
    changes: Mapping[str, Any],
    expected_version: int,
    ip: str | None = None,
) -> CaseSensitiveInfo:
    existing, _created = CaseSensitiveInfo.objects.get_or_create(case=case)
    info = lock_current(CaseSensitiveInfo.objects.all(), existing.pk, expected_version)
    for name, value in changes.items():
        setattr(info, name, value)
    info.version += 1
    info.save()
    case_audit_change(by=by, obj=info, case=case, ip=ip, fields=changes.keys())
    return info


@transaction.atomic
def case_change_status(
    *,
    case: Case,
    by: User,
    to_status: str,
    closure_reason: str = "",
    paused_until: dt.date | None = None,
    note: str = "",
    ip: str | None = None,
) -> Case:
    """Close, pause, resume or reopen. Reopening a closed case is a re-withdrawal: a new
    episode starts and the earlier history stays on the timeline."""
    case = Case.objects.select_for_update(of=("self",)).select_related("centre").get(pk=case.pk)
    from_status = case.status
    now = timezone.now()
    if to_status == from_status and to_status != CaseStatus.PAUSED:
        raise ValidationError(_("ケースはすでにこの状態です。"))
    if to_status == CaseStatus.CLOSED:
        if not closure_reason:
            raise ValidationError({"closure_reason": _("終結理由を選んでください。")})
        case.closure_reason, case.closed_at, case.paused_until = closure_reason, now, None
    elif to_status == CaseStatus.PAUSED:
        if from_status == CaseStatus.CLOSED:
            raise ValidationError(_("終結したケースは休止できません。先に再開してください。"))
        if not paused_until or paused_until <= timezone.localdate():
            raise ValidationError({"paused_until": _("休止期限は明日以降の日付にしてください。")})
        case.paused_until = paused_until
    elif to_status == CaseStatus.OPEN:
        if from_status == CaseStatus.CLOSED:
            case.episode += 1
            case.closure_reason, case.closed_at = "", None
        case.paused_until = None
    case.status = to_status
    # Any change of status starts the follow-up clock afresh (or stops it when not open).
    case_restart_silence_clock(case=case, at=now)
    case.version += 1
    case.save()
    CaseStatusChange.objects.create(
        case=case,
        by=by,
        at=now,
        from_status=from_status,
        to_status=to_status,
        closure_reason=case.closure_reason,
        paused_until=case.paused_until,
        episode=case.episode,
        note=note,
    )
    case_audit_change(by=by, obj=case, case=case, ip=ip, fields=["status"])
    if to_status == CaseStatus.CLOSED:
        # In the same transaction: the apps above end what a closed case must not keep
        # going (its planned home visits).
        hooks.case_closed(case=case, by=by, ip=ip)
    return case
