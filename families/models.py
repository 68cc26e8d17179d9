"""The household around a case and the family programmes (CRAFT courses, multi-family groups,
family association meetings). A family member belongs to a centre and is linked to one or more
of its cases (two withdrawn siblings, one mother): the link, not a copy, carries what depends
on the person (relation, living together, whether the person knows this member consults)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

from accounts.models import Centre
from accounts.templatetags.tsunagu import jdate
from accounts.validators import PlannableDay
from cases.choices import PersonAware
from cases.models import Case, ContactEntry, PersonName, age_from_birth_date


class Relation(models.TextChoices):
    """The member's relation to the person (本人)."""

    FATHER = "father", _("父")
    MOTHER = "mother", _("母")
    SIBLING = "sibling", _("きょうだい")
    SPOUSE = "spouse", _("配偶者")
    GRANDPARENT = "grandparent", _("祖父母")
    CHILD = "child", _("子")
    OTHER_RELATIVE = "other_relative", _("その他の親族")
    OTHER = "other", _("その他")


# The parents whose age makes an 80/50 household (domain rule 6).
PARENT_RELATIONS = (Relation.FATHER, Relation.MOTHER)


class MemberStatus(models.TextChoices):
    ACTIVE = "active", _("健在")
    MOVED_OUT = "moved_out", _("転出")
    DECEASED = "deceased", _("死亡")


