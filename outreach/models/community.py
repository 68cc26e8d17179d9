"""Community work (地域活動): lectures and awareness events (講演会・普及啓発), trainings for
other professionals (研修会), and meetings with other agencies (支援会議・ネットワーク会議).

A meeting may discuss named cases of the centre (`DiscussedCase`), and only under a basis for
sharing their information: a statutory support conference whose members carry a duty of
confidentiality (生活困窮者自立支援法第9条, 社会福祉法第106条の6, 児童福祉法第25条の2), or the
consent of each case to sharing with agencies, in force on the day (domain rule 7). A case
discussed at a meeting is shown on its own timeline (never with the meeting's other cases)
and is not a contact: the person or family was not consulted (docs/statistics.md)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Centre
from accounts.validators import PlannableDay
from cases.models import Case


class ActivityKind(models.TextChoices):
    LECTURE = "lecture", _("講演会")
    AWARENESS = "awareness", _("普及啓発（イベント・広報）")
    TRAINING = "training", _("研修会（関係機関の職員向け）")
    SUPPORT_MEETING = "support_meeting", _("支援会議・個別ケース検討会議")
    NETWORK_MEETING = "network_meeting", _("ネットワーク会議・連絡協議会")
    OTHER = "other", _("その他の地域活動")


# The kinds that are meetings with other agencies: only these may discuss named cases.
MEETING_KINDS = frozenset({ActivityKind.SUPPORT_MEETING, ActivityKind.NETWORK_MEETING})


class Organiser(models.TextChoices):
    CENTRE = "centre", _("センター主催")
    CO_HOSTED = "co_hosted", _("共催")
    OUTSIDE = "outside", _("他機関の主催（講師派遣・出席）")


class AudienceKind(models.TextChoices):
    RESIDENTS = "residents", _("地域住民")
    FAMILIES = "families", _("家族")
    PERSONS = "persons", _("本人・当事者")
    AGENCY_STAFF = "agency_staff", _("行政・関係機関の職員")
    MINSEI = "minsei", _("民生委員・児童委員")
    TEACHERS = "teachers", _("教職員")
    MEDICAL = "medical", _("医療・保健の職員")
    EMPLOYERS = "employers", _("企業・就労支援の関係者")
    STUDENTS = "students", _("学生")
    MIXED = "mixed", _("複数の対象")
    OTHER = "other", _("その他")


class SharingBasis(models.TextChoices):
    """On what ground a meeting may share a case's information with its other members."""

    POVERTY_ACT = "poverty_act", _("生活困窮者自立支援法第9条の支援会議")
    SOCIAL_WELFARE_ACT = (
        "social_welfare_act",
        _("社会福祉法第106条の6の支援会議（重層的支援体制整備事業）"),
    )
    CHILD_WELFARE_ACT = "child_welfare_act", _("児童福祉法第25条の2の要保護児童対策地域協議会")
    CONSENT = "consent", _("本人・家族の同意（ケースごとに確認）")


# Conferences set up by law: their members are bound to confidentiality, and a case may be
# discussed there without its consent. Any other meeting needs each case's consent.
STATUTORY_BASES = frozenset(
    {
        SharingBasis.POVERTY_ACT,
        SharingBasis.SOCIAL_WELFARE_ACT,
        SharingBasis.CHILD_WELFARE_ACT,
    }
)

# A sanity bound: a typo of 10万 for 100 is refused, not reported to the prefecture.
MAX_AUDIENCE = 100_000

# What an edit may change (the form's fields; the audit trail names those changed).
ACTIVITY_FIELDS = (
    "kind",
    "title",
    "held_on",
    "starts_at",
    "ends_at",
    "place",
    "organiser",
    "organiser_name",
    "audience_kind",
    "audience_count",
    "sharing_basis",
    "notes",
)


