from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User


class PreferencesForm(forms.ModelForm):
    class Meta:
        model = User
        # Not the e-mail address: it is where password resets go, so only an administrator
        # changes it.
        fields = ["display_name", "language", "weekly_digest"]


class OneTimeCodeForm(forms.Form):
    code = forms.CharField(
        label=_("確認コード"),
        max_length=16,
        help_text=_("認証アプリに表示される6桁の数字、またはバックアップコード"),
        # Text, not numeric: backup codes have letters.
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "off", "autofocus": True}
        ),
    )


class ReenrolForm(OneTimeCodeForm):
    """Replacing an authenticator also asks for the password: a session left open on a
    shared PC must not be enough to take over someone's second factor."""

    password = forms.CharField(
        label=_("現在のパスワード"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("パスワードが正しくありません。"))
        return password
