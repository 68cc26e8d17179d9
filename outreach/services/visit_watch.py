"""The watches a beat task runs over every centre's visits, set-based like the silence sweep:
the safety check-out alert, and the reminders that keep a visit on the careful path (announce
it in time, read the briefing the day before, write the report). Everything goes through the
reminders outbox with a dedupe key per visit, so running twice, or two beats at once, never
sends anything twice."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import (
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Value,
)
from django.utils import timezone

from accounts import access
from accounts.models import Role, User
from cases.choices import CaseStatus
from outreach.models import HomeVisit, VisitStatus
from outreach.services.visits import BRIEFING_PREFETCH, briefing_key
from reminders.services import notification_queue

REPORT_REMINDER_AFTER = dt.timedelta(days=2)
# Reminders about visits further back than this are not worth sending any more.
REPORT_REMINDER_WINDOW = dt.timedelta(days=30)
ANNOUNCEMENT_MARGIN_DAYS = 2
BRIEFING_REMINDER_BEFORE = dt.timedelta(days=1)
_DAY = dt.timedelta(days=1)


@dataclass
class WatchResult:
    checkout_alerts: int = 0
    announcement_reminders: int = 0
    briefing_reminders: int = 0
    report_reminders: int = 0

    def counts(self) -> dict[str, int]:
        return dict(self.__dict__)


def visits_watch(now: dt.datetime | None = None) -> WatchResult:
    now = now or timezone.now()
    return WatchResult(
        checkout_alerts=checkout_overdue_alert(now),
        announcement_reminders=announcement_due_remind(now),
        briefing_reminders=briefing_unacknowledged_remind(now),
        report_reminders=report_due_remind(now),
    )


# One statement marks every overdue visit and returns it: a visit is marked once, and a
# second watch running at the same moment waits for the row and then finds it marked.
_MARK_OVERDUE = """
UPDATE outreach_homevisit AS visit
   SET checkout_alerted_at = %(now)s
  FROM accounts_centre AS centre
 WHERE centre.id = visit.centre_id
   AND visit.status = %(in_progress)s
   AND visit.checked_out_at IS NULL
   AND visit.checkout_alerted_at IS NULL
   AND visit.ends_at + make_interval(mins => centre.safety_checkout_grace_minutes) < %(now)s