class CommunityActivity(models.Model):
    centre = models.ForeignKey(
        Centre, on_delete=models.PROTECT, related_name="community_activities"
    )
    kind = models.CharField(_("種類"), max_length=20, choices=ActivityKind.choices)
    title = models.CharField(
        _("名称・テーマ"),
        max_length=200,
        help_text=_(
            "ケースの氏名やケース番号は書かないでください（検討したケースは別に記録します）。"
        ),
    )
    held_on = models.DateField(_("開催日"), validators=[PlannableDay()])
    # Optional; stored in UTC, on the Tokyo day `held_on` (checked in clean()).
    starts_at = models.DateTimeField(_("開始"), null=True, blank=True)
    ends_at = models.DateTimeField(_("終了"), null=True, blank=True)
    place = models.CharField(
        _("場所"), max_length=120, help_text=_("例: 市民会館 2階ホール、オンライン")
    )
    organiser = models.CharField(
        _("主催"), max_length=12, choices=Organiser.choices, default=Organiser.CENTRE
    )
    organiser_name = models.CharField(
        _("主催・共催の機関名"), max_length=120, blank=True, help_text=_("センター主催なら空欄")
    )
    audience_kind = models.CharField(_("主な対象"), max_length=20, choices=AudienceKind.choices)
    audience_count = models.PositiveIntegerField(
        _("参加者数"), default=0, validators=[MaxValueValidator(MAX_AUDIENCE)]
    )
    sharing_basis = models.CharField(
        _("個人情報を共有する根拠"),
        max_length=20,
        choices=SharingBasis.choices,
        blank=True,
        help_text=_("会議でケースを検討するときに選びます。"),
    )
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="community_activities",
        blank=True,
        verbose_name=_("参加した職員"),
    )
    notes = models.TextField(_("メモ"), blank=True)
    # Bumped by every change: the edit form carries it, so a stale save is refused.
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-held_on", "-id"]
        verbose_name = _("地域活動")
        verbose_name_plural = _("地域活動")
        # The list and the statistics: a centre's activities of a month or a year.
        indexes = [models.Index(fields=["centre", "held_on"], name="community_centre_day")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True)
                | Q(starts_at__isnull=False, ends_at__gt=models.F("starts_at")),
                name="community_times_ordered",
            ),
            models.CheckConstraint(
                condition=Q(organiser=Organiser.CENTRE) | ~Q(organiser_name=""),
                name="community_organiser_named",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=sorted(MEETING_KINDS)) | Q(sharing_basis=""),
                name="community_basis_only_for_meetings",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.held_on:%Y-%m-%d}"

    @property
    def is_meeting(self) -> bool:
        return self.kind in MEETING_KINDS

    @property
    def statutory(self) -> bool:
        """A conference set up by law (its members are bound to confidentiality)."""
        return self.sharing_basis in STATUTORY_BASES

    def clean(self) -> None:
        errors: dict[str, object] = {}
        if self.starts_at and self.held_on and timezone.localdate(self.starts_at) != self.held_on:
            errors["starts_at"] = _("開始は開催日の時刻にしてください。")
        if self.ends_at and not self.starts_at:
            errors["ends_at"] = _(
                "終了時刻だけを記録することはできません。開始時刻も入力してください。"
            )
        elif self.ends_at and self.starts_at and self.ends_at <= self.starts_at:
            errors["ends_at"] = _("終了は開始より後にしてください。")
        if self.organiser != Organiser.CENTRE and not self.organiser_name.strip():
            errors["organiser_name"] = _("主催・共催の機関名を入力してください。")
        if self.sharing_basis and not self.is_meeting:
            errors["sharing_basis"] = _("情報共有の根拠は、会議のときだけ選べます。")
        if errors:
            raise ValidationError(errors)


class DiscussedCase(models.Model):
    """A case of the centre discussed at one of its meetings. Linking and unlinking are on
    the case's audit trail."""

    activity = models.ForeignKey(
        CommunityActivity, on_delete=models.CASCADE, related_name="discussions"
    )
    # The case's timeline reads these by case (the index of the foreign key).
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="discussions")
    added_at = models.DateTimeField(auto_now_add=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["id"]
        verbose_name = _("会議で検討したケース")
        verbose_name_plural = _("会議で検討したケース")
        constraints = [
            models.UniqueConstraint(fields=["activity", "case"], name="case_once_per_meeting")
        ]

    def __str__(self) -> str:
        return f"{self.activity_id}:{self.case_id}"
