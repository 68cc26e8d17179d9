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
