"""Home visits (訪問・アウトリーチ): announced and agreed in advance, the staff briefed, two of
them going together, checked in and out for their safety, and reported. Every change goes
through `outreach.services.visits`, which keeps the rules (docs/visits.md)."""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Centre
from accounts.validators import PlannableDay
from cases.models import Case, ContactEntry


class VisitStatus(models.TextChoices):
    PLANNED = "planned", _("計画中（未予告）")
    ANNOUNCED = "announced", _("予告済み")
    CONFIRMED = "confirmed", _("確定")
    IN_PROGRESS = "in_progress", _("訪問中")
    DONE = "done", _("完了")
    CANCELLED = "cancelled", _("中止")
    POSTPONED = "postponed", _("延期")
    MISSED = "missed", _("未実施")


# Still ahead (or under way): what the calendar, the reminders and the bookings care about.
OPEN_STATUSES = (
    VisitStatus.PLANNED,
    VisitStatus.ANNOUNCED,
    VisitStatus.CONFIRMED,
    VisitStatus.IN_PROGRESS,
)
# Ended without taking place: the staff's time is given back.
CALLED_OFF_STATUSES = (VisitStatus.CANCELLED, VisitStatus.POSTPONED, VisitStatus.MISSED)


class VisitOutcome(models.TextChoices):
    MET_PERSON = "met_person", _("本人と会えた")
    THROUGH_DOOR = "through_door", _("ドア越しに話せた")
    MET_FAMILY = "met_family", _("家族のみと会えた")
    LETTER_LEFT = "letter_left", _("手紙を置いてきた")
    NO_ANSWER = "no_answer", _("応答なし")
    REFUSED = "refused", _("訪問を断られた")


# Someone was met (or talked with): the contact is two-way and resets the silence clock. A
# letter left or no answer is a one-way attempt; a refusal at the door is recorded as the
# person's "no", and a "no" is an answer.
TWO_WAY_OUTCOMES = frozenset(
    {
        VisitOutcome.MET_PERSON,
        VisitOutcome.THROUGH_DOOR,
        VisitOutcome.MET_FAMILY,
        VisitOutcome.REFUSED,
    }
)
OUTCOME_COUNTERPART = {
    VisitOutcome.MET_PERSON: "person",
    VisitOutcome.THROUGH_DOOR: "person",
    VisitOutcome.MET_FAMILY: "family",
    VisitOutcome.LETTER_LEFT: "person",
    VisitOutcome.NO_ANSWER: "person",
    VisitOutcome.REFUSED: "person",
}


class NextStep(models.TextChoices):
    """What is offered after the person says no: never a visit regardless."""

    LETTER = "letter", _("手紙を送る")
    FAMILY_CONSULTATION = "family", _("家族との相談を続ける")
    LATER_DATE = "later", _("時期をおいて改めて打診する")


