"""Casework on a case: assessments, support plans and their steps, consent and referrals."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import AuthenticatedHttpRequest
from accounts.services import client_ip
from cases import forms as case_forms
from cases import instruments, services
from cases.models import Milestone
from cases.views.helpers import case_for, form_page, post_action


def assessment_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    case = case_for(request, pk, "assessment.add")
    code, _sep, version = request.GET.get("instrument", "").partition(":")
    instrument = instruments.INSTRUMENTS.get((code, version))
    if instrument is None:
        return render(
            request,
            "cases/assessment_choose.html",
            {"case": case, "choices": instruments.instrument_choices()},
        )
    form = case_forms.AssessmentForm(request.POST or None, instrument=instrument)
    return form_page(
        request,
        case=case,
        form=form,
        title=str(instrument.label),
        success=_("アセスメントを保存しました。"),
        template="cases/assessment_form.html",
        extra={"instrument": instrument},
        save=lambda: services.assessment_record(
            case=case,
            by=request.user,
            instrument=instrument,
            answers=form.answers(),
            assessed_on=form.cleaned_data["assessed_on"],
            notes=form.cleaned_data["notes"],
            ip=client_ip(request),
        ),
    )


def plan_edit(
    request: AuthenticatedHttpRequest, pk: int, plan_id: int | None = None
) -> HttpResponse:
    """New plan (no plan_id) or that very plan: never "whichever is current at save time"."""
    case = case_for(request, pk, "plan.edit")
    plan = get_object_or_404(case.plans, pk=plan_id) if plan_id else None
    form = case_forms.PlanForm(request.POST or None, instance=plan)
    return form_page(
        request,
        case=case,
        form=form,
        title=_("支援計画"),
        success=_("支援計画を保存しました。"),
        save=lambda: services.plan_save(
            case=case,
            by=request.user,
            plan=plan,
            ip=client_ip(request),
            fields={k: v for k, v in form.cleaned_data.items() if k != "version"},
            expected_version=form.cleaned_data.get("version"),
        ),
    )


def milestone_add(request: AuthenticatedHttpRequest, pk: int, plan_id: int) -> HttpResponse:
    case = case_for(request, pk, "plan.edit")
    plan = get_object_or_404(case.plans, pk=plan_id)
    form = case_forms.MilestoneForm(request.POST or None)
    return form_page(
        request,
        case=case,
        form=form,
        title=_("小さな一歩を追加"),
        success=_("追加しました。"),
        save=lambda: services.milestone_add(
            plan=plan,
            by=request.user,
            fields=form.cleaned_data,
            ip=client_ip(request),
        ),
    )


@require_POST
def milestone_achieve(
    request: AuthenticatedHttpRequest, pk: int, milestone_id: int
) -> HttpResponse:
    case = case_for(request, pk, "plan.edit")
    milestone = get_object_or_404(
        Milestone.objects.filter(plan__case=case),
        pk=milestone_id,
    )
    return post_action(
        request,
        case,
        lambda: services.milestone_achieve(
            milestone=milestone, by=request.user, on=timezone.localdate(), ip=client_ip(request)
        ),
        _("おめでとうございます。小さな一歩を記録しました。"),
    )


def consent_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    case = case_for(request, pk, "consent.edit")
    form = case_forms.ConsentForm(request.POST or None)
    return form_page(
        request,
        case=case,
        form=form,
        title=_("同意の記録"),
        success=_("同意を記録しました。"),
        save=lambda: services.consent_record(
            case=case,
            by=request.user,
            fields=form.cleaned_data,
            ip=client_ip(request),
        ),
    )


@require_POST
def consent_withdraw(request: AuthenticatedHttpRequest, pk: int, consent_id: int) -> HttpResponse:
    case = case_for(request, pk, "consent.edit")
    consent = get_object_or_404(case.consents, pk=consent_id)
    return post_action(
        request,
        case,
        lambda: services.consent_withdraw(
            consent=consent, by=request.user, on=timezone.localdate(), ip=client_ip(request)
        ),
        _("同意の撤回を記録しました。"),
    )


def referral_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    case = case_for(request, pk, "referral.edit")
    form = case_forms.ReferralForm(request.POST or None, case=case)
    return form_page(
        request,
        case=case,
        form=form,
        title=_("つなぎの記録"),
        success=_("つなぎを記録しました。"),
        save=lambda: services.referral_create(
            case=case,
            by=request.user,
            fields=form.cleaned_data,
            ip=client_ip(request),
        ),
    )


@require_POST
def referral_send(request: AuthenticatedHttpRequest, pk: int, referral_id: int) -> HttpResponse:
    case = case_for(request, pk, "referral.edit")
    referral = get_object_or_404(case.referrals.select_related("consent"), pk=referral_id)
    return post_action(
        request,
        case,
        lambda: services.referral_mark_sent(
            referral=referral, by=request.user, ip=client_ip(request)
        ),
        _("送付済みにしました。"),
    )


def referral_outcome(request: AuthenticatedHttpRequest, pk: int, referral_id: int) -> HttpResponse:
    case = case_for(request, pk, "referral.edit")
    referral = get_object_or_404(case.referrals, pk=referral_id)
    form = case_forms.ReferralOutcomeForm(request.POST or None, instance=referral)
    return form_page(
        request,
        case=case,
        form=form,
        title=_("つなぎの結果"),
        success=_("保存しました。"),
        save=lambda: services.referral_record_outcome(
            referral=referral,
            by=request.user,
            outcome=form.cleaned_data["outcome"],
            follow_up_on=form.cleaned_data["follow_up_on"],
            expected_version=form.cleaned_data["version"],
            ip=client_ip(request),
        ),
    )
