"""The outbox: notifications queued in PostgreSQL with the write that caused them, then
claimed and delivered by a worker (at least once; the stable Message-ID makes a repeat the
same e-mail)."""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
import time
import uuid
from collections.abc import Iterable
from typing import Any

from celery import current_app
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Centre, User
from cases.models import Case
from reminders import notification_texts, selectors
from reminders.models import Notification, NotificationChannel

logger = logging.getLogger(__name__)

# Published by name: the task calls this module, and this module never imports the task.
DELIVERY_TASK = "reminders.deliver_pending_notifications"


def enqueue_delivery() -> None:
    """Ask a worker to deliver now, once the transaction commits. If Redis is down this only
    logs: the rows are safe in PostgreSQL and the periodic delivery task will send them.

    Fire and forget: with a result backend, publishing a task that keeps its result first
    subscribes to the result channel, and the Redis result backend retries that up to 20
    times, a second apart, when Redis is down: a sweep (or any request that queues a
    notification) would hang for ~20 s. Without a result, a failed publish costs at most the
    broker connection timeout (CELERY_BROKER_CONNECTION_TIMEOUT)."""

    def publish() -> None:
        try:
            current_app.send_task(DELIVERY_TASK, retry=False, ignore_result=True)
        except Exception as exc:  # the broker is optional for correctness, only for latency
            logger.warning("delivery not announced to the broker: %s", type(exc).__name__)

    transaction.on_commit(publish)


def notification_queue(
    *,
    recipients: Iterable[User],
    kind: str,
    context: dict[str, Any],
    dedupe_key: str,
    case: Case | None = None,
    centre: Centre | None = None,
    channels: Iterable[str] = (NotificationChannel.EMAIL, NotificationChannel.IN_APP),
) -> int:
    """Queue a notification about an object for some users (visit announcement due, briefing
    not acknowledged, safety check-out overdue...). `dedupe_key` makes it idempotent: the same
    key for the same user and channel is queued once. Returns how many rows were added."""
    notification_texts.check_context(kind, context)
    now = timezone.now()
    created = emails = 0
    for user in recipients:
        if not user.is_active:
            continue
        for channel in channels:
            in_app = channel == NotificationChannel.IN_APP
            _row, was_created = Notification.objects.get_or_create(
                recipient=user,
                channel=channel,
                dedupe_key=dedupe_key,
                alert=None,  # the rows notification_once keeps unique
                defaults={
                    "centre": centre or (case.centre if case else None),
                    "case": case,
                    "kind": kind,
                    "context": context,
                    "created_at": now,
                    "sent_at": now if in_app else None,  # the inbox is its delivery
                },
            )
            created += was_created
            emails += was_created and not in_app
    if emails:
        enqueue_delivery()
    return created


