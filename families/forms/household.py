from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.fields import formfield_with_japanese_dates
from accounts.models import Centre
from cases.forms import DATETIME, setup_phone_field
from cases.models import ContactEntry
from families.models import ContingencyPlan, FamilyMember, HouseholdLink, Relation

MEMBER_FIELDS = [
    "family_name",
    "given_name",
    "family_name_kana",
    "given_name_kana",
    "birth_date",
    "birth_year",
    "phone",
    "contact_consent",
    "contact_consent_on",
    "status",
    "status_since",
]


LINK_FIELDS = ["relation", "lives_with_person", "person_aware", "is_primary_contact"]


class MemberForm(forms.ModelForm):
    """A member of the household: how they stand to this case's person (the link's fields,
    first) and their own details. Health and care notes only for roles that may see
    sensitive data (`with_health_notes`)."""

    relation = HouseholdLink._meta.get_field("relation").formfield()
    lives_with_person = HouseholdLink._meta.get_field("lives_with_person").formfield()
    person_aware = HouseholdLink._meta.get_field("person_aware").formfield()
    is_primary_contact = HouseholdLink._meta.get_field("is_primary_contact").formfield()

    class Meta:
        model = FamilyMember
        fields = [*MEMBER_FIELDS, "health_notes"]
        formfield_callback = staticmethod(formfield_with_japanese_dates)
        widgets = {"health_notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(
        self,
        *args: Any,
        link: HouseholdLink | None = None,
        with_health_notes: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if link is not None and not self.is_bound:
            self.initial.update({name: getattr(link, name) for name in LINK_FIELDS})
        if not with_health_notes:
            del self.fields["health_notes"]
        self.order_fields(LINK_FIELDS)
        self.fields["birth_year"].widget.attrs.update({"min": 1900, "inputmode": "numeric"})
        setup_phone_field(self.fields["phone"])
        self.fields["contact_consent_on"].help_text = _("空欄なら今日の日付で記録します。")

    def member_fields(self) -> dict[str, Any]:
        return {
            name: value for name, value in self.cleaned_data.items() if name in self.Meta.fields
        }

    def link_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in LINK_FIELDS}


class MemberEditForm(MemberForm):
    """Carries the version the user started from, for optimistic locking."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["version"] = self.instance.version

    def member_changes(self) -> dict[str, Any]:
        return {
            name: self.cleaned_data[name] for name in self.changed_data if name in self.Meta.fields
        }

    def link_changes(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.changed_data if name in LINK_FIELDS}


class MemberContactForm(forms.ModelForm):
    """A contact with one member of the household (written to the case's contact log)."""

    member = forms.ModelChoiceField(queryset=FamilyMember.objects.none(), label=_("家族"))
    outbound = forms.BooleanField(
        label=_("センターから連絡した（発信・郵送・訪問）"),
        required=False,
        help_text=_("センターからの連絡は、連絡に同意した家族にだけできます。"),
    )

    class Meta:
        model = ContactEntry
        fields = ["occurred_at", "duration_minutes", "channel", "two_way", "note", "next_action"]
        widgets = {"occurred_at": DATETIME, "note": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args: Any, household: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:  # like the case page's quick-add: now, a typical length
            self.initial.setdefault(
                "occurred_at", timezone.localtime().replace(second=0, microsecond=0)
            )
            self.initial.setdefault("duration_minutes", 15)
        self.fields["duration_minutes"].widget.attrs.update({"min": 0, "max": 1440, "step": 5})
        member_field = self.fields["member"]
        assert isinstance(member_field, forms.ModelChoiceField)
        member_field.queryset = household
        member_field.label_from_instance = _member_label  # type: ignore[method-assign,assignment]
        self.order_fields(["member", "outbound"])

    def contact_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


def _member_label(member: FamilyMember) -> str:
    """「母 山田 花子（連絡不可）」: the queryset annotates each member's relation to this
    case; who may not be called is said where the member is chosen."""
    relation = getattr(member, "relation", "")
    label = f"{Relation(relation).label if relation else ''} {member.display_name}".strip()
    if not member.contact_consent:
        label = _("%(member)s（連絡不可）") % {"member": label}
    return str(label)


class MemberSearchForm(forms.Form):
    q = forms.CharField(label=_("氏名・ふりがな"), max_length=60)


class LinkExistingForm(forms.ModelForm):
    """Put a member of another case of the centre (a sibling's mother) in this household."""

    member = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = HouseholdLink
        fields = LINK_FIELDS


class ContingencyPlanForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = ContingencyPlan
        fields = ["who_to_call", "where_to_live", "agencies_informed", "notes"]
        widgets = {name: forms.Textarea(attrs={"rows": 3}) for name in fields}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["version"] = self.instance.version


class IntakeCallerForm(forms.Form):
    """At intake: the caller, when a family member, recorded in the same step. Their name may
    be unknown; nothing is recorded when no relation is chosen."""

    relation = forms.ChoiceField(
        label=_("相談者の続柄"),
        choices=[("", _("家族ではない・記録しない")), *Relation.choices],
        required=False,
    )
    family_name = forms.CharField(label=_("相談者の姓"), max_length=60, required=False)
    given_name = forms.CharField(label=_("相談者の名"), max_length=60, required=False)
    family_name_kana = forms.CharField(label=_("せい（ふりがな）"), max_length=60, required=False)
    given_name_kana = forms.CharField(label=_("めい（ふりがな）"), max_length=60, required=False)
    lives_with_person = forms.BooleanField(label=_("本人と同居"), required=False, initial=True)
    contact_consent = forms.BooleanField(
        label=_("センターからの連絡に同意"),
        required=False,
        help_text=_("折り返しの電話や郵送をしてよいか、必ず確認してください。"),
    )

    def __init__(self, *args: Any, centres: list[Centre], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
