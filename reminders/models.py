from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Centre
from cases.models import Case


def copied_reference(to: Any, *, related_name: str = "+", null: bool = False) -> Any:
    """A reference in a table the sweep writes by the ten or hundred thousand: neither an
    index of its own nor the database's foreign-key check, each paid per row written
    (bench/README.md). The value is copied from a row the writer has just read: the sweep
    copies case and centre from the case row its statement holds locked, and recipients from
    the user rows it joins; a hook from the model instances it is given. Django's on_delete
    still cascades. The cost is at deletion: deleting a case or a user scans the outbox
    (users are deactivated rather than deleted; disposing of cases after their retention
    period, still to be built, should delete their notifications in bulk first). A user or
    case deleted while a notification about them is being queued leaves a row that delivery
    cancels (an e-mail) or nobody sees (an in-app one)."""
    return models.ForeignKey(
        to,
        on_delete=models.CASCADE,
        related_name=related_name,
        null=null,
        db_index=False,
        db_constraint=False,
    )


class AlertStage(models.TextChoices):
    REMINDED = "reminded", _("担当者へリマインド")
    ESCALATED = "escalated", _("所長へエスカレーション")


class CaseAlert(models.Model):
    """One per case, stage and silence episode: the unique key is what makes a reminder
    go out once per episode however many sweeps run."""

    # Read through the unique key (case) and alert_centre (centre).
    case = copied_reference(Case, related_name="alerts")
    centre = copied_reference(Centre)
    stage = models.CharField(max_length=10, choices=AlertStage.choices)
    # The start of the silence episode (Case.silence_clock_started_at when raised).
    clock_started_at = models.DateTimeField()
    days_silent = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("途絶アラート")
        verbose_name_plural = _("途絶アラート")
        constraints = [
            models.UniqueConstraint(
                fields=["case", "stage", "clock_started_at"], name="one_alert_per_stage_episode"
            )
        ]
        indexes = [models.Index(fields=["centre", "stage", "-created_at"], name="alert_centre")]

    def __str__(self) -> str:
        return f"{self.stage} case#{self.case_id}"


class NotificationChannel(models.TextChoices):
    EMAIL = "email", _("メール")
    IN_APP = "in_app", _("アプリ内")


class Notification(models.Model):
    """The outbox. Rows are written in the same transaction as what caused them, so nothing
    is lost when Redis or a worker is down; delivery claims e-mail rows with compare-and-swap.
    An in-app notification is delivered by being written (`sent_at` is its creation): the
    inbox is where it arrives, with no worker or broker in between.

    `context` holds only references (case number, days, ids), never a name or a note: the
    text is rendered from it in the recipient's language."""

    # Read through the inbox and dedupe indexes (recipient) and notification_failed (centre);
    # case and alert are never looked up by the database.
    recipient = copied_reference(settings.AUTH_USER_MODEL, related_name="notifications")
    centre = copied_reference(Centre, null=True)
    case = copied_reference(Case, null=True)
    alert = copied_reference(CaseAlert, null=True)
    channel = models.CharField(max_length=10, choices=NotificationChannel.choices)
    kind = models.CharField(max_length=40)
    context = models.JSONField(default=dict)
    dedupe_key = models.CharField(max_length=120)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True)

    created_at = models.DateTimeField(default=timezone.now)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # Which delivery run holds the claim; refreshed just before each send (see services).
    claim_token = models.UUIDField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        constraints = [
            # Idempotent hooks: the same key for the same user and channel is queued once.
            # Silence alerts are unique by construction instead (one alert per case, stage and
            # episode, and its notifications are written by the statement that inserted it),
            # which spares the sweep a text index entry per row.
            models.UniqueConstraint(
                fields=["recipient", "channel", "dedupe_key"],
                name="notification_once",
                condition=Q(alert__isnull=True),
            )
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="notification_pending",
                condition=Q(
                    sent_at__isnull=True, failed_at__isnull=True, cancelled_at__isnull=True
                ),
            ),
            # The inbox, its unread badge and its "done" tab.
            models.Index(
                fields=["recipient", "-created_at"],
                name="notification_inbox",
                condition=Q(channel="in_app"),
            ),
            models.Index(
                fields=["centre", "-failed_at"],
                name="notification_failed",
                condition=Q(failed_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → user#{self.recipient_id} ({self.channel})"

    @property
    def message_id(self) -> str:
        # Stable across retries, so a rare resend is recognisable as the same message.
        return f"<notification-{self.pk}@{settings.EMAIL_MESSAGE_ID_DOMAIN}>"


# The heartbeat row of the silence sweep (/healthz and the managers' banner read it).
SILENCE_HEARTBEAT = "silence"


class SweepHeartbeat(models.Model):
    name = models.CharField(max_length=40, primary_key=True)
    last_started_at = models.DateTimeField(null=True)
    last_completed_at = models.DateTimeField(null=True)
    last_duration_ms = models.PositiveIntegerField(default=0)
    last_result = models.JSONField(default=dict)

    def __str__(self) -> str:
        return self.name