def notifications_claim(
    *, token: uuid.UUID, now: dt.datetime | None = None, limit: int | None = None
) -> list[int]:
    """Compare-and-swap claim of deliverable rows: unsent, due, and not claimed by a live
    worker (a claim older than the timeout belongs to a worker that died)."""
    now = now or timezone.now()
    limit = limit or settings.NOTIFICATION_BATCH_SIZE
    stale = now - settings.NOTIFICATION_CLAIM_TIMEOUT
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE reminders_notification n
               SET claimed_at = %(now)s, claim_token = %(token)s, attempts = n.attempts + 1
             WHERE n.id IN (
                   SELECT id FROM reminders_notification
                    WHERE sent_at IS NULL AND failed_at IS NULL AND cancelled_at IS NULL
                      AND next_attempt_at <= %(now)s
                      AND (claimed_at IS NULL OR claimed_at < %(stale)s)
                    ORDER BY next_attempt_at, id
                    LIMIT %(limit)s
                      FOR UPDATE SKIP LOCKED)
            RETURNING n.id
            """,
            {"now": now, "stale": stale, "limit": limit, "token": token},
        )
        return sorted(row[0] for row in cursor.fetchall())


def _is_obsolete(notification: Notification) -> bool:
    """Not sent: a silence alert whose episode has ended (a two-way contact came in, the case
    was paused, closed or deleted), the inbox's rule asked of this one row; or anything
    about a case that has been deleted since it was queued."""
    if notification.alert_id is not None:
        return (
            Notification.objects.filter(pk=notification.pk)
            .filter(selectors.silence_over())
            .exists()
        )
    return (
        notification.case_id is not None
        and not Case.objects.filter(pk=notification.case_id).exists()
    )


def notification_deliver(*, notification_id: int, token: uuid.UUID) -> str:
    """Send one claimed notification and mark it sent. Idempotent: a sent row is left alone.
    A crash between sending and marking re-sends the same e-mail with the same Message-ID."""
    # Renew the claim right before sending: a slow batch never lets another run take a
    # message it is about to send, and a claim lost to another run is not sent here.
    renewed = Notification.objects.filter(
        pk=notification_id, claim_token=token, sent_at__isnull=True
    ).update(claimed_at=timezone.now())
    if not renewed:
        return "skipped"
    notification = (
        Notification.objects.select_related("recipient").filter(pk=notification_id).first()
    )
    if notification is None:
        # The claim was renewed, so the row was there a moment ago: its recipient is what is
        # missing, a user deleted after the notification was queued (the reference is not
        # checked by the database). (If the row itself has just gone, this updates nothing.)
        Notification.objects.filter(pk=notification_id).update(
            cancelled_at=timezone.now(), last_error="recipient no longer exists"
        )
        return "cancelled"
    if notification.sent_at or notification.failed_at:
        return "skipped"
    if notification.cancelled_at:
        return "cancelled"
    if _is_obsolete(notification):
        Notification.objects.filter(pk=notification.pk).update(cancelled_at=timezone.now())
        return "cancelled"
    recipient = notification.recipient
    subject, body = notification_texts.render(
        notification.kind, notification.context, recipient.language
    )
    try:
        if notification.channel == NotificationChannel.EMAIL:
            if not recipient.email:
                raise ValueError("recipient has no e-mail address")
            EmailMessage(
                subject=subject,
                body=body,
                to=[recipient.email],
                headers={"Message-ID": notification.message_id},
            ).send()
    except Exception as exc:
        _record_failure(notification, exc)
        return "failed"
    Notification.objects.filter(pk=notification.pk, sent_at__isnull=True).update(
        sent_at=timezone.now(), subject=subject, body=body, last_error=""
    )
    return "sent"


def is_permanent(exc: Exception) -> bool:
    """The mail server refused for good (an SMTP 5xx reply: no such mailbox, rejected as
    policy): retrying cannot help, so the failure goes to the managers at once instead of
    after a quarter of an hour of retries. A 4xx, a dropped connection or a full disk may pass."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _message in exc.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    return isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code >= 500


def _record_failure(notification: Notification, exc: Exception) -> None:
    error = f"{type(exc).__name__}: {exc}"[:300]
    logger.warning(
        "notification %s failed (attempt %s): %s",
        notification.pk,
        notification.attempts,
        type(exc).__name__,
    )
    if notification.attempts >= settings.NOTIFICATION_MAX_ATTEMPTS or is_permanent(exc):
        Notification.objects.filter(pk=notification.pk).update(
            failed_at=timezone.now(), last_error=error, claimed_at=None
        )
        return
    backoff = dt.timedelta(seconds=60 * 2 ** max(notification.attempts - 1, 0))
    Notification.objects.filter(pk=notification.pk).update(
        next_attempt_at=timezone.now() + backoff, last_error=error, claimed_at=None
    )


def deliver_pending(*, time_budget: float = 50.0) -> dict[str, int]:
    """Claim and deliver batches until nothing is due or the time budget is spent."""
    counts: dict[str, int] = {}
    deadline = time.monotonic() + time_budget
    while time.monotonic() < deadline:
        token = uuid.uuid4()
        claimed = notifications_claim(token=token)
        if not claimed:
            break
        for notification_id in claimed:
            outcome = notification_deliver(notification_id=notification_id, token=token)
            counts[outcome] = counts.get(outcome, 0) + 1
    return counts
