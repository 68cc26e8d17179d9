from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Centre
from cases.models import Case


class AlertStage(models.TextChoices):
    REMINDED = "reminded", _("担当者へリマインド")
    ESCALATED = "escalated", _("所長へエスカレーション")


class CaseAlert(models.Model):
    """One per case, stage and silence episode: the unique key is what makes a reminder
    go out once per episode however many sweeps run."""

    # Covered by the unique key and by alert_centre: no separate foreign-key indexes, since
    # the sweep inserts alerts by the ten thousand.
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="alerts", db_index=False)
    # Copied from the case in the same statement: no database check needed (nor its cost).
    centre = models.ForeignKey(
        Centre, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
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
    is lost when Redis or a worker is down; delivery claims rows with compare-and-swap.

    `context` holds only references (case number, days, ids), never a name or a note: the
    text is rendered from it in the recipient's language."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        db_index=False,
    )
    # recipient is covered by notification_once, centre by notification_failed (its only
    # query); alert rows go only with their case, which is indexed here.
    # centre and alert are copies of what the sweep has just read or written in the same
    # statement, so they skip the database's foreign-key check (the bulk of the sweep's cost
    # at commit); Django still cascades deletes. case and recipient keep the check.
    centre = models.ForeignKey(
        Centre,
        on_delete=models.CASCADE,
        null=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    case = models.ForeignKey(Case, on_delete=models.CASCADE, null=True, related_name="+")
    alert = models.ForeignKey(
        CaseAlert,
        on_delete=models.CASCADE,
        null=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
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
            models.UniqueConstraint(
                fields=["recipient", "channel", "dedupe_key"], name="notification_once"
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
            models.Index(
                fields=["recipient", "-created_at"],
                name="notification_inbox",
                condition=Q(channel="in_app", done_at__isnull=True),
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


class SweepHeartbeat(models.Model):
    name = models.CharField(max_length=40, primary_key=True)
    last_started_at = models.DateTimeField(null=True)
    last_completed_at = models.DateTimeField(null=True)
    last_duration_ms = models.PositiveIntegerField(default=0)
    last_result = models.JSONField(default=dict)

    def __str__(self) -> str:
        return self.name
