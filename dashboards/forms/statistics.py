"""Choosing the statistics' period (a month or a fiscal year) and scope (one of the user's
centres or all of them). The form is read from the query string, so a report is a link."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Centre
from dashboards.statistics import Period, fiscal_year_of, wareki_fiscal_year

ALL_CENTRES = "all"
# The first fiscal year of the regional support centres (FY2009): nothing to count before.
FIRST_FISCAL_YEAR = 2009
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


def default_data(centres: Sequence[Centre], today: dt.date) -> dict[str, str]:
    """Last month (what a monthly report is about), this fiscal year, and every centre."""
    last_month = today.replace(day=1) - dt.timedelta(days=1)
    return {
        "period": "month",
        "month": f"{last_month:%Y-%m}",
        "fiscal_year": str(fiscal_year_of(today)),
        "centre": ALL_CENTRES if len(centres) > 1 else str(centres[0].pk),
    }


class StatisticsForm(forms.Form):
    period = forms.ChoiceField(
        label=_("集計期間"),
        choices=[("month", _("月")), ("fiscal_year", _("年度（4月〜翌年3月）"))],
        widget=forms.RadioSelect,
    )
    month = forms.CharField(
        label=_("月"),
        required=False,
        widget=forms.TextInput(attrs={"type": "month"}),
    )
    fiscal_year = forms.TypedChoiceField(label=_("年度"), coerce=int, required=False)
    centre = forms.ChoiceField(label=_("センター"))

    def __init__(
        self, data: Mapping[str, Any], *, centres: Sequence[Centre], today: dt.date
    ) -> None:
        super().__init__(data)
        self.today = today
        self.centres = list(centres)
        years = range(fiscal_year_of(today), FIRST_FISCAL_YEAR - 1, -1)
        self.fields["fiscal_year"].choices = [  # type: ignore[attr-defined]
            (str(year), f"{wareki_fiscal_year(year)}（{year}）") for year in years
        ]
        choices = [(str(centre.pk), centre.name) for centre in self.centres]
        if len(self.centres) > 1:
            choices.insert(0, (ALL_CENTRES, str(_("所属するすべてのセンター"))))
        self.fields["centre"].choices = choices  # type: ignore[attr-defined]

    def clean_month(self) -> tuple[int, int] | None:
        text = self.cleaned_data["month"].strip()
        if not text:
            return None
        match = _MONTH.match(text)
        month = int(match[2]) if match else 0
        if not match or not 1 <= month <= 12:
            raise forms.ValidationError(_("月は 2026-04 の形式で入力してください。"))
        year = int(match[1])
        if not FIRST_FISCAL_YEAR <= year <= self.today.year + 1:
            raise forms.ValidationError(
                _("%(first)d年から%(last)d年までの月を選んでください。")
                % {"first": FIRST_FISCAL_YEAR, "last": self.today.year + 1}
            )
        return year, month

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("period") == "month" and not data.get("month"):
            self.add_error("month", _("月を選んでください。"))
        if data.get("period") == "fiscal_year" and not data.get("fiscal_year"):
            self.add_error("fiscal_year", _("年度を選んでください。"))
        return data

    def chosen_period(self) -> Period:
        data = self.cleaned_data
        if data["period"] == "fiscal_year":
            return Period.fiscal_year(data["fiscal_year"])
        year, month = data["month"]
        return Period.month(year, month)

    def chosen_centres(self) -> list[Centre]:
        chosen = self.cleaned_data["centre"]
        if chosen == ALL_CENTRES:
            return self.centres
        return [centre for centre in self.centres if str(centre.pk) == chosen]

    def query(self) -> dict[str, str]:
        """The query string of this report (for the export and print links)."""
        data = self.cleaned_data
        month = data.get("month")
        return {
            "period": data["period"],
            "month": f"{month[0]:04d}-{month[1]:02d}" if month else "",
            "fiscal_year": str(data.get("fiscal_year") or ""),
            "centre": data["centre"],
        }
