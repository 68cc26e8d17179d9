"""The forms of the tablet at the ibasho's door: the search box and the walk-in's nickname."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from outreach.models import WalkIn


class CheckinSearchForm(forms.Form):
    q = forms.CharField(label=_("氏名・ふりがな・ケース番号"), max_length=60, required=False)


class WalkInCheckinForm(forms.ModelForm):
    """A new visitor known by a nickname. `client_key` is rendered into the form once, so a
    double tap (or a resent form) checks the visitor in once."""

    client_key = forms.UUIDField(widget=forms.HiddenInput)

    class Meta:
        model = WalkIn
        fields = ["nickname", "age_band", "gender"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("client_key", uuid.uuid4())
        super().__init__(*args, **kwargs)
        self.fields["nickname"].widget.attrs.update(
            {"autocomplete": "off", "class": "form-control form-control-lg"}
        )
        for name in ("age_band", "gender"):
            self.fields[name].widget.attrs["class"] = "form-select"

    def walk_in_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in ("age_band", "gender")}


class EarlierWalkInForm(forms.Form):
    """A visitor who came before, found by the search: the same one-time key."""

    walk_in = forms.IntegerField(widget=forms.HiddenInput)
    client_key = forms.UUIDField(widget=forms.HiddenInput)
