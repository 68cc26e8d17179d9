"""Support plans and their small steps (milestones)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import AuditAction, User
from cases.models import Case, Milestone, SupportPlan
from cases.services.audit import case_audit_change, case_audit_record
from cases.services.locking import lock_current


@transaction.atomic
def plan_save(
    *,
    case: Case,
    by: User,
    fields: Mapping[str, Any],
    plan: SupportPlan | None = None,
    expected_version: int | None = None,
    ip: str | None = None,
) -> SupportPlan:
    if plan is None:
        plan = SupportPlan.objects.create(case=case, created_by=by, **fields)
        case_audit_record(by=by, action=AuditAction.CREATE, obj=plan, case=case, ip=ip)
        return plan
    plan = lock_current(SupportPlan.objects.all(), plan.pk, expected_version)
    for name, value in fields.items():
        setattr(plan, name, value)
    plan.version += 1
    plan.save()
    case_audit_change(by=by, obj=plan, case=case, ip=ip, fields=fields.keys())
    return plan


@transaction.atomic
def milestone_add(
    *, plan: SupportPlan, by: User, fields: Mapping[str, Any], ip: str | None = None
) -> Milestone:
    milestone = Milestone.objects.create(plan=plan, **fields)
    case_audit_record(by=by, action=AuditAction.CREATE, obj=milestone, case=plan.case, ip=ip)
    return milestone


@transaction.atomic
def milestone_achieve(
    *, milestone: Milestone, by: User, on: dt.date, ip: str | None = None
) -> Milestone:
    if milestone.achieved_on is not None:
        raise ValidationError(_("この一歩はすでに達成済みです。"))
    milestone.achieved_on = on
    milestone.save(update_fields=["achieved_on"])
    case_audit_change(by=by, obj=milestone, case=milestone.plan.case, ip=ip, fields=["achieved_on"])
    return milestone
