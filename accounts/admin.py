from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from accounts.models import AuditEvent, Centre, User


@admin.register(Centre)
class CentreAdmin(admin.ModelAdmin):
    list_display = ["name", "prefecture", "case_number_prefix"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        ("Tsunagu", {"fields": ("role", "centres", "display_name", "language", "weekly_digest")}),
    )
    list_display = ["username", "display_name", "role", "is_active"]
    list_filter = ["role", "centres"]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the audit trail can be read here but never edited or deleted."""

    list_display = ["at", "user", "action", "model", "object_id", "case_id", "ip_address"]
    list_filter = ["action", "model"]

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
