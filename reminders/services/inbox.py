"""The in-app inbox: what a user has read, done, or no longer needs."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User
from reminders import selectors
from reminders.models import Notification


def notification_mark_done(*, notification: Notification) -> None:
    now = timezone.now()
    Notification.objects.filter(pk=notification.pk).update(
        done_at=now, read_at=Coalesce("read_at", Value(now))
    )


def inbox_file_ended_silences(*, user: User, notification_ids: Iterable[int]) -> int:
    """Reminders the user has just been shown as 'contact since' need nothing more: file them
    as done, so they leave the list. Only those shown, and only if still so."""
    now = timezone.now()
    return (
        Notification.objects.filter(
            recipient=user, pk__in=list(notification_ids), done_at__isnull=True
        )
        .filter(selectors.silence_over())
        .update(done_at=now, read_at=Coalesce("read_at", Value(now)))
    )


def inbox_mark_read(*, user: User, notification_ids: Iterable[int]) -> int:
    """Only what the user was shown: not other pages, nor what arrived while reading."""
    return Notification.objects.filter(
        recipient=user, pk__in=list(notification_ids), read_at__isnull=True
    ).update(read_at=timezone.now())
