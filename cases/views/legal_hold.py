"""A manager's legal hold on a case (retention, APPI): while it holds, the case is never
disposed of, however long ago it closed (records.retention)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _

from accounts.access import AuthenticatedHttpRequest
from accounts.services import client_ip
from cases import services
from cases.models import Case
from cases.views.helpers import case_for, form_page


class LegalHoldForm(forms.Form):
    # The case's version when the page was opened: two managers deciding at once must not
    # lift each other's hold unawares (cases.services.lock_current).
    version = forms.IntegerField(widget=forms.HiddenInput)
    hold = forms.BooleanField(
        label=_("法的保全をかける（保存期間を過ぎても個人情報を消去しない）"), required=False
    )
    reason = forms.CharField(
        label=_("保全の理由"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("例: 訴訟の可能性、行政機関からの照会。氏名は書かないでください。"),
    )

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The record the version is of: a refused save carries the version saved since
        # (cases.views.helpers.refuse_stale_edit), as the model forms do.
        self.instance = case

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        if cleaned.get("hold") and not (cleaned.get("reason") or "").strip():
            self.add_error("reason", _("保全の理由を入力してください。"))
        return cleaned


def case_legal_hold(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    case = case_for(request, pk, "case.legal_hold")
    initial = {"hold": case.legal_hold, "reason": case.legal_hold_reason, "version": case.version}
    form = LegalHoldForm(request.POST or None, initial=initial, case=case)
    return form_page(
        request,
        case=case,
        form=form,
        title=str(_("法的保全")),
        success=str(_("法的保全の設定を保存しました。")),
        save=lambda: services.case_legal_hold_set(
            case=case,
            by=request.user,
            hold=form.cleaned_data["hold"],
            reason=form.cleaned_data["reason"],
            expected_version=form.cleaned_data["version"],
            ip=client_ip(request),
        ),
    )
