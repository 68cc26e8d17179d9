import hashlib
from collections.abc import Iterable
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Model, QuerySet
from django.forms.models import model_to_dict
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import services
from accounts.forms import STALE_EDIT, set_bound_values
from accounts.models import AuditEvent, Centre, SecurityEvent, User

LOADED_STATE = "loaded_state"


def record_state(instance: Model, field_names: Iterable[str]) -> str:
    """A fingerprint of what the admin's form shows of a record (its many-to-many fields
    included): two readings differ exactly when someone saved a shown value in between."""
    values = model_to_dict(instance, fields=list(field_names))
    parts = []
    for name in sorted(values):
        value = values[name]
        if isinstance(value, list | tuple | QuerySet):
            value = sorted(str(getattr(item, "pk", item)) for item in value)
        parts.append(f"{name}={value!r}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


class NoOverwriteAdmin(admin.ModelAdmin):
    """Optimistic locking for the admin's change forms, without a version column: the form
    carries the fingerprint of the record as it was shown, and a save that finds the record
    (locked, in the admin's transaction) saved by someone else since is refused with the
    input kept, as the app's own edit forms refuse it (accounts.forms.STALE_EDIT). Saving
    again, knowingly, goes through: the form then carries what was saved since."""

    # The admin's change form, with the state as a hidden input in the form's top (outside
    # the fieldsets, which lay out the model's fields only).
    change_form_template = "admin/no_overwrite_change_form.html"

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None:
            return form
        return type(form.__name__, (_NoOverwriteForm, form), {})

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            super().save_model(request, obj, form, change)
            return
        # Only the columns the form edits: the others were read before the row was locked
        # and may have moved since (a centre's case-number counter, taken by each intake;
        # an account's sign-in dates), which a whole-row save would put back.
        editable = [
            field.name
            for field in obj._meta.concrete_fields
            if field.name in form.fields and not form.fields[field.name].disabled
        ]
        obj.save(update_fields=editable)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # Laid out from the form's fields when no fieldsets are given: not the state's.
        return [name for name in super().get_fields(request, obj) if name != LOADED_STATE]


class _StateField(forms.CharField):
    """The fingerprint: never a change of the record (the admin's history lists changes)."""

    widget = forms.HiddenInput

    def has_changed(self, initial: Any, data: Any) -> bool:
        return False


class _NoOverwriteForm(forms.ModelForm):
    loaded_state = _StateField(required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial[LOADED_STATE] = self.shown_state(self.instance)

    def shown_state(self, instance: Model) -> str:
        return record_state(instance, (name for name in self.fields if name != LOADED_STATE))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or self.cleaned_data
        model = type(self.instance)
        current = model._default_manager.select_for_update().get(pk=self.instance.pk)
        now = self.shown_state(current)
        if cleaned.get(LOADED_STATE) != now:
            set_bound_values(self, {self.add_prefix(LOADED_STATE): now})
            raise forms.ValidationError(STALE_EDIT, code="stale")
        return cleaned


@admin.register(Centre)
class CentreAdmin(NoOverwriteAdmin):
    list_display = [
        "name",
        "prefecture",
        "case_number_prefix",
        "idle_timeout_minutes",
        "sensitive_open_to_centre",
        "risk_flag_visible_to_staff",
    ]


@admin.register(User)
class UserAdmin(NoOverwriteAdmin, DjangoUserAdmin):
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        ("Tsunagu", {"fields": ("role", "centres", "display_name", "language", "weekly_digest")}),
    )
    list_display = ["username", "display_name", "role", "is_active"]
    list_filter = ["role", "centres"]
    actions = ["issue_two_factor_link"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # The username is who did what on the audit trail: it never changes once created.
        # The sign-in dates are the system's to write (and a sign-in while an administrator
        # edits the account is not an edit of theirs to refuse or overwrite).
        readonly = tuple(super().get_readonly_fields(request, obj))
        if obj is None:
            return readonly
        return (*readonly, "username", "last_login", "date_joined")

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
