"""Forms of the ibasho session screens: a one-off session, a series in one step, editing one
occurrence or this and all later ones, cancelling, and correcting an attendance."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django import forms
from django.core.validators import MinValueValidator
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.fields import formfield_with_japanese_dates
from accounts.models import Centre, User
from cases.forms import DATETIME, VersionedForm
from outreach.models import IbashoAttendance, IbashoSeries, IbashoSession, Weekday

TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")

THIS = "this"
THIS_AND_LATER = "this_and_later"
SCOPES = [(THIS, _("この回のみ")), (THIS_AND_LATER, _("この回以降すべて"))]

SESSION_FIELDS = ["place", "starts_at", "ends_at", "theme", "capacity", "notes"]


def staff_choices(centres: Iterable[Centre], *, keep: Iterable[int] = ()) -> QuerySet[User]:
    """Active staff of the centres, whatever their role (and anyone already on duty, so that
    saving does not silently drop a colleague who has since left)."""
    active = Q(is_active=True, centres__in=list(centres))
    return (
        User.objects.filter(active | Q(pk__in=list(keep))).distinct().order_by("display_name", "id")
    )


def _staff_field() -> forms.ModelMultipleChoiceField:
    return forms.ModelMultipleChoiceField(
        label=_("担当職員"),
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("担当する職員を選んでください。")},
    )


def _centre_field(centres: list[Centre]) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label=_("実施センター"),
        queryset=Centre.objects.filter(pk__in=[c.pk for c in centres]).order_by("id"),
    )


def _capacity_at_least_one(form: forms.BaseForm) -> None:
    capacity = form.fields["capacity"]
    capacity.validators.append(MinValueValidator(1))
    capacity.widget.attrs.update({"min": 1})
    capacity.help_text = _("空欄なら定員なし")


class CentreChoiceMixin:
    """Staff of several centres (or stations) say which one runs the session."""

    fields: dict[str, forms.Field]
    cleaned_data: dict[str, Any]

    def _add_centre(self, centres: list[Centre]) -> None:
        if len(centres) > 1:
            self.fields["centre"] = _centre_field(centres)
        staff = self.fields["staff"]
        assert isinstance(staff, forms.ModelMultipleChoiceField)
        staff.queryset = staff_choices(centres)

    def chosen_centre(self, centres: list[Centre]) -> Centre:
        return self.cleaned_data.get("centre") or centres[0]


class SessionForm(CentreChoiceMixin, forms.ModelForm):
    """A one-off session (an extra day, an outing, a special programme)."""

    staff = _staff_field()

    class Meta:
        model = IbashoSession
        fields = SESSION_FIELDS
        widgets = {
            "starts_at": DATETIME,
            "ends_at": DATETIME,
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, centres: list[Centre], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._add_centre(centres)
        _capacity_at_least_one(self)
        self.order_fields(["centre", "theme", *SESSION_FIELDS, "staff"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        _check_times(self, data.get("starts_at"), data.get("ends_at"))
        return data

    def session_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in SESSION_FIELDS}


def _check_times(form: forms.BaseForm, starts: Any, ends: Any) -> None:
    if starts is not None and ends is not None and ends <= starts:
        form.add_error("ends_at", _("終了は開始より後にしてください。"))


class SeriesForm(CentreChoiceMixin, forms.ModelForm):
    """A recurring series and all its sessions in one step."""

    weekdays = forms.TypedMultipleChoiceField(
        label=_("曜日"),
        choices=Weekday.choices,
        coerce=int,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "btn-check", "autocomplete": "off"}),
        error_messages={"required": _("曜日を選んでください。")},
    )
    every_weeks = forms.TypedChoiceField(
        label=_("間隔"),
        choices=[(1, _("毎週")), (2, _("隔週"))],
        coerce=int,
        initial=1,
        widget=forms.RadioSelect,
    )
    staff = _staff_field()

    class Meta:
        model = IbashoSeries
        fields = [
            "title",
            "place",
            "weekdays",
            "every_weeks",
            "starts_on",
            "ends_on",
            "start_time",
            "end_time",
            "capacity",
        ]
        formfield_callback = staticmethod(formfield_with_japanese_dates)
        widgets = {"start_time": TIME, "end_time": TIME}

    def __init__(self, *args: Any, centres: list[Centre], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._add_centre(centres)
        _capacity_at_least_one(self)
        self.fields["every_weeks"].help_text = _("隔週は開始日の週から数えます。")
        self.order_fields(["centre", "title", "place"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        starts_on, ends_on = data.get("starts_on"), data.get("ends_on")
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error("ends_on", _("終了日は開始日以降の日付にしてください。"))
        # No longer than a year, and from 2000 until two years ahead: the model's rules.
        start, end = data.get("start_time"), data.get("end_time")
        if start is not None and end is not None and end <= start:
            self.add_error("end_time", _("終了時刻は開始時刻より後にしてください。"))
        return data

    def series_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class SessionEditForm(VersionedForm):
    """One occurrence, or (for a session of a series) this and all later ones: then only the
    place, the times and the staff change, on each occurrence's own day. It carries the
    session's version, so a save over someone else's change is refused."""

    staff = _staff_field()
    scope = forms.ChoiceField(
        label=_("変更する範囲"),
        choices=SCOPES,
        initial=THIS,
        widget=forms.RadioSelect,
        help_text=_(
            "「この回以降すべて」で変わるのは場所・時刻・担当職員です。"
            "来所の記録がある回と、個別に変更した回はそのままにします。"
        ),
    )

    class Meta(VersionedForm.Meta):
        model = IbashoSession
        fields = SESSION_FIELDS
        widgets = SessionForm.Meta.widgets

    def __init__(self, *args: Any, staff: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        session: IbashoSession = self.instance
        field = self.fields["staff"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = staff_choices([session.centre], keep=[user.pk for user in staff])
        self.initial.setdefault("staff", [user.pk for user in staff])
        if session.series_id is None:
            del self.fields["scope"]
        _capacity_at_least_one(self)
        self.order_fields(["scope", "theme", *SESSION_FIELDS, "staff"])

    @property
    def whole_rest(self) -> bool:
        return self.cleaned_data.get("scope") == THIS_AND_LATER

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        starts, ends = data.get("starts_at"), data.get("ends_at")
        _check_times(self, starts, ends)
        if not self.whole_rest or self.errors:
            return data
        if starts and timezone.localdate(starts) != timezone.localdate(self.instance.starts_at):
            self.add_error(
                "starts_at",
                _(
                    "日付を変えるときは「この回のみ」を選んでください（以降の回はそれぞれの日のままです）。"
                ),
            )
        if ends and timezone.localdate(ends) != timezone.localdate(starts or ends):
            self.add_error(
                "ends_at", _("以降の回に当てはめる終了時刻は、開始と同じ日にしてください。")
            )
        if changed := {"theme", "capacity", "notes"} & set(self.changed_data):
            labels = "、".join(
                str(self.fields[name].label) for name in SESSION_FIELDS if name in changed
            )
            self.add_error(
                "scope",
                _("%(fields)sは「この回のみ」で変更してください。") % {"fields": labels},
            )
        return data

    def changes(self) -> dict[str, Any]:
        """Only what the user changed: the audit trail names those fields."""
        return {
            name: self.cleaned_data[name] for name in SESSION_FIELDS if name in self.changed_data
        }

    @property
    def staff_changed(self) -> bool:
        return "staff" in self.changed_data

    def series_change(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "place": data["place"],
            "start_time": _local_time(data["starts_at"]),
            "end_time": _local_time(data["ends_at"]),
            "staff": list(data["staff"]),
        }


def _local_time(value: dt.datetime) -> dt.time:
    return timezone.localtime(value).time().replace(second=0, microsecond=0)


class SessionCancelForm(forms.Form):
    cancel_reason = forms.CharField(
        label=_("中止の理由"),
        max_length=200,
        error_messages={"required": _("中止の理由を入力してください。")},
    )
    scope = forms.ChoiceField(
        label=_("中止する範囲"),
        choices=SCOPES,
        initial=THIS,
        widget=forms.RadioSelect,
        help_text=_("来所の記録がある回は中止にしません（そのまま残ります）。"),
    )

    def __init__(self, *args: Any, session: IbashoSession, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if session.series_id is None:
            del self.fields["scope"]

    @property
    def whole_rest(self) -> bool:
        return self.cleaned_data.get("scope") == THIS_AND_LATER


MILESTONE_FIELDS = [
    "first_visit",
    "stayed_whole_session",
    "talked_with_others",
    "joined_activity",
    "first_time_alone",
]
ATTENDANCE_FIELDS = ["arrived_at", "left_at", "note", *MILESTONE_FIELDS]


class AttendanceForm(VersionedForm):
    """Correct one attendance: the times, the note and the milestone ticks. Several sit on one
    page, so each has its own prefix (and its own ids)."""

    class Meta(VersionedForm.Meta):
        model = IbashoAttendance
        fields = ATTENDANCE_FIELDS
        widgets = {"arrived_at": DATETIME, "left_at": DATETIME}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        instance = kwargs["instance"]
        kwargs.setdefault("prefix", f"attendance-{instance.pk}")
        super().__init__(*args, **kwargs)
        for name in MILESTONE_FIELDS:  # ticked in a row, each with its label
            self.fields[name].widget.attrs["class"] = "form-check-input"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        arrived, left = data.get("arrived_at"), data.get("left_at")
        if arrived is not None and left is not None and left < arrived:
            self.add_error("left_at", _("退出は到着より後にしてください。"))
        return data

    def changes(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in ATTENDANCE_FIELDS}

    def milestones(self) -> list[forms.BoundField]:
        return [self[name] for name in MILESTONE_FIELDS]
