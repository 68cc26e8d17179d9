"""Choosing what a printed case record holds: its sections (only those the user's role may
print are offered, and any other is refused) and the period of its contact log. Read from the
query string, so the print page is a link that prints the same again."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.fields import JapaneseDateField
from records.case_record import Section, default_period, default_sections


class CaseRecordForm(forms.Form):
    sections = forms.MultipleChoiceField(
        label=_("印刷する項目"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("印刷する項目を一つ以上選んでください。"),
            "invalid_choice": _("選べない項目が含まれています。"),
        },
    )
    since = JapaneseDateField(label=_("相談記録の期間（開始日）"))
    until = JapaneseDateField(label=_("相談記録の期間（終了日）"))

    def __init__(self, data: Mapping[str, Any] | None, *, sections: list[Section]) -> None:
        super().__init__(data)
        self.fields["sections"].choices = [  # type: ignore[attr-defined]
            (section.key, section.label) for section in sections
        ]

    @staticmethod
    def initial_data(sections: list[Section], today: dt.date) -> dict[str, Any]:
        """What the form starts with: the non-sensitive sections, the last twelve months."""
        since, until = default_period(today)
        return {
            "sections": default_sections(sections),
            "since": since.isoformat(),
            "until": until.isoformat(),
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", _("終了日は開始日より後の日付にしてください。"))
        return data
