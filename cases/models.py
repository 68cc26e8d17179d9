from __future__ import annotations

import datetime as dt

import pgtrigger
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

from accounts.models import Centre, Role, User, append_only_triggers
from cases.choices import (
    AgeBand,
    CaseStatus,
    Channel,
    ClosureReason,
    ConsentScope,
    ContactSource,
    Counterpart,
    DestinationKind,
    FirstContactBy,
    Gender,
    PersonAware,
    ReferralOutcome,
    Severity,
    SilenceStage,
    SupportStage,
)

postal_code_validator = RegexValidator(
    r"^\d{3}-?\d{4}$", _("郵便番号は 123-4567 の形式で入力してください。")
)


# Who may own a case (be its responsible counsellor): an active counsellor or manager of the
# case's centre. One definition for the case form, Case.clean and (as parameters) the silence
# sweep's SQL, which routes a reminder to managers when the owner no longer qualifies.
CASE_OWNER_ROLES: tuple[Role, ...] = (Role.COUNSELLOR, Role.MANAGER)


def case_owners(*centres: Centre | int) -> QuerySet[User]:
    """The users who may own a case of any of these centres."""
    return (
        User.objects.filter(is_active=True, role__in=CASE_OWNER_ROLES, centres__in=centres)
        .distinct()
        .order_by("display_name", "id")
    )


# "K-0042", "K-12345": at least this many digits (the sweep's SQL formats it the same way).
CASE_NUMBER_MIN_DIGITS = 4


def age_from_birth_date(birth_date: dt.date, day: dt.date) -> int:
    """Completed years on `day` (a 29 February birthday counts from 1 March)."""
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


class PersonName:
    """How a person is shown, the name possibly unknown yet: the person of a case, a member
    of their household."""

    family_name: str
    given_name: str
    family_name_kana: str
    given_name_kana: str

    @property
    def display_name(self) -> str:
        name = f"{self.family_name} {self.given_name}".strip()
        return name or str(_("（氏名未確認）"))

    @property
    def display_kana(self) -> str:
        return f"{self.family_name_kana} {self.given_name_kana}".strip()


# Who the person is and where they live: what the case form edits as "the person", and what
# a case carries to its new centre when the family moves.
CASE_PERSON_FIELDS: tuple[str, ...] = (
    "family_name",
    "given_name",
    "family_name_kana",
    "given_name_kana",
    "birth_date",
    "age_band",
    "gender",
    "postal_code",
    "prefecture",
    "municipality",
    "address_line",
    "phone",
)


