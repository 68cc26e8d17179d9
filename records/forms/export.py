"""Choosing an export: which of the user's centres, which shape (cases, contact log, family
members), which format, and (for the roles that may see them) whether the sensitive columns
go too."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Centre
from records.exports import CASES, CSV, SHAPES, XLSX


class ExportForm(forms.Form):
    centre = forms.TypedChoiceField(label=_("センター"), coerce=int)
    shape = forms.ChoiceField(
        label=_("書き出すデータ"),
        choices=[(key, shape.label) for key, shape in SHAPES.items()],
        widget=forms.RadioSelect,
        initial=CASES,
    )
    file_format = forms.ChoiceField(
        label=_("形式"),
        choices=[
            (CSV, _("CSV（UTF-8・BOM付き、Excelでそのまま開けます）")),
            (XLSX, _("Excel（XLSX）")),
        ],
        widget=forms.RadioSelect,
        initial=CSV,
    )
    with_sensitive = forms.BooleanField(
        label=_("要配慮個人情報も含める（診断・医療の状況、相談内容、家族の健康・介護の状況）"),
        required=False,
        help_text=_(
            "必要な場合だけ選んでください。書き出したファイルの取り扱いに注意してください。"
        ),
    )

    def __init__(
        self,
        data: Mapping[str, Any] | None,
        *,
        centres: list[Centre],
        sensitive_allowed: bool,
    ) -> None:
        super().__init__(data)
        self.centres = {centre.pk: centre for centre in centres}
        self.fields["centre"].choices = [  # type: ignore[attr-defined]
            (centre.pk, centre.name) for centre in centres
        ]
        if len(centres) == 1:
            self.fields["centre"].initial = centres[0].pk
        if not sensitive_allowed:  # not offered, and not read if posted
            del self.fields["with_sensitive"]

    def chosen_centre(self) -> Centre:
        return self.centres[self.cleaned_data["centre"]]
