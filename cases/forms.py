from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.fields import JapaneseDateField, formfield_with_japanese_dates
from accounts.models import Centre, Role, User
from cases import instruments
from cases.choices import CaseStatus, ClosureReason, ConsentScope
from cases.models import (
    CASE_PERSON_FIELDS,
    Case,
    CaseSensitiveInfo,
    Consent,
    ContactEntry,
    Milestone,
    Referral,
    SupportPlan,
    case_owners,
)

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def setup_phone_field(field: forms.Field) -> None:
    """A Japanese phone number as people type it, with the formats named on an error."""
    field.error_messages["invalid"] = _(
        "電話番号は 03-1234-5678 や 090-1234-5678 の形式で入力してください。"
    )
    # The input's type, not an attribute: as an attribute it is written twice (invalid HTML).
    field.widget.input_type = "tel"
    field.widget.attrs.update({"autocomplete": "off"})


class CaseModelForm(forms.ModelForm):
    """Base of the model forms here. Their dates read 和暦 and full-width digits too: a form's
    Meta inherits this one (`class Meta(CaseModelForm.Meta)`), so a new date column does."""

    class Meta:
        formfield_callback = staticmethod(formfield_with_japanese_dates)


class VersionedForm(CaseModelForm):
    """Carries the version the user started from, for optimistic locking."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["version"] = self.instance.version


CASE_SUPPORT_FIELDS = [
    "first_contact_date",
    "first_contact_by",
    "withdrawal_since_year",
    "withdrawal_since_month",
    "severity",
    "support_stage",
    "person_aware",
    "primary_counsellor",
    "co_counsellor",
    "risk_self_harm",
    "risk_violence",
    "risk_parent_ill",
    "followup_interval_days",
    "escalation_grace_days",
]


class CaseFormMixin:
    def setup_case_fields(self, centre: Centre) -> None:
        fields = self.fields  # type: ignore[attr-defined]
        for name in ("primary_counsellor", "co_counsellor"):
            if name in fields:
                fields[name].queryset = case_owners(centre)
        for name in ("followup_interval_days", "escalation_grace_days"):
            if name in fields:
                default = getattr(centre, name)
                fields[name].help_text = _("空欄ならセンターの既定値（%(days)s日）") % {
                    "days": default
                }
        if "phone" in fields:
            setup_phone_field(fields["phone"])
        if "withdrawal_since_year" in fields:
            fields["withdrawal_since_year"].widget.attrs.update(
                {"min": 1950, "max": timezone.localdate().year}
            )


class CaseForm(CaseFormMixin, VersionedForm):
    class Meta(CaseModelForm.Meta):
        model = Case
        fields = [*CASE_PERSON_FIELDS, *CASE_SUPPORT_FIELDS]

    def __init__(self, *args: Any, centre: Centre, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.setup_case_fields(centre)


class IntakeCaseForm(CaseFormMixin, CaseModelForm):
    """What a first phone call usually gives: often not even the person's name."""

    class Meta(CaseModelForm.Meta):
        model = Case
        fields = [
            "family_name",
            "given_name",
            "family_name_kana",
            "given_name_kana",
            "age_band",
            "gender",
            "first_contact_by",
            "withdrawal_since_year",
            "person_aware",
            "primary_counsellor",
            "risk_self_harm",
            "risk_violence",
            "risk_parent_ill",
            "phone",
            "municipality",
        ]

    def __init__(self, *args: Any, centres: list[Centre], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.setup_case_fields(centres[0])
        self.fields["first_contact_by"].initial = "family"
        if len(centres) > 1:
            # Staff of several centres (or stations) say which one takes the case.
            self.fields["filing_centre"] = forms.ModelChoiceField(
                label=_("受付センター"),
                queryset=Centre.objects.filter(pk__in=[c.pk for c in centres]),
            )
            self.order_fields(["filing_centre"])
            primary = self.fields["primary_counsellor"]
            assert isinstance(primary, forms.ModelChoiceField)
            primary.queryset = case_owners(*centres)

    def filing_centre(self, centres: list[Centre]) -> Centre:
        return self.cleaned_data.get("filing_centre") or centres[0]

    def case_fields(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k != "filing_centre"}


class SensitiveInfoForm(VersionedForm):
    class Meta(CaseModelForm.Meta):
        model = CaseSensitiveInfo
        fields = [
            "conditions",
            "medical_status",
            "disability_certificate",
            "collection_consent_recorded",
        ]
        widgets = {
            "conditions": forms.Textarea(attrs={"rows": 3}),
            "medical_status": forms.Textarea(attrs={"rows": 3}),
        }


class ContactForm(CaseModelForm):
    class Meta(CaseModelForm.Meta):
        model = ContactEntry
        fields = [
            "occurred_at",
            "duration_minutes",
            "channel",
            "counterpart",
            "counterpart_detail",
            "two_way",
            "note",
            "next_action",
        ]
        widgets = {"occurred_at": DATETIME, "note": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault(
                "occurred_at", timezone.localtime().replace(second=0, microsecond=0)
            )
        self.fields["duration_minutes"].widget.attrs.update({"min": 0, "max": 1440, "step": 5})


class StatusForm(forms.Form):
    ACTIONS = [
        (CaseStatus.CLOSED, _("終結する")),
        (CaseStatus.PAUSED, _("休止する")),
        (CaseStatus.OPEN, _("再開する（再ひきこもりは新しいエピソード）")),
    ]
    to_status = forms.ChoiceField(label=_("操作"), choices=ACTIONS)
    closure_reason = forms.ChoiceField(
        label=_("終結理由"),
        # A move to another centre closes a case through its own screen, never by hand.
        choices=[
            ("", "---------"),
            *(c for c in ClosureReason.choices if c[0] != ClosureReason.TRANSFERRED),
        ],
        required=False,
    )
    paused_until = JapaneseDateField(label=_("休止期限"), required=False)
    note = forms.CharField(label=_("理由・メモ"), required=False, max_length=300)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("to_status") == CaseStatus.CLOSED and not data.get("closure_reason"):
            self.add_error("closure_reason", _("終結理由を選んでください。"))
        if data.get("to_status") == CaseStatus.PAUSED and not data.get("paused_until"):
            self.add_error("paused_until", _("休止期限を入力してください。"))
        return data


class AssessmentForm(forms.Form):
    """One number field per item of the chosen instrument; scored on save."""

    assessed_on = JapaneseDateField(label=_("実施日"))
    notes = forms.CharField(
        label=_("メモ（ADL等）"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, instrument: instruments.Instrument, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        self.initial.setdefault("assessed_on", timezone.localdate())
        labels = instrument.item_labels
        for number in range(1, instrument.item_count + 1):
            label = _("項目%(n)s") % {"n": number}
            if labels and len(labels) >= number:
                label = f"{number}. {labels[number - 1]}"
            # Range is checked by the scoring function so every bad item is reported together.
            self.fields[f"item_{number}"] = forms.CharField(
                label=label,
                required=False,
                widget=forms.NumberInput(
                    attrs={"min": instrument.min_answer, "max": instrument.max_answer}
                ),
            )

    def answers(self) -> list[str]:
        return [
            (self.cleaned_data.get(f"item_{n}") or "").strip()
            for n in range(1, self.instrument.item_count + 1)
        ]


class PlanForm(VersionedForm):
    class Meta(CaseModelForm.Meta):
        model = SupportPlan
        fields = ["goals", "warning_signs", "what_helps", "who_to_call", "review_on"]
        widgets = {
            name: forms.Textarea(attrs={"rows": 3})
            for name in ["goals", "warning_signs", "what_helps", "who_to_call"]
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.instance.pk:
            self.fields["version"].required = False


class MilestoneForm(CaseModelForm):
    class Meta(CaseModelForm.Meta):
        model = Milestone
        fields = ["description", "target_on"]


class ConsentForm(CaseModelForm):
    class Meta(CaseModelForm.Meta):
        model = Consent
        fields = ["scope", "detail", "given_by", "given_on"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial.setdefault("given_on", timezone.localdate())
        self.initial.setdefault("scope", ConsentScope.SHARE_WITH_AGENCY)


class ReferralForm(CaseModelForm):
    class Meta(CaseModelForm.Meta):
        model = Referral
        fields = [
            "destination_kind",
            "destination_name",
            "referred_on",
            "consent",
            "legal_basis",
            "shared_information",
            "follow_up_on",
        ]
        widgets = {"shared_information": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial.setdefault("referred_on", timezone.localdate())
        consent_field = self.fields["consent"]
        assert isinstance(consent_field, forms.ModelChoiceField)
        consent_field.queryset = case.consents.filter(
            scope=ConsentScope.SHARE_WITH_AGENCY, withdrawn_on__isnull=True
        )


class ReferralOutcomeForm(VersionedForm):
    class Meta(CaseModelForm.Meta):
        model = Referral
        fields = ["outcome", "follow_up_on"]


class SensitiveShareForm(forms.Form):
    """A manager picks a counsellor of the case's centre to share its 要配慮個人情報 with."""

    user = forms.ModelChoiceField(label=_("共有先の相談員"), queryset=User.objects.none())

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Those who see it anyway (the assigned counsellors) are not offered.
        field = self.fields["user"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = (
            User.objects.filter(is_active=True, role=Role.COUNSELLOR, centres=case.centre_id)
            .exclude(
                pk__in=[pk for pk in (case.primary_counsellor_id, case.co_counsellor_id) if pk]
            )
            .order_by("display_name", "id")
        )


class BreakGlassForm(forms.Form):
    """Which case (its centre and number) and why: the reason is what the centre's managers
    and an auditor read."""

    centre = forms.ModelChoiceField(label=_("センター"), queryset=Centre.objects.order_by("name"))
    case_number = forms.CharField(label=_("ケース番号"), max_length=20, help_text=_("例: K-0042"))
    reason = forms.CharField(
        label=_("理由"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        help_text=_("閲覧が必要な理由を具体的に書いてください。センターの管理者に表示されます。"),
    )

    def clean(self) -> dict[str, Any]:
        from cases.filters import CASE_NUMBER

        data = super().clean() or {}
        centre, number = data.get("centre"), data.get("case_number", "")
        match = CASE_NUMBER.match(number.replace(" ", ""))
        case = (
            Case.objects.filter(centre=centre, number=int(match.group(1))).first()
            if centre and match
            else None
        )
        if case is None and centre:
            self.add_error("case_number", _("このセンターにこの番号のケースはありません。"))
        data["case"] = case
        return data
