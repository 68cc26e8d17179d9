"""Reads for the case pages. Each function runs a fixed number of queries, however many
records a case has."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import access
from accounts.models import AuditAction, AuditEvent, User
from cases import instruments
from cases.models import Assessment, Case, ContactEntry, Milestone, SupportPlan

TIMELINE_LIMIT = 300


def case_list_queryset(user: User) -> QuerySet[Case]:
    # Sensitive fields live in another table and are never joined here.
    return (
        access.scoped(Case.objects.all(), user)
        .select_related("centre", "primary_counsellor")
        .order_by("-updated_at")
    )


def case_detail_queryset() -> QuerySet[Case]:
    # The cases a move to another centre links this one with, joined (no query of their own).
    return Case.objects.select_related(
        "centre",
        "primary_counsellor",
        "created_by",
        "transferred_from__centre",
        "transferred_to__centre",
    )


def get_case_for_user(user: User, pk: Any, queryset: QuerySet[Case] | None = None) -> Case:
    """The case if one of the user's centres has it, else 404: every view of a case (in this
    app or a higher one) fetches it here, through the one access helper."""
    return access.get_for_user(
        queryset if queryset is not None else case_detail_queryset(), user, pk
    )


@dataclass
class TimelineItem:
    kind: str  # contact | status | assessment | milestone | referral | assignment
    at: dt.datetime
    obj: Any


# What the timeline shows of a user (their name), not the whole row (the password hash).
_ASSIGNMENT_USER_FIELDS = tuple(
    f"{relation}__{name}"
    for relation in ("from_user", "to_user", "by")
    for name in ("display_name", "first_name", "last_name", "username")
)


def _as_datetime(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12, 0)))


def case_timeline(case: Case) -> list[TimelineItem]:
    """Contacts, status changes, assessments, milestones reached, referrals and changes of
    counsellor, newest first."""
    items: list[TimelineItem] = []
    for contact in case.contacts.select_related("staff")[:TIMELINE_LIMIT]:
        items.append(TimelineItem("contact", contact.occurred_at, contact))
    for change in case.status_changes.select_related("by")[:TIMELINE_LIMIT]:
        items.append(TimelineItem("status", change.at, change))
    for assessment in case.assessments.all()[:TIMELINE_LIMIT]:
        items.append(TimelineItem("assessment", _as_datetime(assessment.assessed_on), assessment))
    milestones = Milestone.objects.filter(plan__case=case, achieved_on__isnull=False)
    for milestone in milestones[:TIMELINE_LIMIT]:
        assert milestone.achieved_on is not None
        items.append(TimelineItem("milestone", _as_datetime(milestone.achieved_on), milestone))
    for referral in case.referrals.select_related("consent")[:TIMELINE_LIMIT]:
        items.append(TimelineItem("referral", _as_datetime(referral.referred_on), referral))
    assignments = case.assignments.select_related("from_user", "to_user", "by").only(
        "at", "reason", "case_id", *_ASSIGNMENT_USER_FIELDS
    )
    for assignment in assignments[:TIMELINE_LIMIT]:
        items.append(TimelineItem("assignment", assignment.at, assignment))
    items.sort(key=lambda item: item.at, reverse=True)
    return items


def case_contacts(case: Case) -> QuerySet[ContactEntry]:
    """The whole contact log, newest first (paginated by the view)."""
    return case.contacts.select_related("staff").order_by("-occurred_at", "-id")


def timeline_truncated(timeline: list[TimelineItem]) -> int | None:
    """The per-kind limit when some kind reached it (older entries are not shown)."""
    counts = Counter(item.kind for item in timeline)
    return TIMELINE_LIMIT if counts and max(counts.values()) >= TIMELINE_LIMIT else None


def current_plan(case: Case) -> SupportPlan | None:
    return (
        case.plans.prefetch_related(Prefetch("milestones", queryset=Milestone.objects.all()))
        .order_by("-created_at")
        .first()
    )


def assessment_trend(assessments: list[Assessment]) -> list[dict[str, Any]]:
    """Chart.js-ready series: one line per instrument version, oldest first."""
    series: dict[tuple[str, str], dict[str, Any]] = {}
    for assessment in sorted(assessments, key=lambda a: a.assessed_on):
        key = (assessment.instrument, assessment.instrument_version)
        if key not in series:
            instrument = instruments.INSTRUMENTS.get(key)
            series[key] = {
                "label": assessment.instrument_label,
                "cutoff": instrument.cutoff if instrument else None,
                "cutoff_label": str(_("カットオフ")),
                "min": instrument.min_total if instrument else None,
                "max": instrument.max_total if instrument else None,
                "points": [],
            }
        series[key]["points"].append(
            {"x": assessment.assessed_on.isoformat(), "y": assessment.total_score}
        )
    return list(series.values())


def case_viewers(case: Case, *, limit: int = 200) -> QuerySet[AuditEvent]:
    return (
        AuditEvent.objects.filter(case_id=case.pk, action=AuditAction.VIEW)
        .select_related("user")
        .order_by("-at")[:limit]
    )


def case_audit_trail(case: Case) -> QuerySet[AuditEvent]:
    """Everything recorded about the case, newest first (paginated by the view)."""
    return AuditEvent.objects.filter(case_id=case.pk).select_related("user").order_by("-at", "-id")