class Case(PersonName, models.Model):
    """The person supported (本人). Personal details may be unknown at intake: a family member
    often calls before the person is ever met."""

    # Index-lean on purpose: the sweep rewrites thousands of case rows and every index costs
    # a write. `centre` is covered by the unique (centre, number) index.
    centre = models.ForeignKey(
        Centre, on_delete=models.PROTECT, related_name="cases", db_index=False
    )
    number = models.PositiveIntegerField(_("ケース番号"), editable=False)

    family_name = models.CharField(_("姓"), max_length=60, blank=True)
    given_name = models.CharField(_("名"), max_length=60, blank=True)
    family_name_kana = models.CharField(_("せい（ふりがな）"), max_length=60, blank=True)
    given_name_kana = models.CharField(_("めい（ふりがな）"), max_length=60, blank=True)
    # Normalised (hiragana, NFKC, no spaces) name + furigana, for partial search.
    search_text = models.TextField(editable=False, default="")

    birth_date = models.DateField(_("生年月日"), null=True, blank=True)
    age_band = models.CharField(
        _("年代"), max_length=10, choices=AgeBand.choices, default=AgeBand.UNKNOWN
    )
    gender = models.CharField(
        _("性別"), max_length=12, choices=Gender.choices, default=Gender.UNANSWERED
    )
    postal_code = models.CharField(
        _("郵便番号"), max_length=8, blank=True, validators=[postal_code_validator]
    )
    prefecture = models.CharField(_("都道府県"), max_length=10, blank=True)
    municipality = models.CharField(_("市区町村"), max_length=60, blank=True)
    address_line = models.CharField(_("番地・建物"), max_length=200, blank=True)
    # Stored as E.164 (+81...), shown in the national format (03-1234-5678); full-width digits
    # and hyphens, as a Japanese IME types them, are accepted.
    phone = PhoneNumberField(_("電話番号"), blank=True, region="JP")

    first_contact_date = models.DateField(_("初回相談日"))
    first_contact_by = models.CharField(
        _("初回相談者"), max_length=10, choices=FirstContactBy.choices
    )
    withdrawal_since_year = models.PositiveSmallIntegerField(
        _("ひきこもり開始（年）"), null=True, blank=True
    )
    withdrawal_since_month = models.PositiveSmallIntegerField(
        _("ひきこもり開始（月）"), null=True, blank=True
    )
    severity = models.CharField(
        _("状態の程度"), max_length=10, choices=Severity.choices, blank=True
    )
    support_stage = models.CharField(
        _("支援段階"), max_length=15, choices=SupportStage.choices, default=SupportStage.FAMILY
    )
    status = models.CharField(
        _("状態"), max_length=10, choices=CaseStatus.choices, default=CaseStatus.OPEN
    )
    paused_until = models.DateField(_("休止期限"), null=True, blank=True)
    closure_reason = models.CharField(
        _("終結理由"), max_length=15, choices=ClosureReason.choices, blank=True
    )
    closed_at = models.DateTimeField(_("終結日時"), null=True, blank=True)
    # A re-withdrawal after closure reopens the case as a new episode; history is kept.
    episode = models.PositiveSmallIntegerField(_("支援エピソード"), default=1)

    risk_self_harm = models.BooleanField(_("自傷・自殺のおそれ"), default=False)
    risk_violence = models.BooleanField(_("家庭内暴力"), default=False)
    # Computed from the household and the ages (families.risk_8050), never typed: the column
    # lets the case list filter and count it.
    risk_8050 = models.BooleanField(_("8050世帯"), default=False, editable=False)
    # Ticked by hand before households were recorded: kept as an 80/50 household until a
    # parent with a known age is recorded, and then the data decides.
    risk_8050_unverified = models.BooleanField(
        # db_default: a raw INSERT (the benchmark's COPY, a bulk import) need not name it
        _("8050世帯（手入力・未確認）"),
        default=False,
        db_default=False,
        editable=False,
    )
    risk_parent_ill = models.BooleanField(_("親の病気・要介護"), default=False)
    person_aware = models.CharField(
        _("本人は家族の相談を知っているか"),
        max_length=10,
        choices=PersonAware.choices,
        default=PersonAware.UNKNOWN,
    )
    primary_counsellor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="primary_cases",
        verbose_name=_("担当者"),
    )
    # The second counsellor working the case (副担当): like the primary counsellor, sees its
    # 要配慮個人情報 (cases.access.can_see_sensitive) without a manager's share.
    co_counsellor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="co_cases",
        verbose_name=_("副担当者"),
    )

    # Follow-up cadence: None means "the centre's default".
    followup_interval_days = models.PositiveSmallIntegerField(
        _("フォローアップ間隔（日）"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    escalation_grace_days = models.PositiveSmallIntegerField(
        _("エスカレーション猶予（日）"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    last_two_way_contact_at = models.DateTimeField(_("最終の双方向連絡"), null=True, blank=True)
    # Start of the current silence episode: last two-way contact, (re)opening or pause end.
    silence_clock_started_at = models.DateTimeField(default=timezone.now, editable=False)
    next_check_at = models.DateTimeField(null=True, blank=True, editable=False)
    silence_stage = models.CharField(
        max_length=10, choices=SilenceStage.choices, default=SilenceStage.OK, editable=False
    )
    # The review date of the case's current (newest) plan, kept by the plan services
    # (cases.services.plans.current_plan_refresh): "plan review overdue" is then a column
    # compared, not a newest-plan subquery run for each of a centre's open cases (the
    # managers' dashboard counts it per counsellor; docs/performance.md).
    current_plan_review_on = models.DateField(null=True, blank=True, editable=False)

    # Retention (APPI): a legal hold (a dispute, an inquiry, a request of the police or a
    # court) keeps a closed case from disposal until a manager lifts it; `disposed_at` marks
    # a case whose personal data were blanked after the centre's retention period
    # (records.retention), the anonymous facts the statistics count being kept.
    legal_hold = models.BooleanField(_("法的保全（廃棄しない）"), default=False, db_default=False)
    legal_hold_reason = models.CharField(_("保全の理由"), max_length=300, blank=True, db_default="")
    legal_hold_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        editable=False,
    )
    legal_hold_at = models.DateTimeField(null=True, blank=True, editable=False)
    disposed_at = models.DateTimeField(
        _("個人情報の消去日時"), null=True, blank=True, editable=False
    )

    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        db_index=False,
    )
    # The case this one continues at another centre (the family moved): the old case is
    # closed as transferred and keeps its contacts, so each centre counts its own.
    transferred_from = models.OneToOneField(
        "self",
        on_delete=models.SET_NULL,  # the old case may be disposed of after retention
        null=True,
        blank=True,
        editable=False,
        related_name="transferred_to",
        verbose_name=_("移管元のケース"),
    )

    class Meta:
        verbose_name = _("ケース")
        verbose_name_plural = _("ケース")
        constraints = [
            models.UniqueConstraint(
                fields=["centre", "number"], name="case_number_unique_per_centre"
            ),
            models.CheckConstraint(
                condition=~Q(status=CaseStatus.CLOSED) | ~Q(closure_reason=""),
                name="closed_case_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(status=CaseStatus.PAUSED) | Q(paused_until__isnull=False),
                name="paused_case_has_expiry",
            ),
            models.CheckConstraint(
                condition=(
                    Q(followup_interval_days__isnull=True) | Q(followup_interval_days__gte=1)
                )
                & (Q(escalation_grace_days__isnull=True) | Q(escalation_grace_days__gte=1)),
                name="case_cadence_positive",
            ),
        ]
        indexes = [
            # The silence sweep: one indexed range scan over open cases that are due.
            models.Index(
                fields=["next_check_at"],
                name="case_open_due",
                condition=Q(status=CaseStatus.OPEN),
            ),
            models.Index(
                fields=["paused_until"],
                name="case_paused_expiry",
                condition=Q(status=CaseStatus.PAUSED),
            ),
            models.Index(fields=["centre", "status", "-updated_at"], name="case_centre_list"),
            # The case list's default order (cases.selectors.case_list_queryset): a page is
            # an index range read in order, not a sort of the centre's every case, and the
            # unfiltered count an index-only scan.
            models.Index(fields=["centre", "-updated_at", "-id"], name="case_centre_recent"),
            # A centre's new cases of a period (the dashboard's monthly trend, the statistics'
            # new cases, the list's `opened` filter): a range, not the centre's every row.
            models.Index(fields=["centre", "first_contact_date"], name="case_centre_opened"),
            # The managers' caseload (dashboards.selectors.manager.case_counts): a centre's
            # open and paused cases with every column it counts, read from the index alone
            # instead of each case's page of the table (docs/performance.md).
            models.Index(
                fields=["centre", "primary_counsellor"],
                include=[
                    "id",
                    "status",
                    "support_stage",
                    "severity",
                    "silence_stage",
                    "current_plan_review_on",
                    "risk_8050",
                ],
                condition=~Q(status=CaseStatus.CLOSED),
                name="case_centre_caseload",
            ),
        ]

    def __str__(self) -> str:
        return self.case_number

    @property
    def case_number(self) -> str:
        return f"{self.centre.case_number_prefix}-{self.number:0{CASE_NUMBER_MIN_DIGITS}d}"

    def age_on(self, day: dt.date) -> int | None:
        if self.birth_date is None:
            return None
        return age_from_birth_date(self.birth_date, day)

    @property
    def age(self) -> int | None:
        return self.age_on(timezone.localdate())

    @property
    def effective_followup_days(self) -> int:
        if self.followup_interval_days is not None:
            return self.followup_interval_days
        return self.centre.followup_interval_days

    @property
    def effective_grace_days(self) -> int:
        if self.escalation_grace_days is not None:
            return self.escalation_grace_days
        return self.centre.escalation_grace_days

    def next_silence_check_at(
        self, *, reminded_at: dt.datetime | None = None
    ) -> dt.datetime | None:
        """When the silence sweep should look at the case next: at the end of the follow-up
        interval while all is well; once reminded, at the end of the escalation grace, counted
        from the reminder itself when the sweep came late (`reminded_at`), so the counsellor
        always gets the whole grace; never once escalated or not open.

        The sweep computes the same in SQL for speed (reminders.services.sweep, and
        cases.services.cases_resume_expired_pauses); tests/reminders/test_sweep_agrees.py
        pins the two together."""
        if self.status != CaseStatus.OPEN:
            return None
        interval = dt.timedelta(days=self.effective_followup_days)
        if self.silence_stage == SilenceStage.OK:
            return self.silence_clock_started_at + interval
        if self.silence_stage == SilenceStage.REMINDED:
            grace = dt.timedelta(days=self.effective_grace_days)
            due = self.silence_clock_started_at + interval + grace
            return max(due, reminded_at + grace) if reminded_at else due
        return None

    @property
    def risk_flags(self) -> list[str]:
        flags = self.risk_flags_without_self_harm
        if self.risk_self_harm:
            flags.insert(0, str(_("自傷・自殺のおそれ")))
        return flags

    @property
    def risk_flags_without_self_harm(self) -> list[str]:
        """The flags that are not health data (cases.access.risk_flags_for)."""
        flags = [
            (self.risk_violence, _("家庭内暴力")),
            (self.risk_8050, _("8050世帯")),
            (self.risk_parent_ill, _("親の病気・要介護")),
        ]
        return [str(label) for on, label in flags if on]

    @property
    def is_silent(self) -> bool:
        return self.silence_stage != SilenceStage.OK

    @property
    def days_silent(self) -> int:
        return (timezone.now() - self.silence_clock_started_at).days

    def clean(self) -> None:
        errors = {}
        if self.status == CaseStatus.CLOSED and not self.closure_reason:
            errors["closure_reason"] = _("終結理由を選んでください。")
        if self.status == CaseStatus.PAUSED and not self.paused_until:
            errors["paused_until"] = _("休止期限を入力してください。")
        if self.withdrawal_since_month and not 1 <= self.withdrawal_since_month <= 12:
            errors["withdrawal_since_month"] = _("月は1〜12で入力してください。")
        if self.birth_date and self.birth_date > timezone.localdate():
            errors["birth_date"] = _("生年月日が未来の日付になっています。")
        # Checked once the centre is known (intake forms validate before it is chosen).
        if (
            self.primary_counsellor_id
            and self.centre_id
            and not case_owners(self.centre_id).filter(pk=self.primary_counsellor_id).exists()
        ):
            errors["primary_counsellor"] = _(
                "担当者はこのセンターの在職中の相談員または所長から選んでください。"
            )
        if self.co_counsellor_id and self.centre_id:
            if self.co_counsellor_id == self.primary_counsellor_id:
                errors["co_counsellor"] = _("副担当者には担当者と別の人を選んでください。")
            elif not case_owners(self.centre_id).filter(pk=self.co_counsellor_id).exists():
                errors["co_counsellor"] = _(
                    "副担当者はこのセンターの在職中の相談員または所長から選んでください。"
                )
        if errors:
            raise ValidationError(errors)


# The youngest age of each band (the 80/50 rule reads a person's band when the birth date
# is unknown).
AGE_BAND_FLOOR: dict[str, int] = {
    AgeBand.UNDER_20: 0,
    AgeBand.TWENTIES: 20,
    AgeBand.THIRTIES: 30,
    AgeBand.FORTIES: 40,
    AgeBand.FIFTIES: 50,
    AgeBand.SIXTIES_PLUS: 60,
}


def age_band_for(age: int) -> str:
    if age < 20:
        return AgeBand.UNDER_20
    if age >= 60:
        return AgeBand.SIXTIES_PLUS
    return {2: AgeBand.TWENTIES, 3: AgeBand.THIRTIES, 4: AgeBand.FORTIES, 5: AgeBand.FIFTIES}[
        age // 10
    ]


class CaseSensitiveInfo(models.Model):
    """要配慮個人情報 (APPI): kept apart from the case so it never reaches lists, exports or
    messages by accident, and only roles allowed to see it load it."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="sensitive")
    conditions = models.TextField(_("併存する状態・診断"), blank=True)
    medical_status = models.TextField(_("医療・服薬の状況"), blank=True)
    disability_certificate = models.CharField(_("障害者手帳等"), max_length=100, blank=True)
    collection_consent_recorded = models.BooleanField(_("取得の同意を得ている"), default=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("要配慮個人情報")
        verbose_name_plural = _("要配慮個人情報")

    def __str__(self) -> str:
        return f"sensitive#{self.case_id}"


class SensitiveShare(models.Model):
    """A manager lets one counsellor of the centre see one case's 要配慮個人情報 (the case
    is not theirs: a stand-in during a leave, a case conference). Revoked, not deleted: who
    could see what, and when, stays answerable."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="sensitive_shares")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("共有先の相談員"),
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )

    class Meta:
        verbose_name = _("要配慮個人情報の共有")
        verbose_name_plural = _("要配慮個人情報の共有")
        ordering = ["-created_at", "-id"]
        constraints = [
            # One live share per counsellor and case (the access check's EXISTS reads it).
            models.UniqueConstraint(
                fields=["case", "user"],
                condition=Q(revoked_at__isnull=True),
                name="sensitive_share_one_active",
            )
        ]

    def __str__(self) -> str:
        return f"share#{self.pk}"


