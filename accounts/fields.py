"""The one date field of every form: it reads 和暦 and 西暦, full- or half-width, as typed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.wareki import InvalidJapaneseDate, parse_date


class JapaneseDateInput(forms.DateInput):
    """A plain text box: a browser date picker can't take 昭和45年3月2日. A date is shown as
    2026-04-01 so that a form shown again reads back the same."""

    input_type = "text"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        defaults = {
            "inputmode": "text",
            "autocomplete": "off",
            "placeholder": _("2026-04-01 / 令和8年4月1日 / S45.3.2"),
        }
        super().__init__(attrs={**defaults, **(attrs or {})}, format="%Y-%m-%d")


class JapaneseDateField(forms.DateField):
    """Its error says what is wrong with the date, as the parser found it."""

    widget = JapaneseDateInput

    def to_python(self, value: Any) -> dt.date | None:
        if isinstance(value, str):
            value = value.strip()  # a stray (ideographic) space is still an empty field
        if value in self.empty_values:
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        try:
            return parse_date(str(value))
        except InvalidJapaneseDate as error:
            raise ValidationError(error.reason, code=error.code, params=error.params) from error


def formfield_with_japanese_dates(db_field: models.Field, **kwargs: Any) -> forms.Field | None:
    """A ModelForm's `formfield_callback`: every date column gets a JapaneseDateField."""
    if isinstance(db_field, models.DateField) and not isinstance(db_field, models.DateTimeField):
        kwargs.setdefault("form_class", JapaneseDateField)
    return db_field.formfield(**kwargs)
