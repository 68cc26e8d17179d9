from __future__ import annotations

from django.db.models import QuerySet

from accounts import access
from accounts.models import User
from cases.models import Case, CaseStatus, SilenceStage
from reminders.models import Notification, NotificationChannel


def inbox(user: User, *, show_done: bool = False) -> QuerySet[Notification]:
    # Rendered from `context`, so the list needs no join to cases or users.
    queryset = Notification.objects.filter(
        recipient=user, channel=NotificationChannel.IN_APP, sent_at__isnull=False
    )
    if not show_done:
        queryset = queryset.filter(done_at__isnull=True)
    return queryset.order_by("-created_at")


def unread_count(user: User) -> int:
    return Notification.objects.filter(
        recipient=user,
        channel=NotificationChannel.IN_APP,
        sent_at__isnull=False,
        read_at__isnull=True,
        done_at__isnull=True,
    ).count()


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