def _recorded_by() -> models.ForeignKey:  # type: ignore[type-arg]
    """Who checked in, checked out or wrote the report: set by the services, never typed."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )


class HomeVisit(models.Model):
    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="home_visits")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="home_visits")
    starts_at = models.DateTimeField(_("開始予定"), validators=[PlannableDay()])
    ends_at = models.DateTimeField(_("終了予定"), validators=[PlannableDay()])
    purpose = models.CharField(
        _("訪問の目的（本人に伝えた内容）"),
        max_length=300,
        help_text=_("本人・家族に伝えたとおりに書きます。"),
    )
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="VisitAssignment",
        related_name="home_visits",
        verbose_name=_("訪問する職員"),
    )
    status = models.CharField(
        _("状態"), max_length=12, choices=VisitStatus.choices, default=VisitStatus.PLANNED
    )
    status_reason = models.CharField(_("中止・延期・未実施の理由"), max_length=300, blank=True)
    next_step = models.CharField(_("次の対応"), max_length=10, choices=NextStep.choices, blank=True)
    outcome = models.CharField(_("結果"), max_length=15, choices=VisitOutcome.choices, blank=True)
    # Sensitive like a contact note: shown to casework roles and assignees only.
    report = models.TextField(_("訪問記録"), blank=True)
    report_written_at = models.DateTimeField(null=True, blank=True)
    report_by = _recorded_by()
    checked_in_at = models.DateTimeField(_("チェックイン"), null=True, blank=True)
    checked_in_by = _recorded_by()
    checked_out_at = models.DateTimeField(_("チェックアウト"), null=True, blank=True)
    checked_out_by = _recorded_by()
    # Set once by the check-out watch (one alert per visit, however often it runs).
    checkout_alerted_at = models.DateTimeField(null=True, blank=True, editable=False)
    # What the watch last reminded of, so each reminder goes once per date (or briefing) and
    # the watch skips what it has done: the start announced-reminded for, the briefing key
    # reminded of, and whether the report was.
    announce_reminded_for = models.DateTimeField(null=True, blank=True, editable=False)
    briefing_reminded_key = models.CharField(max_length=64, blank=True, editable=False)
    report_reminded_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The contact entry the outcome wrote to the case's log.
    contact = models.OneToOneField(
        ContactEntry, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["starts_at"]
        verbose_name = _("訪問")
        verbose_name_plural = _("訪問")
        indexes = [
            models.Index(fields=["centre", "starts_at"], name="visit_centre_day"),
            models.Index(fields=["case", "-starts_at"], name="visit_case_recent"),
            # The watches: open visits by time.
            models.Index(
                fields=["ends_at"],
                name="visit_open_by_end",
                condition=Q(status__in=["planned", "announced", "confirmed", "in_progress"]),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="visit_times_ordered"
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["cancelled", "postponed", "missed"])
                | ~Q(status_reason=""),
                name="visit_called_off_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(status="done") | ~Q(outcome=""), name="visit_done_has_outcome"
            ),
            models.CheckConstraint(
                condition=Q(checked_out_at__isnull=True)
                | Q(checked_in_at__isnull=False, checked_out_at__gte=models.F("checked_in_at")),
                name="visit_checks_out_after_in",
            ),
        ]

    def __str__(self) -> str:
        # A case number and a time, never a name: this string reaches logs and the admin.
        return f"{self.case.case_number} {timezone.localtime(self.starts_at):%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_called_off(self) -> bool:
        return self.status in CALLED_OFF_STATUSES

    @property
    def duration_minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)

    def checkout_due_at(self) -> dt.datetime:
        return self.ends_at + dt.timedelta(minutes=self.centre.safety_checkout_grace_minutes)

    @property
    def checkout_overdue(self) -> bool:
        """Started, not checked out, and past the centre's grace after the planned end."""
        return (
            self.status == VisitStatus.IN_PROGRESS
            and self.checked_out_at is None
            and timezone.now() > self.checkout_due_at()
        )


class VisitAssignment(models.Model):
    """A staff member on a visit, and which briefing they acknowledged: the key of the
    briefing's risk facts at that moment, so a change to them asks again."""

    visit = models.ForeignKey(HomeVisit, on_delete=models.CASCADE, related_name="assignments")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="visit_assignments"
    )
    briefing_acknowledged_at = models.DateTimeField(null=True, blank=True)
    briefing_key = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("訪問の担当")
        verbose_name_plural = _("訪問の担当")
        constraints = [
            models.UniqueConstraint(fields=["visit", "user"], name="assigned_once_per_visit")
        ]

    def __str__(self) -> str:
        return f"visit#{self.visit_id}→user#{self.user_id}"

    def has_acknowledged(self, current_key: str) -> bool:
        return self.briefing_acknowledged_at is not None and self.briefing_key == current_key


class AnnouncementMethod(models.TextChoices):
    LETTER = "letter", _("手紙")
    PHONE = "phone", _("電話")
    VIA_FAMILY = "via_family", _("家族を通じて")
    IN_PERSON = "in_person", _("直接（面談時など）")


class AnnouncementRecipient(models.TextChoices):
    PERSON = "person", _("本人")
    HOUSEHOLD = "household", _("世帯の家族")


class AnnouncementResponse(models.TextChoices):
    AGREED = "agreed", _("了承")
    NO_ANSWER = "no_answer", _("返答なし")
    REFUSED = "refused", _("拒否")
    CHANGE_DATE = "change_date", _("日程の変更を希望")


