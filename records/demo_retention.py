"""Demo disposal for `manage.py seed_demo`: the centre's closed demo case is made one that
closed longer ago than the centre's retention period and is disposed of through the service,
so the disposal log has a line and the case page shows a disposed case. Idempotent: a centre
whose log has a line already is left alone."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone

from accounts.models import Centre, Role, User
from cases.choices import CaseStatus
from cases.models import Case, CaseStatusChange, DisposalRecord, DisposalSource
from records import retention


def seed_demo_disposal(*, centre: Centre) -> int:
    """Dispose of one old closed demo case of the centre; returns 1 if it did now."""
    if DisposalRecord.objects.filter(centre=centre).exists():
        return 0
    manager = (
        User.objects.filter(centres=centre, is_active=True)
        .filter(Q(role=Role.MANAGER) | Q(role=Role.ADMIN))
        .order_by("pk")
        .first()
    )
    case = (
        Case.objects.filter(
            centre=centre, status=CaseStatus.CLOSED, legal_hold=False, disposed_at=None
        )
        .order_by("number")
        .first()
    )
    if manager is None or case is None:
        return 0
    now = timezone.now()
    closed_at = retention.retention_cutoff(
        retention_years=centre.retention_years, now=now
    ) - dt.timedelta(days=30)
    Case.objects.filter(pk=case.pk).update(closed_at=closed_at)
    CaseStatusChange.objects.filter(case=case, to_status=CaseStatus.CLOSED).update(at=closed_at)
    record = retention.case_dispose(
        case=case,
        by=manager,
        rule=retention.retention_rule(centre),
        source=DisposalSource.COMMAND,
        now=now,
    )
    return 0 if record is None else 1
