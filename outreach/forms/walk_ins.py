"""Forms of the walk-in link flow: find the person's case, then choose the consent that allows
the visits to be written to it (or record it on the spot) and confirm."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.fields import JapaneseDateField
from cases.choices import ConsentScope
from cases.models import Consent

NEW_CONSENT = "new"


class CaseSearchForm(forms.Form):
    q = forms.CharField(label=_("ケース番号・氏名・ふりがな"), max_length=60)


class LinkForm(forms.Form):
    """The consent: one of the case's active ibasho consents, or a new one given now."""

    consent = forms.ChoiceField(label=_("同意"), widget=forms.RadioSelect)
    given_by = forms.CharField(
        label=_("同意した人"), max_length=60, required=False, help_text=_("例: 本人、母")
    )
    given_on = JapaneseDateField(label=_("同意日"), required=False)

    def __init__(self, *args: Any, consents: list[Consent], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.consents = consents
        consent_field = self.fields["consent"]
        assert isinstance(consent_field, forms.ChoiceField)
        consent_field.choices = [
            *((str(consent.pk), str(consent)) for consent in consents),
            (NEW_CONSENT, _("同意を今ここで記録する")),
        ]
        # The usual case is a single consent on file; without one, it is recorded now.
        self.initial.setdefault(
            "consent", str(consents[0].pk) if len(consents) == 1 else NEW_CONSENT
        )
        self.initial.setdefault("given_by", _("本人"))
        self.initial.setdefault("given_on", timezone.localdate())

    @property
    def records_new_consent(self) -> bool:
        return self.cleaned_data.get("consent") == NEW_CONSENT

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("consent") != NEW_CONSENT:
            return data
        if not (data.get("given_by") or "").strip():
            self.add_error("given_by", _("同意した人を入力してください。"))
        given_on = data.get("given_on")
        if given_on is None:
            if "given_on" not in self.errors:
                self.add_error("given_on", _("同意日を入力してください。"))
        elif given_on > timezone.localdate():
            self.add_error("given_on", _("同意日に未来の日付は指定できません。"))
        return data

    def chosen_consent(self) -> Consent | None:
        """The consent on file that was chosen (None when a new one is to be recorded)."""
        pk = self.cleaned_data["consent"]
        return next((c for c in self.consents if str(c.pk) == pk), None)

    def new_consent_fields(self) -> dict[str, Any]:
        return {
            "scope": ConsentScope.IBASHO_RECORD,
            "given_by": self.cleaned_data["given_by"].strip(),
            "given_on": self.cleaned_data["given_on"],
        }
