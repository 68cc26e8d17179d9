"""Reads of the reminders app: the inbox, the escalations page, the sweep's health."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db.models import BooleanField, Exists, ExpressionWrapper, F, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts import access
from accounts.models import User
from cases.choices import CaseStatus, SilenceStage
from cases.models import Case
from reminders.models import (
    SILENCE_HEARTBEAT,
    CaseAlert,
    Notification,
    NotificationChannel,
    SweepHeartbeat,
)


def silence_over() -> Q:
    """A silence alert whose episode has ended since: a two-way contact restarted the case's
    clock, or the case was paused, closed or deleted. Its reminder needs nobody now."""
    ongoing = CaseAlert.objects.filter(
        pk=OuterRef("alert_id"),
        case__status=CaseStatus.OPEN,
        case__silence_clock_started_at=F("clock_started_at"),
    )
    return Q(alert__isnull=False) & Q(~Exists(ongoing))


def _in_inbox(user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(
        recipient=user, channel=NotificationChannel.IN_APP, sent_at__isnull=False
    )


def inbox(user: User, *, show_done: bool = False) -> QuerySet[Notification]:
    """The user's in-app notifications, newest first, not done unless `show_done`. Each row
    says whether its silence has ended since (`silence_over`); being in the select list, that
    is looked up for the rows of the page only. Rendered from `context`: no other join."""
    queryset = _in_inbox(user).annotate(
        silence_over=ExpressionWrapper(silence_over(), output_field=BooleanField())
    )
    if not show_done:
        queryset = queryset.filter(done_at__isnull=True)
    return queryset.order_by("-created_at")


def unread(user: User) -> QuerySet[Notification]:
    """The inbox badge's notifications: plain columns only (it is on every page). A reminder
    whose silence has ended is counted until the user has seen it once (the inbox then files
    it as done)."""
    return _in_inbox(user).filter(read_at__isnull=True, done_at__isnull=True)


def unread_count(user: User) -> int:
    return unread(user).count()


def escalated_cases(user: User) -> QuerySet[Case]:
    return (
        access.scoped(Case.objects.all(), user)
        .filter(status=CaseStatus.OPEN, silence_stage=SilenceStage.ESCALATED)
        .select_related("centre", "primary_counsellor")
        .order_by("silence_clock_started_at")
    )


def failed_notifications(user: User) -> QuerySet[Notification]:
    return (
        access.scoped(Notification.objects.all(), user)
        .filter(failed_at__isnull=False)
        .select_related("recipient")
        .order_by("-failed_at")
    )


def sweep_heartbeat() -> SweepHeartbeat | None:
    return SweepHeartbeat.objects.filter(name=SILENCE_HEARTBEAT).first()


def heartbeat_is_stale(heartbeat: SweepHeartbeat | None, *, now: dt.datetime | None = None) -> bool:
    return completion_is_stale(heartbeat.last_completed_at if heartbeat else None, now=now)


def completion_is_stale(
    last_completed_at: dt.datetime | None, *, now: dt.datetime | None = None
) -> bool:
    """A sweep that never completed, or not for SWEEP_STALE_AFTER."""
    now = now or timezone.now()
    return last_completed_at is None or last_completed_at < now - settings.SWEEP_STALE_AFTER


def last_sweep_completed() -> QuerySet[SweepHeartbeat, Any]:
    """When the silence sweep last completed, as a one-value query (the page header reads it
    as a subquery of its one statement)."""
    return SweepHeartbeat.objects.filter(name=SILENCE_HEARTBEAT).values("last_completed_at")[:1]
