from __future__ import annotations

import pgtrigger
from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Centre(models.Model):
    """A regional hikikomori support centre. Its settings are the defaults every case,
    visit and reminder of the centre starts from."""

    name = models.CharField(_("名称"), max_length=200)
    prefecture = models.CharField(_("都道府県"), max_length=20)
    municipality_code = models.CharField(_("市区町村コード"), max_length=6, blank=True)
    case_number_prefix = models.CharField(_("ケース番号の接頭辞"), max_length=4, default="K")
    # Bumped with UPDATE ... RETURNING under the row lock, so two intakes never share a number.
    last_case_number = models.PositiveIntegerField(default=0, editable=False)

    visit_notice_days = models.PositiveSmallIntegerField(_("訪問の予告日数"), default=7)
    followup_interval_days = models.PositiveSmallIntegerField(
        _("フォローアップ間隔（日）"), default=30, validators=[MinValueValidator(1)]
    )
    escalation_grace_days = models.PositiveSmallIntegerField(
        _("エスカレーション猶予（日）"), default=7, validators=[MinValueValidator(1)]
    )
    pair_visit_required = models.BooleanField(_("訪問は2名以上"), default=True)
    # Booked before and after every home visit: nobody is due elsewhere the minute they leave.
    visit_travel_buffer_minutes = models.PositiveSmallIntegerField(
        _("訪問の移動時間（分）"), default=30
    )
    elderly_parent_age = models.PositiveSmallIntegerField(_("8050: 親の年齢"), default=80)
    senior_person_age = models.PositiveSmallIntegerField(_("8050: 本人の年齢"), default=50)
    retention_years = models.PositiveSmallIntegerField(_("保存年数（終結後）"), default=5)
    safety_checkout_grace_minutes = models.PositiveSmallIntegerField(
        _("訪問チェックアウト猶予（分）"), default=120
    )

    class Meta:
        verbose_name = _("センター")
        verbose_name_plural = _("センター")
        ordering = ["name"]
        constraints = [
            # The sweep's SQL and Python must agree: a cadence is at least a day.
            models.CheckConstraint(
                condition=models.Q(followup_interval_days__gte=1, escalation_grace_days__gte=1),
                name="centre_cadence_positive",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    STAFF = "staff", _("スタッフ")
    COUNSELLOR = "counsellor", _("相談員")
    MANAGER = "manager", _("所長・管理者")
    ADMIN = "admin", _("システム管理者")


class User(AbstractUser):
    role = models.CharField(_("役割"), max_length=20, choices=Role.choices, default=Role.STAFF)
    centres = models.ManyToManyField(Centre, related_name="members", verbose_name=_("所属センター"))
    display_name = models.CharField(_("表示名"), max_length=100, blank=True)
    language = models.CharField(
        _("通知の言語"), max_length=8, choices=settings.LANGUAGES, default="ja"
    )
    weekly_digest = models.BooleanField(_("週次ダイジェストを受け取る"), default=True)

    class Meta:
        verbose_name = _("ユーザー")
        verbose_name_plural = _("ユーザー")

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    @property
    def is_counsellor(self) -> bool:
        return self.role == Role.COUNSELLOR

    @property
    def sees_all_centres(self) -> bool:
        return self.role == Role.ADMIN


class AuditAction(models.TextChoices):
    CREATE = "create", _("作成")
    CHANGE = "change", _("変更")
    VIEW = "view", _("閲覧")
    EXPORT = "export", _("出力")
    DELETE = "delete", _("削除")
    IMPORT = "import", _("取込")
    PRINT = "print", _("印刷")


@pgtrigger.register(
    # Append-only at the database level: neither the app nor a stray shell can rewrite history.
    pgtrigger.Protect(name="audit_append_only", operation=pgtrigger.Update | pgtrigger.Delete),
)
class AuditEvent(models.Model):
    """Who created, changed, exported or viewed which record. Holds references, never
    the record's content, so the log itself carries no personal data."""

    at = models.DateTimeField(_("日時"), default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("ユーザー"),
    )
    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, null=True, related_name="+")
    action = models.CharField(_("操作"), max_length=10, choices=AuditAction.choices)
    # A plain reference, not a foreign key: the trail must outlive a disposed record.
    model = models.CharField(_("対象"), max_length=60)
    object_id = models.BigIntegerField(_("対象ID"))
    case_id = models.BigIntegerField(_("ケースID"), null=True, db_index=True)
    ip_address = models.GenericIPAddressField(_("IPアドレス"), null=True)
    changed_fields = models.JSONField(_("変更した項目"), default=list, blank=True)

    class Meta:
        verbose_name = _("監査ログ")
        verbose_name_plural = _("監査ログ")
        ordering = ["-at"]
        indexes = [models.Index(fields=["case_id", "-at"], name="audit_case_recent")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.model}#{self.object_id}"
