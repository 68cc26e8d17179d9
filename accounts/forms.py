from django import forms

from accounts.models import User


class PreferencesForm(forms.ModelForm):
    class Meta:
        model = User
        # Not the e-mail address: it is where password resets go, so only an administrator
        # changes it.
        fields = ["display_name", "language", "weekly_digest"]
