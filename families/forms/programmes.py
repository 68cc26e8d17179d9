"""Forms of the family programme screens: a programme with its weekly series in one step, a
one-off extra session, and the one-screen attendance register of a session."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.fields import formfield_with_japanese_dates
from accounts.forms import set_bound_values
from accounts.models import Centre, User
from accounts.templatetags.tsunagu import jdate
from cases.forms import DATETIME
from families import services
from families.models import (
    PROGRAMME_DAY,
    AttendanceStatus,
    FamilyMember,
    FamilyProgramme,
    MemberStatus,
    ProgrammeAttendance,
    ProgrammeSession,
)


def facilitator_choices(centres: Iterable[Centre]) -> Any:
    """Active staff of the centres, whatever their role: staff run family classes too."""
    return (
        User.objects.filter(is_active=True, centres__in=list(centres))
        .distinct()
        .order_by("display_name", "id")
    )


def _minutes_field(initial: int) -> forms.IntegerField:
    return forms.IntegerField(
        label=_("1回の時間（分）"),
        min_value=15,
        max_value=600,
        initial=initial,
        widget=forms.NumberInput(attrs={"step": 15}),
    )


def _dates_implausible(
    form: forms.BaseForm,
    starts_on: dt.date | None,
    ends_on: dt.date | None,
    first_start: dt.datetime | None = None,
) -> bool:
    """The plannable range (PROGRAMME_DAY, the validator of the programme's dates),
    checked before a series is worked out from the dates (year 9999 would overflow)."""
    implausible = False
    for field, value in (
        ("starts_on", starts_on),
        ("ends_on", ends_on),
        ("first_start", first_start),
    ):
        if value is None:
            continue
        try:
            PROGRAMME_DAY(value)
        except ValidationError as error:
            form.add_error(field, error)
            implausible = True
    return implausible


def _check_within(
    form: forms.BaseForm, field: str, starts: list[dt.datetime], programme: FamilyProgramme
) -> None:
    """The programme's rule (FamilyProgramme.check_sessions_within), shown on the field."""
    try:
        programme.check_sessions_within(starts)
    except ValidationError as error:
        form.add_error(field, error)


def _series_overrun(
    starts: list[dt.datetime], starts_on: dt.date, ends_on: dt.date
) -> ValidationError | None:
    """A series that starts within the programme but has more weeks than fit: say when its
    last session would be and how many fit, so the facilitator knows what to type. Anything
    else out of the dates is left to the general rule (FamilyProgramme.check_sessions_within)."""
    days = [timezone.localdate(start) for start in starts]
    if not days or not starts_on <= days[0] <= ends_on or days[-1] <= ends_on:
        return None
    return ValidationError(
        _(
            "%(number)s回目が%(date)sになり、期間（〜%(end)s）を過ぎます。"
            "この期間に入るのは%(fit)s回までです。"
        )
        % {
            "number": len(days),
            "date": jdate(days[-1]),
            "end": jdate(ends_on),
            "fit": sum(1 for day in days if day <= ends_on),
        }
    )


class ProgrammeForm(forms.ModelForm):
    """The programme and its weekly series in one step: the first session, its length, how
    many weeks and where. The series must fall within the programme's dates."""

    first_start = forms.DateTimeField(
        label=_("初回の開始日時"),
        required=False,
        widget=DATETIME,
        help_text=_("毎週同じ曜日・時刻で回を作ります。回は後から追加することもできます。"),
    )
    minutes = _minutes_field(90)
    weeks = forms.IntegerField(label=_("回数（週）"), min_value=0, max_value=52, initial=8)
    place = forms.CharField(label=_("場所"), max_length=120, required=False)

    class Meta:
        model = FamilyProgramme
        fields = ["kind", "title", "facilitators", "starts_on", "ends_on", "capacity"]
        formfield_callback = staticmethod(formfield_with_japanese_dates)
        widgets = {"facilitators": forms.CheckboxSelectMultiple}

    def __init__(self, *args: Any, centres: list[Centre], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if len(centres) > 1:
            # Staff of several centres (or stations) say which one runs the programme.
            self.fields["centre"] = forms.ModelChoiceField(
                label=_("実施センター"),
                queryset=Centre.objects.filter(pk__in=[c.pk for c in centres]).order_by("id"),
            )
            self.order_fields(["kind", "title", "centre"])
        facilitators = self.fields["facilitators"]
        assert isinstance(facilitators, forms.ModelMultipleChoiceField)
        facilitators.queryset = facilitator_choices(centres)
        capacity = self.fields["capacity"]
        capacity.validators.append(MinValueValidator(1))
        capacity.widget.attrs.update({"min": 1})
        capacity.help_text = _("空欄なら定員なし")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        starts_on, ends_on = data.get("starts_on"), data.get("ends_on")
        if _dates_implausible(self, starts_on, ends_on, data.get("first_start")):
            return data
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error("ends_on", _("終了日は開始日以降の日付にしてください。"))
            return data
        if {"first_start", "minutes", "weeks"} & set(self.errors):
            return data  # the series can't be worked out: the field's own error says why
        if data.get("weeks") and not data.get("first_start"):
            self.add_error("first_start", _("初回の開始日時を入力してください。"))
        elif starts_on and ends_on:
            starts = [session["starts_at"] for session in self.sessions()]
            if overrun := _series_overrun(starts, starts_on, ends_on):
                self.add_error("weeks", overrun)
            else:
                planned = FamilyProgramme(starts_on=starts_on, ends_on=ends_on)
                _check_within(self, "first_start", starts, planned)
        return data

    def sessions(self) -> list[dict[str, Any]]:
        data = self.cleaned_data
        if not data.get("first_start") or not data.get("weeks"):
            return []
        return services.weekly_sessions(
            first_start=data["first_start"],
            minutes=data["minutes"],
            count=data["weeks"],
            place=data.get("place", ""),
        )

    def chosen_centre(self, centres: list[Centre]) -> Centre:
        return self.cleaned_data.get("centre") or centres[0]

    def programme_fields(self) -> dict[str, Any]:
        return {
            name: self.cleaned_data[name]
            for name in ("kind", "title", "starts_on", "ends_on", "capacity")
        }


class ProgrammeEditForm(forms.ModelForm):
    """The programme's own details; its sessions are kept (and must fit the dates). Carries
    the version it was loaded at (optimistic locking)."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = FamilyProgramme
        fields = ["kind", "title", "facilitators", "starts_on", "ends_on", "capacity"]
        formfield_callback = staticmethod(formfield_with_japanese_dates)
        widgets = {"facilitators": forms.CheckboxSelectMultiple}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        facilitators = self.fields["facilitators"]
        assert isinstance(facilitators, forms.ModelMultipleChoiceField)
        facilitators.queryset = facilitator_choices([self.instance.centre])
        self.fields["capacity"].help_text = _("空欄なら定員なし")
        if not self.is_bound:
            self.initial["version"] = self.instance.version

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        starts_on, ends_on = data.get("starts_on"), data.get("ends_on")
        if _dates_implausible(self, starts_on, ends_on):
            return data
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error("ends_on", _("終了日は開始日以降の日付にしてください。"))
        return data

    def programme_fields(self) -> dict[str, Any]:
        return {
            name: self.cleaned_data[name]
            for name in ("kind", "title", "starts_on", "ends_on", "capacity")
        }


class SessionForm(forms.ModelForm):
    """A one-off extra session (a make-up class, a follow-up meeting)."""

    minutes = _minutes_field(90)

    class Meta:
        model = ProgrammeSession
        fields = ["starts_at", "place", "theme"]
        widgets = {"starts_at": DATETIME}

    def __init__(self, *args: Any, programme: FamilyProgramme, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.programme = programme
        self.order_fields(["starts_at", "minutes", "place", "theme"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        if data.get("starts_at") and data.get("minutes"):
            data["ends_at"] = data["starts_at"] + dt.timedelta(minutes=data["minutes"])
            _check_within(self, "starts_at", [data["starts_at"]], self.programme)
        return data

    def session_fields(self) -> dict[str, Any]:
        return {
            name: self.cleaned_data[name] for name in ("starts_at", "ends_at", "place", "theme")
        }


class MemberSearchForm(forms.Form):
    q = forms.CharField(
        label=_("氏名・ふりがなで検索"),
        max_length=60,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "type": "search"}),
    )


class AttendanceRegisterForm(forms.Form):
    """One row per enrolled member: a status and a short note, named `status-<member id>`
    and `note-<member id>`, so the page works as a plain form without JavaScript.

    Present by default only on a register never saved: re-saving an old register to fix a
    note must not tick someone who joined the programme since (their row stays unmarked, and
    an unmarked row is not recorded). Each row also carries what the page showed (`seen-…`): only the rows the user
    changed are saved, and a row someone else saved since is not overwritten (the service
    refuses it). A register that is not open yet is shown `disabled`: read-only, and
    whatever is posted is ignored (the service still refuses the save)."""

    def __init__(
        self,
        data: Mapping[str, Any] | None = None,
        *,
        members: list[FamilyMember],
        saved: Mapping[int, ProgrammeAttendance],
        disabled: bool = False,
    ) -> None:
        super().__init__(data)
        self.members = members
        first_save = not saved
        for member in members:
            row = saved.get(member.pk)
            present_by_default = first_save and member.status != MemberStatus.DECEASED
            initial = (
                row.status if row else (AttendanceStatus.ATTENDED if present_by_default else "")
            )
            self.fields[f"status-{member.pk}"] = forms.ChoiceField(
                label=member.display_name,
                choices=AttendanceStatus.choices,
                initial=initial,
                required=False,  # a row left unmarked is not recorded
                # No autocomplete on a radio (invalid HTML): the register's <form> carries it.
                widget=forms.RadioSelect(attrs={"class": "btn-check"}),
                disabled=disabled,
            )
            self.fields[f"note-{member.pk}"] = forms.CharField(
                label=_("メモ"),
                required=False,
                max_length=200,
                initial=row.note if row else "",
                disabled=disabled,
                widget=forms.TextInput(
                    attrs={
                        "class": "form-control form-control-lg",
                        "placeholder": _("メモ（任意）"),
                    }
                ),
            )
            for name, value in (
                ("status", row.status if row else ""),
                ("note", row.note if row else ""),
            ):
                self.fields[f"seen-{name}-{member.pk}"] = forms.CharField(
                    required=False, initial=value, widget=forms.HiddenInput
                )

    def rows(self) -> list[tuple[FamilyMember, forms.BoundField, forms.BoundField]]:
        return [(m, self[f"status-{m.pk}"], self[f"note-{m.pk}"]) for m in self.members]

    def hidden_rows(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith("seen-")]

    def _seen(self, member: FamilyMember) -> tuple[str, str]:
        data = self.cleaned_data
        return (data[f"seen-status-{member.pk}"] or "", data[f"seen-note-{member.pk}"] or "")

    def _marked(self) -> list[FamilyMember]:
        """The rows the user marked and changed from what their page showed."""
        data = self.cleaned_data
        return [
            m
            for m in self.members
            if data[f"status-{m.pk}"]
            and (data[f"status-{m.pk}"], data[f"note-{m.pk}"]) != self._seen(m)
        ]

    def marks(self) -> dict[int, tuple[str, str]]:
        data = self.cleaned_data
        return {m.pk: (data[f"status-{m.pk}"], data[f"note-{m.pk}"]) for m in self._marked()}

    def seen(self) -> dict[int, tuple[str, str]]:
        return {m.pk: self._seen(m) for m in self._marked()}

    def show_current(self, saved: Mapping[int, ProgrammeAttendance]) -> None:
        """After a refused save: keep what the user chose, but carry what is saved now, so
        that saving again, knowingly, goes through."""
        values = {}
        for member in self.members:
            row = saved.get(member.pk)
            values[f"seen-status-{member.pk}"] = row.status if row else ""
            values[f"seen-note-{member.pk}"] = row.note if row else ""
        set_bound_values(self, values)