class VisitAnnouncement(models.Model):
    """How and when the visit was announced, to whom, and what they said. The notice period
    counts from the day it was made (`made_at`, Asia/Tokyo)."""

    visit = models.ForeignKey(HomeVisit, on_delete=models.CASCADE, related_name="announcements")
    method = models.CharField(_("予告の方法"), max_length=12, choices=AnnouncementMethod.choices)
    made_at = models.DateTimeField(_("予告した日時"))
    # The visit's start as announced: once the visit moves, this announcement (and the
    # person's answer) is of another date, and the new one must be announced.
    announced_start = models.DateTimeField(_("予告した訪問日時"), editable=False)
    # And its purpose as announced: a new purpose is not what the person agreed to either.
    announced_purpose = models.CharField(max_length=300, editable=False, default="")
    recipient = models.CharField(
        _("予告した相手"), max_length=10, choices=AnnouncementRecipient.choices
    )
    # Which household member (families.FamilyMember), by id: outreach sits above families,
    # but the reference stays plain so an announcement outlives a member's record.
    recipient_member_id = models.BigIntegerField(null=True, blank=True)
    response = models.CharField(_("返答"), max_length=12, choices=AnnouncementResponse.choices)
    note = models.CharField(_("メモ"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["made_at", "id"]
        verbose_name = _("訪問の予告")
        verbose_name_plural = _("訪問の予告")

    def __str__(self) -> str:
        return f"visit#{self.visit_id} {self.method} {self.response}"

    @property
    def made_on(self) -> dt.date:
        return timezone.localtime(self.made_at).date()


class VisitRule(models.TextChoices):
    NOTICE_PERIOD = "notice_period", _("予告期間")
    PAIR = "pair", _("2名での訪問")
    BRIEFING = "briefing", _("ブリーフィングの確認")


class EmergencyGround(models.TextChoices):
    RISK_TO_LIFE = "risk_to_life", _("生命の危険")
    POLICE_WELFARE_CHECK = "police", _("警察からの安否確認の要請")
    FAMILY_REQUEST = "family", _("家族からの緊急の要請")
    OTHER = "other", _("その他の緊急事由")


class VisitOverride(models.Model):
    """A manager's decision to set one rule aside for one visit, with the reason. Never
    edited: shown on the visit, highlighted, and on the audit trail."""

    visit = models.ForeignKey(HomeVisit, on_delete=models.CASCADE, related_name="overrides")
    rule = models.CharField(_("対象のルール"), max_length=15, choices=VisitRule.choices)
    ground = models.CharField(
        _("緊急の事由"), max_length=15, choices=EmergencyGround.choices, blank=True
    )
    reason = models.TextField(_("理由"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("承認した管理者"),
    )
    at = models.DateTimeField(_("日時"), default=timezone.now)
    # The start it was granted for: an emergency tomorrow is not one next week, so a moved
    # visit is back under the rules until a manager decides again.
    for_start = models.DateTimeField(_("対象の訪問日時"), editable=False)

    class Meta:
        ordering = ["at"]
        verbose_name = _("訪問ルールの例外承認")
        verbose_name_plural = _("訪問ルールの例外承認")
        constraints = [
            models.UniqueConstraint(
                fields=["visit", "rule", "for_start"], name="one_override_per_rule_and_start"
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="override_has_reason"),
            models.CheckConstraint(
                condition=~Q(rule="notice_period") | ~Q(ground=""),
                name="notice_override_has_ground",
            ),
        ]

    def __str__(self) -> str:
        return f"visit#{self.visit_id} {self.rule}"


def new_feed_token() -> str:
    return secrets.token_urlsafe(32)


class CalendarFeed(models.Model):
    """A user's private iCalendar address. The token is the only secret: rotating it makes
    the old address a 404 at once."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token = models.CharField(max_length=64, unique=True, default=new_feed_token)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("カレンダー配信")
        verbose_name_plural = _("カレンダー配信")

    def __str__(self) -> str:
        return f"feed of user#{self.user_id}"
