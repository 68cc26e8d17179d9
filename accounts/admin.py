from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import services
from accounts.models import AuditEvent, Centre, SecurityEvent, User


@admin.register(Centre)
class CentreAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "prefecture",
        "case_number_prefix",
        "idle_timeout_minutes",
        "sensitive_open_to_centre",
        "risk_flag_visible_to_staff",
    ]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        ("Tsunagu", {"fields": ("role", "centres", "display_name", "language", "weekly_digest")}),
    )
    list_display = ["username", "display_name", "role", "is_active"]
    list_filter = ["role", "centres"]
    actions = ["issue_two_factor_link"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # The username is who did what on the audit trail: it never changes once created.
        readonly = tuple(super().get_readonly_fields(request, obj))
        return (*readonly, "username") if obj is not None else readonly

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # After the centres (a many-to-many) are saved too; in the admin's transaction.
        super().save_related(request, form, formsets, change)
        services.user_change_audit(
            user=form.instance,
            by=request.user,  # type: ignore[arg-type]
            changed_fields=form.changed_data,
            created=not change,
            ip=services.client_ip(request),
        )

    @admin.action(
        description=gettext_lazy("認証アプリの設定リンクを発行（今の認証アプリは無効に）")
    )
    def issue_two_factor_link(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        """A one-time link per user, shown here once: for a user whose account is older than
        a day and has no authenticator yet, or who lost their phone. Hand it over in person
        or by the centre's own channel, never together with the password."""
        for user in queryset.order_by("username"):
            token = services.two_factor_link_issue(
                user=user,
                by=request.user,  # type: ignore[arg-type]
                ip=services.client_ip(request),
            )
            link = settings.SITE_URL + reverse("two_factor_link", args=[token])
            hours = int(settings.TWO_FACTOR_LINK_VALID.total_seconds() // 3600)
            self.message_user(
                request,
                _("%(username)s の設定リンク（%(hours)s 時間有効、1回限り）: %(link)s")
                % {"username": user.username, "hours": hours, "link": link},
                messages.WARNING,
            )


class ReadOnlyAdmin(admin.ModelAdmin):
    """Read-only: the trail can be read here but never edited or deleted."""

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = [
        "at",
        "user",
        "user__username",
        "action",
        "model",
        "object_id",
        "case_id",
        "changed_fields",
        "ip_address",
    ]
    list_filter = ["action", "model"]
    list_select_related = ["user"]


@admin.register(SecurityEvent)
class SecurityEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "user", "user__username", "kind", "ip_address", "detail"]
    list_filter = ["kind"]
    list_select_related = ["user"]