class BreakGlassGrant(models.Model):
    """Break-glass: an administrator (who sees no case content) or a manager (of another
    centre) opened a case, read-only, for a short window, giving a reason. Each grant is on
    the audit trail and on the case centre's managers' security page; the window closes by
    itself (`expires_at`), every access check reading it (cases.access)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="break_glass_grants")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("閲覧者"),
    )
    reason = models.TextField(_("理由"))
    created_at = models.DateTimeField(_("開始"), default=timezone.now)
    expires_at = models.DateTimeField(_("期限"))
    ip_address = models.GenericIPAddressField(_("IPアドレス"), null=True, blank=True)

    class Meta:
        verbose_name = _("緊急閲覧（ブレークグラス）")
        verbose_name_plural = _("緊急閲覧（ブレークグラス）")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "case", "-expires_at"], name="break_glass_user")]

    def __str__(self) -> str:
        return f"break-glass#{self.pk}"

    @property
    def is_active(self) -> bool:
        return self.expires_at > timezone.now()


class CaseStatusChange(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="status_changes")
    at = models.DateTimeField(default=timezone.now)
    # Null when the system made the change (a pause that expired).
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    from_status = models.CharField(max_length=10, choices=CaseStatus.choices, blank=True)
    to_status = models.CharField(max_length=10, choices=CaseStatus.choices)
    closure_reason = models.CharField(max_length=15, choices=ClosureReason.choices, blank=True)
    paused_until = models.DateField(null=True, blank=True)
    episode = models.PositiveSmallIntegerField()
    note = models.CharField(_("理由・メモ"), max_length=300, blank=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("状態の変更")
        verbose_name_plural = _("状態の変更")

    def __str__(self) -> str:
        return f"{self.from_status}→{self.to_status}"


class CaseAssignment(models.Model):
    """A change of the responsible counsellor (担当者): one case reassigned, a leaving
    counsellor's caseload handed over, or the first counsellor at a new centre. Shown on the
    case's timeline; the reason is the manager's words, never sent in a notification."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="assignments")
    at = models.DateTimeField(default=timezone.now)
    from_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("前の担当者"),
    )
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("新しい担当者"),
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    reason = models.CharField(_("理由"), max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("担当者の変更")
        verbose_name_plural = _("担当者の変更")
        indexes = [models.Index(fields=["case", "-at"], name="assignment_case_recent")]

    def __str__(self) -> str:
        return f"assignment#{self.pk}"


EARLIEST_CONTACT = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def validate_contact_time(value: dt.datetime) -> None:
    """No contact in the future, nor before such records could exist (a typo like 0026)."""
    if value > timezone.now() + dt.timedelta(minutes=5):
        raise ValidationError(_("未来の日時の相談は記録できません。"))
    if value < EARLIEST_CONTACT:
        raise ValidationError(_("日時が古すぎます。年を確認してください。"))


# A contact's centre is its case's centre (a case never changes centre: a move opens a new
# case, cases.services.transfer), copied onto the entry so that a centre's contacts of a
# period are one range of one index (the dashboard's trends) instead of a
# probe per case of the centre. The database fills it on every INSERT, and again whenever an
# UPDATE writes the entry's case or centre, whatever wrote the row (a service, a COPY, the
# shell): a centre set by hand is put back to the case's.
CONTACT_CENTRE_FROM_CASE = pgtrigger.Trigger(
    name="contact_centre_from_case",
    when=pgtrigger.Before,
    operation=pgtrigger.Insert | pgtrigger.UpdateOf("case_id", "centre_id"),
    func=(
        "NEW.centre_id := (SELECT centre_id FROM cases_case WHERE id = NEW.case_id); RETURN NEW;"
    ),
)


@pgtrigger.register(CONTACT_CENTRE_FROM_CASE)
class ContactEntry(models.Model):
    """相談記録: the one timeline of contact with a case, whatever wrote it."""

    # Indexed by contact_case_period, whose first column it is.
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="contacts", db_index=False
    )
    # The case's centre, kept by CONTACT_CENTRE_FROM_CASE; indexed by contact_centre_period.
    centre = models.ForeignKey(
        Centre, on_delete=models.PROTECT, related_name="+", db_index=False, editable=False
    )
    occurred_at = models.DateTimeField(_("日時"), validators=[validate_contact_time])
    duration_minutes = models.PositiveSmallIntegerField(_("所要時間（分）"), default=0)
    channel = models.CharField(_("方法"), max_length=15, choices=Channel.choices)
    counterpart = models.CharField(_("相手"), max_length=10, choices=Counterpart.choices)
    counterpart_detail = models.CharField(
        _("相手の詳細"), max_length=60, blank=True, help_text=_("例: 母、保健所の担当者")
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("対応者"),
    )
    two_way = models.BooleanField(
        _("双方向の連絡"),
        default=True,
        help_text=_(
            "話ができた・返信があった場合。手紙を置いた、不在などの一方向の試みは外してください。"
        ),
    )
    note = models.TextField(_("相談内容"), blank=True)
    next_action = models.CharField(_("次の対応"), max_length=300, blank=True)
    source = models.CharField(
        max_length=15, choices=ContactSource.choices, default=ContactSource.MANUAL, editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-occurred_at"]
        verbose_name = _("相談記録")
        verbose_name_plural = _("相談記録")
        indexes = [
            # A case's contacts newest first (the timeline, the contact log), and a period's
            # contacts of a centre's cases by channel and counterpart read from the index
            # alone (statistics, the dashboard's trends): docs/performance.md.
            models.Index(
                fields=["case", "-occurred_at"],
                include=["channel", "counterpart"],
                name="contact_case_period",
            ),
            # A centre's contacts of a period counted from the index alone: the dashboard's
            # monthly trends (docs/performance.md, "The dashboard at a prefecture's scale").
            models.Index(fields=["centre", "occurred_at"], name="contact_centre_period"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__lte=24 * 60), name="contact_duration_sane"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.occurred_at:%Y-%m-%d}"


class Assessment(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="assessments")
    instrument = models.CharField(_("尺度"), max_length=20)
    instrument_version = models.CharField(_("版"), max_length=20)
    assessed_on = models.DateField(_("実施日"))
    answers = models.JSONField(_("回答"))
    total_score = models.IntegerField(_("合計点"))
    subscale_scores = models.JSONField(_("下位尺度"), default=dict, blank=True)
    above_cutoff = models.BooleanField(_("カットオフ以上"), null=True)
    notes = models.TextField(_("メモ（ADL等）"), blank=True)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-assessed_on", "-created_at"]
        verbose_name = _("アセスメント")
        verbose_name_plural = _("アセスメント")

    def __str__(self) -> str:
        return f"{self.instrument} {self.assessed_on}"

    @property
    def instrument_label(self) -> str:
        from cases.instruments import INSTRUMENTS

        instrument = INSTRUMENTS.get((self.instrument, self.instrument_version))
        return (
            str(instrument.label)
            if instrument
            else f"{self.instrument} ({self.instrument_version})"
        )


class SupportPlan(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="plans")
    goals = models.TextField(_("目標"))
    warning_signs = models.TextField(_("再ひきこもりの兆し"), blank=True)
    what_helps = models.TextField(_("助けになること"), blank=True)
    who_to_call = models.TextField(_("連絡先・相談先"), blank=True)
    review_on = models.DateField(_("見直し日"))
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("支援計画")
        verbose_name_plural = _("支援計画")

    def __str__(self) -> str:
        return f"plan#{self.pk}"


class Milestone(models.Model):
    plan = models.ForeignKey(SupportPlan, on_delete=models.CASCADE, related_name="milestones")
    description = models.CharField(_("小さな一歩"), max_length=200)
    target_on = models.DateField(_("目安の日"), null=True, blank=True)
    achieved_on = models.DateField(_("達成日"), null=True, blank=True)

    class Meta:
        ordering = ["target_on", "id"]
        verbose_name = _("マイルストーン")
        verbose_name_plural = _("マイルストーン")

    def __str__(self) -> str:
        return self.description


class Consent(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="consents")
    scope = models.CharField(_("同意の内容"), max_length=20, choices=ConsentScope.choices)
    detail = models.CharField(_("詳細"), max_length=200, blank=True)
    given_by = models.CharField(_("同意した人"), max_length=60, help_text=_("例: 本人、母"))
    given_on = models.DateField(_("同意日"))
    withdrawn_on = models.DateField(_("撤回日"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-given_on"]
        verbose_name = _("同意")
        verbose_name_plural = _("同意")

    def __str__(self) -> str:
        return f"{self.get_scope_display()} {self.given_on}"

    def is_active_on(self, day: dt.date) -> bool:
        return self.given_on <= day and (self.withdrawn_on is None or self.withdrawn_on > day)


class Referral(models.Model):
    """つなぎ. Nothing is shared until consent (or the legal basis of a 支援会議) is on record."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="referrals")
    destination_kind = models.CharField(
        _("つなぎ先の種類"), max_length=20, choices=DestinationKind.choices
    )
    destination_name = models.CharField(_("つなぎ先"), max_length=120)
    referred_on = models.DateField(_("つなぎ日"))
    consent = models.ForeignKey(
        Consent,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals",
        verbose_name=_("同意"),
    )
    legal_basis = models.CharField(_("法的根拠（支援会議など）"), max_length=200, blank=True)
    shared_information = models.TextField(_("提供した情報"), blank=True)
    sent_at = models.DateTimeField(_("送付日時"), null=True, blank=True)
    outcome = models.CharField(
        _("結果"), max_length=10, choices=ReferralOutcome.choices, default=ReferralOutcome.PENDING
    )
    follow_up_on = models.DateField(_("フォローアップ日"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-referred_on"]
        verbose_name = _("つなぎ")
        verbose_name_plural = _("つなぎ")
        constraints = [
            # The rule also holds for writes that bypass the service.
            models.CheckConstraint(
                condition=Q(sent_at__isnull=True) | Q(consent__isnull=False) | ~Q(legal_basis=""),
                name="referral_sent_only_with_consent_or_basis",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_destination_kind_display()} {self.referred_on}"


class DisposalSource(models.TextChoices):
    TASK = "task", _("定期処理")
    COMMAND = "command", _("管理コマンド")


@pgtrigger.register(*append_only_triggers())
class DisposalRecord(models.Model):
    """One line of the disposal log (APPI): which case of which centre had its personal data
    blanked, when, under which rule and by whom (a user, or the daily task), and how many rows
    of each kind were blanked or deleted. Append-only like the audit trail, and like it never
    holds a name: the case number and dates are all that identify the case."""

    centre = models.ForeignKey(
        Centre, on_delete=models.PROTECT, related_name="+", verbose_name=_("センター")
    )
    # A plain reference: the log outlives whatever happens to the case row.
    case_id = models.BigIntegerField(_("ケースID"))
    case_number = models.CharField(_("ケース番号"), max_length=20)
    opened_on = models.DateField(_("初回相談日"))
    closed_at = models.DateTimeField(_("終結日時"))
    disposed_at = models.DateTimeField(_("廃棄日時"), default=timezone.now)
    rule = models.CharField(_("根拠"), max_length=60)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("実行者"),
    )
    source = models.CharField(_("実行の方法"), max_length=10, choices=DisposalSource.choices)
    # What was blanked or deleted, by kind: {"contacts": 12, "family_members": 1, ...}.
    counts = models.JSONField(_("消去した件数"), default=dict)

    class Meta:
        verbose_name = _("廃棄記録")
        verbose_name_plural = _("廃棄記録")
        ordering = ["-disposed_at", "-id"]
        indexes = [models.Index(fields=["centre", "-disposed_at"], name="disposal_centre_recent")]

    def __str__(self) -> str:
        return f"{self.case_number} {self.disposed_at:%Y-%m-%d}"