class FamilyMember(PersonName, models.Model):
    """A person of the household. Never deleted: a member who died or moved out keeps their
    history with a status and its date."""

    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="family_members")
    family_name = models.CharField(_("姓"), max_length=60, blank=True)
    given_name = models.CharField(_("名"), max_length=60, blank=True)
    family_name_kana = models.CharField(_("せい（ふりがな）"), max_length=60, blank=True)
    given_name_kana = models.CharField(_("めい（ふりがな）"), max_length=60, blank=True)
    # Normalised name and furigana (cases.services.normalise_for_search), for partial search.
    search_text = models.TextField(editable=False, default="")
    # One or the other: the year alone still gives an age band, and the 80/50 rule then
    # counts the age the member reaches this year.
    birth_date = models.DateField(_("生年月日"), null=True, blank=True)
    birth_year = models.PositiveSmallIntegerField(_("生まれ年"), null=True, blank=True)
    phone = PhoneNumberField(_("電話番号"), blank=True, region="JP")
    # Sensitive: shown only to roles that see a case's sensitive data; viewing is audited.
    health_notes = models.TextField(_("健康・介護の状況"), blank=True)
    contact_consent = models.BooleanField(_("センターからの連絡に同意"), default=False)
    contact_consent_on = models.DateField(_("同意（撤回）日"), null=True, blank=True)
    contact_consent_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("同意を記録した職員"),
    )
    status = models.CharField(
        _("状況"), max_length=10, choices=MemberStatus.choices, default=MemberStatus.ACTIVE
    )
    status_since = models.DateField(_("状況の日付"), null=True, blank=True)

    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("家族")
        verbose_name_plural = _("家族")
        constraints = [
            models.CheckConstraint(
                condition=Q(birth_date__isnull=True) | Q(birth_year__isnull=True),
                name="member_birth_date_or_year",
            ),
            models.CheckConstraint(
                condition=Q(status=MemberStatus.ACTIVE) | Q(status_since__isnull=False),
                name="member_status_has_date",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    def age_on(self, day: dt.date) -> int | None:
        """Age on `day`; with the birth year only, the age reached during that year."""
        if self.birth_date is not None:
            return age_from_birth_date(self.birth_date, day)
        if self.birth_year is not None:
            return day.year - self.birth_year
        return None

    @property
    def age(self) -> int | None:
        """Today's age; for a member who died, the age they reached."""
        today = timezone.localdate()
        if self.status == MemberStatus.DECEASED and self.status_since:
            return self.age_on(min(today, self.status_since))
        return self.age_on(today)

    @property
    def is_present(self) -> bool:
        """Still part of the household (not deceased, not moved out)."""
        return self.status == MemberStatus.ACTIVE

    def clean(self) -> None:
        errors: dict[str, object] = {}
        today = timezone.localdate()
        if self.birth_date and self.birth_year:
            errors["birth_year"] = _("生年月日か生まれ年のどちらか一方を入力してください。")
        if self.birth_date and self.birth_date > today:
            errors["birth_date"] = _("生年月日が未来の日付になっています。")
        if self.birth_year and not 1900 <= self.birth_year <= today.year:
            errors["birth_year"] = _("生まれ年は1900年から今年までで入力してください。")
        if self.status != MemberStatus.ACTIVE and not self.status_since:
            errors["status_since"] = _("死亡・転出の日付を入力してください。")
        if self.status_since and self.status_since > today:
            errors["status_since"] = _("未来の日付は入力できません。")
        if errors:
            raise ValidationError(errors)


class HouseholdLink(models.Model):
    """A member in the household of one case, as seen from that case's person."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="household_links")
    member = models.ForeignKey(FamilyMember, on_delete=models.CASCADE, related_name="links")
    relation = models.CharField(_("続柄"), max_length=15, choices=Relation.choices)
    lives_with_person = models.BooleanField(_("本人と同居"), default=True)
    person_aware = models.CharField(
        _("本人はこの家族の相談を知っているか"),
        max_length=10,
        choices=PersonAware.choices,
        default=PersonAware.UNKNOWN,
    )
    is_primary_contact = models.BooleanField(_("主な連絡先"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("世帯の構成")
        verbose_name_plural = _("世帯の構成")
        constraints = [
            models.UniqueConstraint(fields=["case", "member"], name="member_once_per_case"),
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(is_primary_contact=True),
                name="one_primary_contact_per_case",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_relation_display()} ({self.case_id})"


class MemberContact(models.Model):
    """Which member a contact entry of a case was with: the contact log lives in `cases`,
    which knows nothing of families, so the link lives here."""

    contact = models.OneToOneField(
        ContactEntry, on_delete=models.CASCADE, related_name="family_member_link"
    )
    member = models.ForeignKey(FamilyMember, on_delete=models.PROTECT, related_name="contacts")
    # The centre phoned, wrote or visited (needs the member's consent), or the member came
    # to the centre or called it.
    outbound = models.BooleanField(_("センターから連絡した"), default=False)

    class Meta:
        verbose_name = _("家族との相談")
        verbose_name_plural = _("家族との相談")

    def __str__(self) -> str:
        return f"contact#{self.contact_id}→member#{self.member_id}"


class ContingencyPlan(models.Model):
    """What happens to the person if the parent is hospitalised or dies: required once a case
    is an 80/50 household."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="contingency_plan")
    who_to_call = models.TextField(_("緊急時の連絡先"))
    where_to_live = models.TextField(_("本人の生活の場（住まい・見守り）"), blank=True)
    agencies_informed = models.TextField(_("把握している関係機関"), blank=True)
    notes = models.TextField(_("その他の取り決め"), blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("緊急時の備え")
        verbose_name_plural = _("緊急時の備え")

    def __str__(self) -> str:
        return f"contingency#{self.case_id}"


# --- family programmes ---------------------------------------------------------------------


class ProgrammeKind(models.TextChoices):
    CRAFT = "craft", _("CRAFTプログラム")
    MULTI_FAMILY = "multi_family", _("家族教室（複数家族グループ）")
    FAMILY_ASSOCIATION = "association", _("家族会")
    STUDY = "study", _("学習会")


# Courses are planned like ibasho sessions: from 2000 to two years ahead.
PROGRAMME_DAY = PlannableDay(_("日付は2000年から2年先までの範囲で入力してください。"))


class FamilyProgramme(models.Model):
    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="programmes")
    kind = models.CharField(_("種類"), max_length=15, choices=ProgrammeKind.choices)
    title = models.CharField(_("名称"), max_length=120)
    facilitators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="facilitated_programmes", verbose_name=_("担当")
    )
    starts_on = models.DateField(_("開始日"), validators=[PROGRAMME_DAY])
    ends_on = models.DateField(_("終了日"), validators=[PROGRAMME_DAY])
    capacity = models.PositiveSmallIntegerField(_("定員"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    members = models.ManyToManyField(
        FamilyMember,
        through="Enrolment",
        related_name="programmes",
        verbose_name=_("参加者"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-starts_on", "title"]
        verbose_name = _("家族プログラム")
        verbose_name_plural = _("家族プログラム")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="programme_dates_ordered"
            )
        ]

    def __str__(self) -> str:
        return self.title

    def check_sessions_within(self, starts: Iterable[dt.datetime]) -> None:
        """Every session falls within the programme's dates (Tokyo days)."""
        days = [timezone.localdate(start) for start in starts]
        if days and (min(days) < self.starts_on or max(days) > self.ends_on):
            raise ValidationError(
                _("回の日程がプログラムの期間（%(first)s〜%(last)s）に収まっていません。")
                % {"first": jdate(self.starts_on), "last": jdate(self.ends_on)}
            )


class Enrolment(models.Model):
    programme = models.ForeignKey(FamilyProgramme, on_delete=models.CASCADE)
    member = models.ForeignKey(FamilyMember, on_delete=models.PROTECT)
    enrolled_at = models.DateTimeField(auto_now_add=True)
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("参加登録")
        verbose_name_plural = _("参加登録")
        constraints = [
            models.UniqueConstraint(fields=["programme", "member"], name="enrolled_once")
        ]

    def __str__(self) -> str:
        return f"{self.programme_id}:{self.member_id}"


class ProgrammeSession(models.Model):
    programme = models.ForeignKey(
        FamilyProgramme, on_delete=models.CASCADE, related_name="sessions"
    )
    starts_at = models.DateTimeField(_("開始"))
    ends_at = models.DateTimeField(_("終了"))
    place = models.CharField(_("場所"), max_length=120, blank=True)
    theme = models.CharField(_("テーマ"), max_length=200, blank=True)
    notes = models.TextField(_("メモ"), blank=True)

    class Meta:
        ordering = ["starts_at"]
        verbose_name = _("回")
        verbose_name_plural = _("回")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="session_times_ordered"
            )
        ]

    def __str__(self) -> str:
        return f"{self.programme_id}@{self.starts_at:%Y-%m-%d}"

    def register_is_open(self, now: dt.datetime | None = None) -> bool:
        """Attendance is recorded from just before the session starts (a facilitator at the
        door), never for a session days ahead."""
        return self.starts_at <= (now or timezone.now()) + REGISTER_OPENS_BEFORE


REGISTER_OPENS_BEFORE = dt.timedelta(minutes=5)


class AttendanceStatus(models.TextChoices):
    ATTENDED = "attended", _("出席")
    ABSENT = "absent", _("欠席")
    EXCUSED = "excused", _("欠席（連絡あり）")


class ProgrammeAttendance(models.Model):
    session = models.ForeignKey(
        ProgrammeSession, on_delete=models.CASCADE, related_name="attendance"
    )
    member = models.ForeignKey(FamilyMember, on_delete=models.PROTECT, related_name="attendance")
    status = models.CharField(_("出欠"), max_length=10, choices=AttendanceStatus.choices)
    note = models.CharField(_("メモ"), max_length=200, blank=True)
    recorded_at = models.DateTimeField(auto_now=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("出欠")
        verbose_name_plural = _("出欠")
        constraints = [
            models.UniqueConstraint(fields=["session", "member"], name="attendance_once")
        ]

    def __str__(self) -> str:
        return f"{self.session_id}:{self.member_id}={self.status}"


class SessionContact(models.Model):
    """The one contact entry a session wrote for a case (whichever of its members came): the
    key that makes saving the register twice, or correcting it, never write a second one."""

    session = models.ForeignKey(ProgrammeSession, on_delete=models.CASCADE, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    contact = models.OneToOneField(ContactEntry, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "case"], name="one_contact_per_session_case")
        ]

    def __str__(self) -> str:
        return f"{self.session_id}:{self.case_id}"
