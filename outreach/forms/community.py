"""Forms of the community work screens: recording or editing an activity (its day, with
optional start and end times on that day), choosing the month or fiscal year of the list, and
adding a discussed case by its case number. The rules live on the model and in
outreach.services.community; these forms read what was typed and show the refusals on the
right field."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Centre, User
from cases.forms import VersionedForm
from outreach.forms.sessions import TIME, CentreChoiceMixin, staff_choices
from outreach.models import (
    ACTIVITY_FIELDS,
    MAX_AUDIENCE,
    MEETING_KINDS,
    ActivityKind,
    CommunityActivity,
    SharingBasis,
)

# What the form shows (the times are form fields of their own, on the activity's day).
_MODEL_FIELDS = [name for name in ACTIVITY_FIELDS if name not in ("starts_at", "ends_at")]


def _at(day: dt.date, time: dt.time | None) -> dt.datetime | None:
    """A wall-clock time in Tokyo on that day, stored as an aware (UTC) moment."""
    return None if time is None else timezone.make_aware(dt.datetime.combine(day, time))


def _local_time(moment: dt.datetime | None) -> dt.time | None:
    return None if moment is None else timezone.localtime(moment).time().replace(second=0)


class ActivityForm(CentreChoiceMixin, VersionedForm):
    """A new activity (then, for staff of several centres, which centre held it) or an edit
    of one, carrying its version so that a save over someone else's change is refused. The
    times are named like the model's columns, so the model's refusals land on them."""

    starts_at = forms.TimeField(label=_("開始時刻"), required=False, widget=TIME)
    ends_at = forms.TimeField(label=_("終了時刻"), required=False, widget=TIME)
    staff = forms.ModelMultipleChoiceField(
        label=_("参加した職員"),
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("参加した職員を選んでください。")},
    )

    class Meta(VersionedForm.Meta):
        model = CommunityActivity
        fields = _MODEL_FIELDS
        widgets = {"notes": forms.Textarea(attrs={"rows": 4})}

    def __init__(
        self,
        *args: Any,
        centres: list[Centre] | None = None,
        staff: list[User] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        activity: CommunityActivity = self.instance
        if activity.pk is None:
            del self.fields["version"]
            self._add_centre(centres or [])
        else:
            field = self.fields["staff"]
            assert isinstance(field, forms.ModelMultipleChoiceField)
            current = [user.pk for user in staff or []]
            field.queryset = staff_choices([activity.centre], keep=current)
            self.initial.setdefault("staff", current)
            self.initial.setdefault("starts_at", _local_time(activity.starts_at))
            self.initial.setdefault("ends_at", _local_time(activity.ends_at))
        count = self.fields["audience_count"]
        count.validators += [MinValueValidator(0), MaxValueValidator(MAX_AUDIENCE)]
        count.widget.attrs.update({"min": 0, "max": MAX_AUDIENCE})
        basis = self.fields["sharing_basis"]
        assert isinstance(basis, forms.ChoiceField)
        basis.choices = [("", _("なし（ケースを検討しない）")), *SharingBasis.choices]
        basis.help_text = _(
            "支援会議・ネットワーク会議でケースを検討するときに選びます（それ以外の活動では記録しません）。"
        )
        self.order_fields(["centre", "kind", "title", "held_on", "starts_at", "ends_at"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        activity: CommunityActivity = self.instance
        day = data.get("held_on")
        # The model checks the times (an end after the start, not an end alone): given here
        # as moments on the activity's day.
        activity.starts_at = _at(day, data.get("starts_at")) if day else None
        activity.ends_at = _at(day, data.get("ends_at")) if day else None
        if data.get("kind") and data["kind"] not in MEETING_KINDS:
            # A basis of sharing belongs to meetings only: for a lecture there is nothing to keep.
            data["sharing_basis"] = ""
        return data

    def fields_to_save(self) -> dict[str, Any]:
        """The activity's columns as the form left them (after the model's checks)."""
        return {name: getattr(self.instance, name) for name in ACTIVITY_FIELDS}

    def staff_changed(self) -> bool:
        return "staff" in self.changed_data


MONTH = "month"
FISCAL_YEAR = "fiscal_year"
FISCAL_YEAR_FIRST_MONTH = 4
_MONTH_TEXT = re.compile(r"^(\d{4})-(\d{1,2})$")
EARLIEST_YEAR = 2000


def fiscal_year_of(day: dt.date) -> int:
    """The fiscal year (April–March) a day is in, named by the year it starts in."""
    return day.year if day.month >= FISCAL_YEAR_FIRST_MONTH else day.year - 1


class ActivityPeriodForm(forms.Form):
    """The list's month or fiscal year, and kind, read from the query string (a list is a
    link). Nothing given is this month, every kind."""

    period = forms.ChoiceField(
        label=_("期間"),
        choices=[(MONTH, _("月")), (FISCAL_YEAR, _("年度（4月〜翌年3月）"))],
        widget=forms.RadioSelect,
    )
    month = forms.CharField(
        label=_("月"),
        required=False,
        widget=forms.TextInput(attrs={"type": "month"}),
    )
    fiscal_year = forms.IntegerField(label=_("年度"), required=False)
    kind = forms.ChoiceField(
        label=_("種類"), required=False, choices=[("", _("すべて")), *ActivityKind.choices]
    )

    def __init__(self, data: Mapping[str, Any], *, today: dt.date) -> None:
        defaults = {
            "period": MONTH,
            "month": f"{today:%Y-%m}",
            "fiscal_year": str(fiscal_year_of(today)),
        }
        super().__init__({**defaults, **{k: v for k, v in data.items() if v not in ("", None)}})
        self.today = today
        latest = today.year + 2
        fiscal_year = self.fields["fiscal_year"]
        fiscal_year.validators += [MinValueValidator(EARLIEST_YEAR), MaxValueValidator(latest)]
        fiscal_year.error_messages["invalid"] = _("年度は 2026 のように西暦で入力してください。")

    def clean_month(self) -> tuple[int, int] | None:
        text = unicodedata.normalize("NFKC", self.cleaned_data["month"]).strip()
        match = _MONTH_TEXT.match(text)
        if not match or not 1 <= int(match[2]) <= 12:
            raise forms.ValidationError(_("月は 2026-04 の形式で入力してください。"))
        year = int(match[1])
        if not EARLIEST_YEAR <= year <= self.today.year + 2:
            raise forms.ValidationError(
                _("%(first)d年から%(last)d年までの月を選んでください。")
                % {"first": EARLIEST_YEAR, "last": self.today.year + 2}
            )
        return year, int(match[2])

    def bounds(self) -> tuple[dt.date, dt.date]:
        """The period's first day and the day after its last (Tokyo days)."""
        data = self.cleaned_data
        if data["period"] == FISCAL_YEAR:
            year = data["fiscal_year"]
            return dt.date(year, FISCAL_YEAR_FIRST_MONTH, 1), dt.date(
                year + 1, FISCAL_YEAR_FIRST_MONTH, 1
            )
        year, month = data["month"]
        return dt.date(year, month, 1), dt.date(year + month // 12, month % 12 + 1, 1)

    def label(self) -> str:
        data = self.cleaned_data
        if data["period"] == FISCAL_YEAR:
            return str(_("%(year)d年度")) % {"year": data["fiscal_year"]}
        year, month = data["month"]
        return str(_("%(year)d年%(month)d月")) % {"year": year, "month": month}

    def query(self, **changes: str) -> dict[str, str]:
        """This list's query string (for the pages and the kind links)."""
        data = self.cleaned_data
        year, month = data["month"]
        query = {
            "period": data["period"],
            "month": f"{year:04d}-{month:02d}",
            "fiscal_year": str(data["fiscal_year"]),
            "kind": data.get("kind") or "",
        }
        return {**query, **changes}


# A case number as people type it: K-0123, k0123, Ｋ－０１２３, or the number alone.
_CASE_NUMBER = re.compile(r"^(?:([A-Za-z]{1,4})[-‐－ー]?)?0*(\d{1,7})$")


class CaseNumberForm(forms.Form):
    case_number = forms.CharField(
        label=_("ケース番号"),
        max_length=20,
        widget=forms.TextInput(attrs={"placeholder": "K-0123", "autocomplete": "off"}),
        error_messages={"required": _("ケース番号を入力してください。")},
    )

    def clean_case_number(self) -> tuple[str, int]:
        text = unicodedata.normalize("NFKC", self.cleaned_data["case_number"])
        match = _CASE_NUMBER.match(text.replace(" ", ""))
        if not match:
            raise forms.ValidationError(_("ケース番号は K-0123 の形式で入力してください。"))
        return (match[1] or "").upper(), int(match[2])
