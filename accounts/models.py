from __future__ import annotations

from typing import Any

import pgtrigger
from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
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
    # A shared centre PC: a session left open is signed out after this long without a
    # request (a warning a minute before). A user of several centres gets the strictest.
    idle_timeout_minutes = models.PositiveSmallIntegerField(
        _("無操作で自動ログアウトするまで（分）"),
        default=30,
        validators=[MinValueValidator(2), MaxValueValidator(480)],
    )
    # Least privilege (issue 15). Off by default: staff (who log contacts and run the ibasho)
    # see that a case carries a self-harm risk only if the centre decides they should, and
    # then only that a risk is recorded, never which one.
    risk_flag_visible_to_staff = models.BooleanField(
        _("スタッフにも要配慮のリスクの有無を表示する"), default=False, db_default=False
    )
    # Off by default: a counsellor sees the 要配慮個人情報 of the cases they are assigned to or
    # that a manager shared with them; on, every counsellor of the centre sees all of it.
    sensitive_open_to_centre = models.BooleanField(
        _("要配慮個人情報をセンターの相談員全員に開示する"), default=False, db_default=False
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
            ),
            # The warning comes a minute before: at least two minutes, at most a working day.
            models.CheckConstraint(
                condition=models.Q(idle_timeout_minutes__gte=2, idle_timeout_minutes__lte=480),
                name="centre_idle_timeout_range",
            ),
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
    # 要配慮個人情報 seen (the diagnosis, the health notes): not the same as opening the case.
    VIEW_SENSITIVE = "view_sensitive", _("閲覧（要配慮個人情報）")
    EXPORT = "export", _("出力")
    DELETE = "delete", _("削除")
    IMPORT = "import", _("取込")
    PRINT = "print", _("印刷")
    # An administrator or a manager opened a case outside their normal reach, giving a reason
    # (break-glass, cases.BreakGlassGrant): the centre's managers see each one.
    BREAK_GLASS = "break_glass", _("緊急閲覧（ブレークグラス）")


def append_only_triggers() -> list[pgtrigger.Trigger]:
    """Append-only at the database level: neither the app nor a stray shell can rewrite
    history, row by row (UPDATE, DELETE) or all at once (TRUNCATE, which fires no row
    trigger). The owner of the table could still drop the triggers: in production the app
    runs as a role that does not own the tables and may only INSERT and SELECT here
    (accounts.db_roles, docs/security.md)."""
    return [
        pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete),
        pgtrigger.Trigger(
            name="append_only_truncate",
            level=pgtrigger.Statement,
            when=pgtrigger.Before,
            operation=pgtrigger.Truncate,
            func="RAISE EXCEPTION 'pgtrigger: Cannot truncate % table', TG_TABLE_NAME;",
        ),
    ]


def emptying_append_only_tables() -> Any:
    """A context in which TRUNCATE may empty the append-only tables: for throw-away
    databases only (the test suite's `flush`, the benchmarks' fresh starts)."""
    return pgtrigger.ignore(
        *(
            f"{model._meta.label}:{trigger.name}"
            for model, trigger in pgtrigger.registered()
            if trigger.name == "append_only_truncate"
        )
    )


@pgtrigger.register(
    # The first trigger keeps its original name: renaming it would drop and recreate it.
    pgtrigger.Protect(name="audit_append_only", operation=pgtrigger.Update | pgtrigger.Delete),
    append_only_triggers()[1],
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
    action = models.CharField(_("操作"), max_length=20, choices=AuditAction.choices)
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


class SecurityEventKind(models.TextChoices):
    PROBING = "probing", _("他センターの記録への連続したアクセス")


@pgtrigger.register(*append_only_triggers())
class SecurityEvent(models.Model):
    """Something a centre's managers should look into, about one of their users: e.g. a run
    of requests for other centres' records by id (probing). Append-only like the audit
    trail; holds model labels and ids, never a record's content."""

    at = models.DateTimeField(_("日時"), default=timezone.now)
    kind = models.CharField(_("種類"), max_length=20, choices=SecurityEventKind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("ユーザー"),
    )
    # The user's centres when it happened: their managers see it, even after a move.
    centre_ids = ArrayField(models.BigIntegerField(), default=list)
    ip_address = models.GenericIPAddressField(_("IPアドレス"), null=True)
    detail = models.JSONField(_("詳細"), default=dict)

    class Meta:
        verbose_name = _("セキュリティイベント")
        verbose_name_plural = _("セキュリティイベント")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["-at"], name="security_event_recent")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind} #{self.user_id}"


class AccessProbe(models.Model):
    """One request of a user for a record of a centre that is not theirs (answered 404).
    Kept only for the probing window (accounts.probing), to count a run of them."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    model = models.CharField(max_length=60)
    object_id = models.CharField(max_length=40)

    class Meta:
        indexes = [models.Index(fields=["user", "at"], name="access_probe_user_at")]

    def __str__(self) -> str:
        return f"{self.model}#{self.object_id}"


class TwoFactorEnrolmentLink(models.Model):
    """A one-time link an administrator issues so a user may set up their first
    authenticator after the first day of their account (accounts.services). Only a hash
    of the token is kept."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("認証アプリの設定リンク")
        verbose_name_plural = _("認証アプリの設定リンク")

    def __str__(self) -> str:
        return f"#{self.user_id} {self.created_at:%Y-%m-%d %H:%M}"


class AttemptBudget(models.Model):
    """How many sign-in (or password-reset) attempts a key (a username, an address, the pair)
    has used in its current window: counted by one atomic UPSERT before the password is
    checked, so concurrent attempts can never all pass the check together
    (accounts.lockout)."""

    key = models.CharField(max_length=300, unique=True)
    window_start = models.DateTimeField()
    used = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.key[:16]}… {self.used}"
