"""The case file's audit trail: who created, changed or viewed which record of a case. Apps
above `cases` audit their writes about a case through these too."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from accounts.models import AuditAction, AuditEvent, User
from accounts.services import audit_record
from cases.models import Case


def case_audit_record(
    *,
    by: User | None,
    action: AuditAction,
    obj: Any,
    case: Case,
    ip: str | None,
    changed_fields: Iterable[str] = (),
) -> None:
    audit_record(
        user=by,
        action=action,
        obj=obj,
        case_id=case.pk,
        centre_id=case.centre_id,
        ip=ip,
        changed_fields=changed_fields,
    )


def case_audit_change(
    *, by: User | None, obj: Any, case: Case, ip: str | None, fields: Iterable[str]
) -> None:
    case_audit_record(
        by=by, action=AuditAction.CHANGE, obj=obj, case=case, ip=ip, changed_fields=fields
    )


def case_view_record(
    *,
    case: Case,
    by: User,
    ip: str | None = None,
    obj: Any = None,
    action: AuditAction = AuditAction.VIEW,
) -> None:
    """A response showed the case's data: who saw which record of it (the case itself unless
    `obj` says which), VIEW_SENSITIVE when it was the 要配慮個人情報. Views reach this through
    `cases.views.helpers.case_viewed`, once per request."""
    case_audit_record(by=by, action=action, obj=case if obj is None else obj, case=case, ip=ip)


def case_audit_records(
    *, by: User | None, action: AuditAction, objs: Iterable[tuple[Any, Case]], ip: str | None
) -> None:
    """case_audit_record for many records at once (a bulk write): one INSERT, the same
    references, never a value."""
    AuditEvent.objects.bulk_create(
        AuditEvent(
            user=by,
            action=action,
            model=obj._meta.label_lower,
            object_id=obj.pk,
            case_id=case.pk,
            centre_id=case.centre_id,
            ip_address=ip,
        )
        for obj, case in objs
    )
