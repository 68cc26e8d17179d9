"""Scored assessments with a validated instrument."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import transaction

from accounts.models import AuditAction, User
from cases import instruments
from cases.models import Assessment, Case
from cases.services.audit import case_audit_record


@transaction.atomic
def assessment_record(
    *,
    case: Case,
    by: User,
    instrument: instruments.Instrument,
    answers: Sequence[int | str],
    assessed_on: dt.date,
    notes: str = "",
    ip: str | None = None,
) -> Assessment:
    result = instruments.score(instrument, answers)
    assessment = Assessment.objects.create(
        case=case,
        instrument=instrument.code,
        instrument_version=instrument.version,
        assessed_on=assessed_on,
        answers=[int(a) for a in answers],
        total_score=result.total,
        subscale_scores=result.subscales,
        above_cutoff=result.above_cutoff,
        notes=notes,
        assessed_by=by,
    )
    case_audit_record(by=by, action=AuditAction.CREATE, obj=assessment, case=case, ip=ip)
    return assessment
