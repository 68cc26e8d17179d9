"""Support plans and their small steps (milestones)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils.translation import gettext as _

from accounts.models import AuditAction, User
from cases.models import Case, Milestone, SupportPlan
from cases.services.audit import case_audit_change, case_audit_record
from cases.services.locking import lock_current


def current_plan_refresh(cases: QuerySet[Case]) -> int:
    """Copy the review date of each case's current plan (its newest, as the case page shows
    it; None without a plan) onto `Case.current_plan_review_on`: one UPDATE, for one case
    after a plan is saved or for a whole data set after a bulk load."""
    newest = SupportPlan.objects.filter(case=OuterRef("pk")).order_by("-created_at", "-id")
    return cases.update(current_plan_review_on=Subquery(newest.values("review_on")[:1]))


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
        current_plan_refresh(Case.objects.filter(pk=case.pk))
        case_audit_record(by=by, action=AuditAction.CREATE, obj=plan, case=case, ip=ip)
        return plan
    plan = lock_current(SupportPlan.objects.all(), plan.pk, expected_version)
    for name, value in fields.items():
        setattr(plan, name, value)
    plan.version += 1
    plan.save()
    current_plan_refresh(Case.objects.filter(pk=case.pk))  # an older plan's date changes nothing
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
