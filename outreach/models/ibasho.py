"""The ibasho (居場所): drop-in sessions, who came (registered people and pseudonymous walk-ins),
and the staff bookings that keep anyone from being on two duties at once. Home visits (the
next part of outreach) book staff through the same table."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import ArrayField, DateTimeRangeField, RangeOperators
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Centre
from accounts.validators import PlannableDay
from cases.choices import AgeBand, Gender
from cases.models import Case, Consent, ContactEntry


class Weekday(models.IntegerChoices):
    """ISO weekdays, as `date.isoweekday()` gives them (the calendar shows Sunday first)."""

    MONDAY = 1, _("月")
    TUESDAY = 2, _("火")
    WEDNESDAY = 3, _("水")
    THURSDAY = 4, _("木")
    FRIDAY = 5, _("金")
    SATURDAY = 6, _("土")
    SUNDAY = 7, _("日")


# A series is generated in one go: a year of sessions is plenty.
MAX_SERIES_DAYS = 366


class IbashoSeries(models.Model):
    """Sessions that recur weekly or every other week on given weekdays, from/until."""

    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="ibasho_series")
    title = models.CharField(_("名称・プログラム"), max_length=120)
    place = models.CharField(_("場所"), max_length=120)
    weekdays = ArrayField(
        models.PositiveSmallIntegerField(choices=Weekday.choices), verbose_name=_("曜日")
    )
    every_weeks = models.PositiveSmallIntegerField(
        _("間隔"), choices=[(1, _("毎週")), (2, _("隔週"))], default=1
    )
    starts_on = models.DateField(_("開始日"), validators=[PlannableDay()])
    ends_on = models.DateField(_("終了日"), validators=[PlannableDay()])
    start_time = models.TimeField(_("開始時刻"))
    end_time = models.TimeField(_("終了時刻"))
    capacity = models.PositiveSmallIntegerField(_("定員"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("居場所の定期開催")
        verbose_name_plural = _("居場所の定期開催")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="series_dates_ordered"
            ),
            models.CheckConstraint(
                condition=Q(end_time__gt=models.F("start_time")), name="series_times_ordered"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if (
            self.starts_on
            and self.ends_on
            and (self.ends_on - self.starts_on).days > MAX_SERIES_DAYS
        ):
            raise ValidationError({"ends_on": _("期間は1年以内にしてください。")})


class IbashoSession(models.Model):
    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="ibasho_sessions")
    series = models.ForeignKey(
        IbashoSeries, on_delete=models.SET_NULL, null=True, blank=True, related_name="sessions"
    )
    place = models.CharField(_("場所"), max_length=120)
    starts_at = models.DateTimeField(_("開始"), validators=[PlannableDay()])
    ends_at = models.DateTimeField(_("終了"), validators=[PlannableDay()])
    theme = models.CharField(_("テーマ・プログラム"), max_length=200, blank=True)
    capacity = models.PositiveSmallIntegerField(_("定員"), null=True, blank=True)
    notes = models.TextField(_("メモ"), blank=True)
    cancelled_at = models.DateTimeField(_("中止日時"), null=True, blank=True)
    cancel_reason = models.CharField(_("中止の理由"), max_length=200, blank=True)
    # Edited on its own: a change to "this and later" of its series leaves it as it is.
    detached = models.BooleanField(default=False, editable=False)
    # Bumped by every change: the edit form carries it, so a stale save is refused.
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["starts_at"]
        verbose_name = _("居場所の回")
        verbose_name_plural = _("居場所の回")
        indexes = [models.Index(fields=["centre", "starts_at"], name="ibasho_session_day")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="ibasho_times_ordered"
            ),
            models.CheckConstraint(
                condition=Q(cancelled_at__isnull=True) | ~Q(cancel_reason=""),
                name="ibasho_cancel_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.place} {timezone.localtime(self.starts_at):%Y-%m-%d %H:%M}"

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None


class BookingKind(models.TextChoices):
    IBASHO = "ibasho", _("居場所")
    HOME_VISIT = "home_visit", _("訪問")
    OTHER = "other", _("その他の業務")


class StaffBooking(models.Model):
    """A staff member's time on a duty. The exclusion constraint makes two overlapping
    bookings of one person impossible, even from two transactions at the same moment."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bookings"
    )
    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="+")
    during = DateTimeRangeField(_("時間帯"))
    kind = models.CharField(_("業務"), max_length=15, choices=BookingKind.choices)
    session = models.ForeignKey(
        IbashoSession, on_delete=models.CASCADE, null=True, blank=True, related_name="bookings"
    )
    visit = models.ForeignKey(
        "outreach.HomeVisit",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="bookings",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("職員の予定")
        verbose_name_plural = _("職員の予定")
        constraints = [
            ExclusionConstraint(
                name="no_double_booking",
                expressions=[("user", RangeOperators.EQUAL), ("during", RangeOperators.OVERLAPS)],
            ),
            models.CheckConstraint(
                condition=~Q(kind=BookingKind.IBASHO) | Q(session__isnull=False),
                name="ibasho_booking_has_session",
            ),
            models.CheckConstraint(
                condition=~Q(kind=BookingKind.HOME_VISIT) | Q(visit__isnull=False),
                name="visit_booking_has_visit",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.kind}"


class WalkIn(models.Model):
    """A visitor known only by a nickname. No link to any case until staff link it with the
    person's recorded consent (the link is audited and can be undone)."""

    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="walk_ins")
    nickname = models.CharField(_("ニックネーム"), max_length=40)
    search_text = models.CharField(max_length=80, editable=False, default="")
    age_band = models.CharField(
        _("年代"), max_length=10, choices=AgeBand.choices, default=AgeBand.UNKNOWN
    )
    gender = models.CharField(
        _("性別"), max_length=12, choices=Gender.choices, default=Gender.UNANSWERED
    )
    case = models.ForeignKey(
        Case, on_delete=models.SET_NULL, null=True, blank=True, related_name="walk_ins"
    )
    consent = models.ForeignKey(
        Consent, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    linked_at = models.DateTimeField(null=True, blank=True)
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("来所者（ニックネーム）")
        verbose_name_plural = _("来所者（ニックネーム）")
        constraints = [
            models.CheckConstraint(
                condition=Q(case__isnull=True) | Q(consent__isnull=False),
                name="walk_in_linked_with_consent",
            )
        ]

    def __str__(self) -> str:
        return self.nickname


class IbashoAttendance(models.Model):
    # Indexed by attendance_session_arrival, whose first column it is.
    session = models.ForeignKey(
        IbashoSession, on_delete=models.PROTECT, related_name="attendances", db_index=False
    )
    # The person, or a walk-in (and, once linked, both: the walk-in keeps the history).
    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, null=True, blank=True, related_name="ibasho_attendances"
    )
    walk_in = models.ForeignKey(
        WalkIn, on_delete=models.PROTECT, null=True, blank=True, related_name="attendances"
    )
    arrived_at = models.DateTimeField(_("到着"))
    left_at = models.DateTimeField(_("退出"), null=True, blank=True)
    note = models.CharField(_("メモ"), max_length=200, blank=True)
    first_visit = models.BooleanField(_("はじめての来所"), default=False)
    stayed_whole_session = models.BooleanField(_("最後まで過ごせた"), default=False)
    talked_with_others = models.BooleanField(_("他の来所者と話した"), default=False)
    joined_activity = models.BooleanField(_("活動に参加した"), default=False)
    first_time_alone = models.BooleanField(_("はじめて一人で来た"), default=False)
    # The contact this attendance wrote to the case's log (one, corrected with it).
    contact = models.OneToOneField(
        ContactEntry, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # A double tap sends the same key twice: the second finds the first.
    client_key = models.UUIDField(null=True, blank=True, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["arrived_at", "id"]
        verbose_name = _("居場所の来所")
        verbose_name_plural = _("居場所の来所")
        # A session's attendances, and a centre's by month (the dashboard's trends, the
        # statistics) through its sessions: without it, a scan of every centre's
        # attendances (3.6M rows at national scale; docs/performance.md).
        indexes = [
            models.Index(fields=["session", "arrived_at"], name="attendance_session_arrival")
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(case__isnull=False) | Q(walk_in__isnull=False),
                name="attendance_of_someone",
            ),
            models.UniqueConstraint(
                fields=["session", "case"],
                condition=Q(case__isnull=False),
                name="case_once_per_session",
            ),
            models.UniqueConstraint(
                fields=["session", "walk_in"],
                condition=Q(walk_in__isnull=False),
                name="walk_in_once_per_session",
            ),
            models.UniqueConstraint(
                fields=["session", "client_key"],
                condition=Q(client_key__isnull=False),
                name="attendance_request_once",
            ),
            models.CheckConstraint(
                condition=Q(left_at__isnull=True) | Q(left_at__gte=models.F("arrived_at")),
                name="attendance_leaves_after_arriving",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.session_id}:{self.case_id or self.walk_in_id}"

    @property
    def is_walk_in(self) -> bool:
        return self.case_id is None

    @property
    def in_room(self) -> bool:
        return self.left_at is None

    def minutes(self, now: dt.datetime | None = None) -> int:
        end = self.left_at or now or timezone.now()
        return max(0, int((end - self.arrived_at).total_seconds() // 60))
