from collections.abc import Mapping
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from accounts.models import User

# The refusal of a save that would overwrite someone else's (optimistic locking: the app's
# edit forms, cases.views.helpers.try_save, and the admin's, accounts.admin). Lazy: a
# module-level string is read in each request's language, not the one at import.
STALE_EDIT = _(
    "この記録は、あなたが編集を始めた後に他の人が更新しました。入力内容は残してあります。"
    "最新の内容を別のタブで確認してから、もう一度保存してください。"
)


def set_bound_values(form: forms.BaseForm, values: Mapping[str, str]) -> None:
    """Change what a bound form shows for some fields (by their prefixed names), keeping the
    rest of what the user typed: after a refused stale save, the values saved since."""
    data = form.data.copy() if isinstance(form.data, QueryDict) else dict(form.data)
    for name, value in values.items():
        data[name] = value  # on a QueryDict, replaces the field's values with this one
    form.data = data


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