RETURNING visit.id, visit.case_id, visit.centre_id, visit.ends_at
"""


def _safety_recipients(centre_ids: set[int]) -> dict[int, list[User]]:
    """The centre's active managers; a centre without one (a vacancy, an account being
    replaced) falls back to its administrators, so an alert is never sent to nobody."""
    by_centre: dict[int, dict[str, list[User]]] = {pk: {} for pk in centre_ids}
    users = User.objects.filter(
        role__in=[Role.MANAGER, Role.ADMIN], is_active=True, centres__in=centre_ids
    ).annotate(centre_id=F("centres"))
    for user in users:
        by_centre[user.centre_id].setdefault(user.role, []).append(user)  # type: ignore[attr-defined]
    return {
        pk: roles.get(Role.MANAGER) or roles.get(Role.ADMIN) or []
        for pk, roles in by_centre.items()
    }


@transaction.atomic
def checkout_overdue_alert(now: dt.datetime) -> int:
    """Rule 4: a visit under way with no check-out `safety_checkout_grace_minutes` after its
    planned end raises one alert to the centre's managers (and the banner, until someone
    checks out)."""
    with connection.cursor() as cursor:
        cursor.execute(_MARK_OVERDUE, {"now": now, "in_progress": VisitStatus.IN_PROGRESS.value})
        overdue = cursor.fetchall()
    if not overdue:
        return 0
    recipients = _safety_recipients({centre_id for _id, _case, centre_id, _end in overdue})
    visits = HomeVisit.objects.select_related("case__centre", "case__primary_counsellor").in_bulk(
        [row[0] for row in overdue]
    )
    for visit_id, case_id, centre_id, ends_at in overdue:
        visit = visits[visit_id]
        # Nobody to tell at the centre: the case's counsellor, rather than no one.
        fallback = [visit.case.primary_counsellor] if visit.case.primary_counsellor else []
        notification_queue(
            recipients=recipients[centre_id] or fallback,
            kind="visit_checkout_overdue",
            context={
                "case_id": case_id,
                "case_number": visit.case.case_number,
                "visit_id": visit_id,
                "minutes_overdue": int((now - ends_at).total_seconds() // 60),
            },
            dedupe_key=f"visit:{visit_id}:checkout_overdue",
            case=visit.case,
        )
    return len(overdue)


def _days_before_start(days_field: str, *, plus: int) -> ExpressionWrapper:
    """The visit's start minus a number of days read from its centre's settings."""
    days = ExpressionWrapper(
        (F(days_field) + Value(plus)) * Value(_DAY), output_field=DurationField()
    )
    return ExpressionWrapper(F("starts_at") - days, output_field=DateTimeField())


def _remind(visit: HomeVisit, recipients: list[User], *, kind: str, dedupe: str) -> int:
    if not recipients:
        return 0
    return notification_queue(
        recipients=recipients,
        kind=kind,
        context={
            "case_id": visit.case_id,
            "case_number": visit.case.case_number,
            "visit_id": visit.pk,
            "visit_date": timezone.localtime(visit.starts_at).strftime("%Y-%m-%d %H:%M"),
        },
        # Of this date: a visit moved to another day is reminded of again.
        dedupe_key=f"visit:{visit.pk}:{dedupe}:{visit.starts_at:%Y%m%d%H%M}",
        case=visit.case,
    )


def _candidates(queryset: QuerySet[HomeVisit]) -> list[HomeVisit]:
    """Visits of open cases (a closed case's visits are cancelled with it), with what the
    reminders read: the case, the assignees, and the household the briefing key reads."""
    return list(
        queryset.exclude(case__status=CaseStatus.CLOSED)
        .select_related("case__centre", "case__primary_counsellor")
        .prefetch_related("assignments__user", BRIEFING_PREFETCH)
    )


@transaction.atomic
def announcement_due_remind(now: dt.datetime) -> int:
    """Not yet announced `visit_notice_days` + 2 days before the visit: time to announce it,
    or move it (announcing later would break the notice period). To the assignees who can
    announce (casework), else the case's counsellor; once per date (`announce_reminded_for`
    spares the next runs even the loading)."""
    visits = _candidates(
        HomeVisit.objects.annotate(
            announce_by=_days_before_start(
                "centre__visit_notice_days", plus=ANNOUNCEMENT_MARGIN_DAYS
            )
        )
        .filter(status=VisitStatus.PLANNED, starts_at__gt=now, announce_by__lte=now)
        .exclude(announce_reminded_for=F("starts_at"))
    )
    queued = 0
    for visit in visits:
        who = [a.user for a in visit.assignments.all() if access.can(a.user, "visit.manage")]
        if not who and visit.case.primary_counsellor is not None:
            who = [visit.case.primary_counsellor]
        queued += _remind(visit, who, kind="visit_announcement_due", dedupe="announce")
    HomeVisit.objects.filter(pk__in=[v.pk for v in visits]).update(
        announce_reminded_for=F("starts_at")
    )
    return queued


@transaction.atomic
def briefing_unacknowledged_remind(now: dt.datetime) -> int:
    """The day before a visit, the assignees who have not acknowledged the current briefing.
    A change to the risk facts is a new briefing, so it is reminded of again
    (`briefing_reminded_key`); a day's visits are few, so they are read each run."""
    visits = _candidates(
        HomeVisit.objects.filter(
            status__in=[VisitStatus.ANNOUNCED, VisitStatus.CONFIRMED],
            starts_at__gt=now,
            starts_at__lte=now + BRIEFING_REMINDER_BEFORE,
        )
    )
    queued = 0
    for visit in visits:
        current = briefing_key(visit.case)
        if visit.briefing_reminded_key == current:
            continue
        unbriefed = [a.user for a in visit.assignments.all() if not a.has_acknowledged(current)]
        queued += _remind(
            visit, unbriefed, kind="visit_briefing_unacknowledged", dedupe=f"briefing:{current}"
        )
        HomeVisit.objects.filter(pk=visit.pk).update(briefing_reminded_key=current)
    return queued


@transaction.atomic
def report_due_remind(now: dt.datetime) -> int:
    """Two days after the planned end, a visit without its outcome (or its report): once."""
    visits = _candidates(
        HomeVisit.objects.filter(
            Q(status__in=[VisitStatus.CONFIRMED, VisitStatus.IN_PROGRESS])
            | Q(status=VisitStatus.DONE, report=""),
            ends_at__lte=now - REPORT_REMINDER_AFTER,
            ends_at__gt=now - REPORT_REMINDER_AFTER - REPORT_REMINDER_WINDOW,
            report_reminded_at__isnull=True,
        )
    )
    queued = 0
    for visit in visits:
        queued += _remind(
            visit,
            [a.user for a in visit.assignments.all()],
            kind="visit_report_due",
            dedupe="report",
        )
    HomeVisit.objects.filter(pk__in=[v.pk for v in visits]).update(report_reminded_at=now)
    return queued
