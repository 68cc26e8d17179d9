import math
from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import ngettext

from accounts import services
from accounts.models import LoginOutcome, User


class LockoutMixin(AuthenticationForm):
    """Refuses sign-in, without checking the password, while the username or the address
    is locked after repeated failures; records every attempt."""

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        ip = services.client_ip(self.request)
        locked_for = services.login_locked_for(username=username, ip=ip)
        if locked_for is not None:
            services.login_attempt_record(username=username, ip=ip, outcome=LoginOutcome.REFUSED)
            minutes = max(1, math.ceil(locked_for.total_seconds() / 60))
            raise forms.ValidationError(
                ngettext(
                    "ログインの失敗が続いたため、しばらくログインできません。"
                    "%(minutes)d 分後にもう一度お試しください。",
                    "ログインの失敗が続いたため、しばらくログインできません。"
                    "%(minutes)d 分後にもう一度お試しください。",
                    minutes,
                ),
                code="locked",
                params={"minutes": minutes},
            )
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            if username:
                services.login_attempt_record(username=username, ip=ip, outcome=LoginOutcome.FAILED)
            raise
        services.login_attempt_record(username=username, ip=ip, outcome=LoginOutcome.SUCCEEDED)
        return cleaned


class LoginForm(LockoutMixin, AuthenticationForm):
    pass


class AdminLoginForm(LockoutMixin, AdminAuthenticationForm):
    pass


class PreferencesForm(forms.ModelForm):
    class Meta:
        model = User
        # Not the e-mail address: it is where password resets go, so only an administrator
        # changes it.
        fields = ["display_name", "language", "weekly_digest"]
