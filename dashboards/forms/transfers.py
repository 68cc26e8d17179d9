"""Forms of the transfer screens. The people offered are the centre's own (its case owners,
and who holds cases there): an id of anyone else posted by hand is "not one of the choices",
a form error, never a server error."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User


def _with_caseload(user: User, *, mark_inactive: bool = False) -> str:
    name = str(user)
    if mark_inactive and not user.is_active:
        name = _("%(name)s（無効）") % {"name": name}
    return _("%(name)s（%(count)s件）") % {"name": name, "count": user.open_caseload}  # type: ignore[attr-defined]


class CaseloadTransferForm(forms.Form):
    """Whose caseload goes to whom. Submitted by GET for the preview; posted with the
    preview's fingerprint (and a reason) to confirm."""

    from_user = forms.TypedChoiceField(label=_("引き継ぐ人（担当者）"), coerce=int)
    to_users = forms.TypedMultipleChoiceField(
        label=_("引き継ぎ先（同じセンターの相談員・所長）"),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )
    reason = forms.CharField(
        label=_("理由"),
        required=False,
        max_length=300,
        help_text=_("例: 退職、育児休業。ケースの経過に残ります（通知には含まれません）。"),
    )
    fingerprint = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, people: Sequence[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.people = {user.pk: user for user in people}
        from_field, to_field = self.fields["from_user"], self.fields["to_users"]
        assert isinstance(from_field, forms.ChoiceField) and isinstance(to_field, forms.ChoiceField)
        from_field.choices = [
            (user.pk, _with_caseload(user, mark_inactive=True)) for user in people
        ]
        to_field.choices = [
            (user.pk, _with_caseload(user))
            for user in people
            if user.is_owner  # type: ignore[attr-defined]
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("from_user") is not None and data.get("from_user") in data.get("to_users", []):
            self.add_error("to_users", _("引き継ぐ人自身は引き継ぎ先に選べません。"))
        return data

    @property
    def from_person(self) -> User:
        return self.people[self.cleaned_data["from_user"]]

    @property
    def to_people(self) -> list[User]:
        return [self.people[pk] for pk in self.cleaned_data["to_users"]]


class _PersonChoiceField(forms.TypedChoiceField):
    """One of the given people, offered from a list already read (no query of its own, to
    render or to validate)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, coerce=int, **kwargs)


class _OnePersonForm(forms.Form):
    person_field = "to"

    def __init__(self, *args: Any, owners: Sequence[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.owners = {user.pk: user for user in owners}
        field = self.fields[self.person_field]
        assert isinstance(field, forms.ChoiceField)
        blank = [] if field.required else [("", _("（あとで決める）"))]
        field.choices = [*blank, *((user.pk, str(user)) for user in owners)]

    @property
    def person(self) -> User | None:
        pk = self.cleaned_data.get(self.person_field)
        return self.owners[pk] if pk not in (None, "") else None


class ReassignForm(_OnePersonForm):
    to = _PersonChoiceField(label=_("新しい担当者"))
    reason = forms.CharField(
        label=_("理由"),
        required=False,
        max_length=300,
        help_text=_("ケースの経過に残ります（通知には含まれません）。"),
    )

    @property
    def to_person(self) -> User:
        return self.owners[self.cleaned_data["to"]]


class MoveForm(_OnePersonForm):
    person_field = "counsellor"
    counsellor = _PersonChoiceField(label=_("移管先での担当者"), required=False, empty_value=None)
    reason = forms.CharField(
        label=_("理由"), required=False, max_length=200, help_text=_("例: 家族の転居")
    )
