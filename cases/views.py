from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import access
from accounts.access import AuthenticatedHttpRequest, permission_required
from accounts.services import client_ip
from cases import forms as case_forms
from cases import instruments, selectors, services
from cases.filters import CaseFilter
from cases.models import Case, CaseSensitiveInfo, Milestone

PAGE_SIZE = 25
CONTACT_LOG_PAGE_SIZE = 50
SEARCH_SESSION_KEY = "case_search"


def _case(request: AuthenticatedHttpRequest, pk: int, action: str) -> Case:
    """The case if the user's centre has it (else 404), then the role check (else 403): an
    outsider learns nothing, not even that the case exists."""
    case = access.get_case_for_user(request.user, pk, selectors.case_detail_queryset())
    access.require(request.user, action)
    return case


def _apply_errors(form: forms.BaseForm, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _form_page(
    request: AuthenticatedHttpRequest,
    *,
    case: Case,
    form: forms.BaseForm,
    save: Callable[[], Any],
    title: str,
    success: str,
    template: str = "cases/form_page.html",
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    """GET shows the form; a valid POST calls `save` (a service) and returns to the case.
    Errors, including a stale edit, re-render the form with everything the user typed."""
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            save()
        except services.StaleEdit:
            form.add_error(
                None,
                _(
                    "この記録は、あなたが編集を始めた後に他の人が更新しました。入力内容は残してあります。"
                    "最新の内容を別のタブで確認してから、もう一度保存してください。"
                ),
            )
            status = 409
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, success)
            return redirect("cases:detail", pk=case.pk)
    context = {"case": case, "form": form, "title": title, **(extra or {})}
    return render(request, template, context, status=status)


def _post_action(
    request: AuthenticatedHttpRequest, case: Case, action: Callable[[], Any], success: str
) -> HttpResponse:
    """A one-button action on the case page: run the service, say how it went, go back."""
    try:
        action()
        messages.success(request, success)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("cases:detail", pk=case.pk)


# --- list, intake, case page -------------------------------------------------------------


@permission_required("case.view")
def case_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The search text may be a name, so it never travels in the URL (access logs, history):
    the form is POSTed, the text kept in the session, and the other filters stay in the URL."""
    if request.method == "POST" or "q" in request.GET or "clear" in request.GET:
        source = request.POST if request.method == "POST" else request.GET
        request.session[SEARCH_SESSION_KEY] = "" if "clear" in source else source.get("q", "")
        kept = source.copy()
        for name in ("q", "csrfmiddlewaretoken", "page", "clear"):
            kept.pop(name, None)
        url = reverse("cases:list")
        return redirect(f"{url}?{kept.urlencode()}" if kept else url)
    data = request.GET.copy()
    data["q"] = request.session.get(SEARCH_SESSION_KEY, "")
    case_filter = CaseFilter(
        data,
        queryset=selectors.case_list_queryset(request.user),
        centres=list(access.user_centres(request.user)),
    )
    page = Paginator(case_filter.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "cases/list.html",
        {"filter": case_filter, "page": page, "query": query.urlencode()},
    )


@permission_required("case.create")
def case_intake(request: AuthenticatedHttpRequest) -> HttpResponse:
    centres = list(access.user_centres(request.user).order_by("id"))
    if not centres:
        raise Http404
    data = request.POST if request.method == "POST" else None
    case_form = case_forms.IntakeCaseForm(data, centres=centres, prefix="case")
    contact_form = case_forms.ContactForm(data, prefix="contact")
    if data is not None and case_form.is_valid() and contact_form.is_valid():
        try:
            case = services.case_intake(
                centre=case_form.filing_centre(centres),
                by=request.user,
                case_fields=case_form.case_fields(),
                contact_fields=contact_form.cleaned_data,
                ip=client_ip(request),
            )
        except ValidationError as error:
            _apply_errors(case_form, error)
        else:
            messages.success(
                request, _("%(number)s を登録しました。") % {"number": case.case_number}
            )
            return redirect("cases:detail", pk=case.pk)
    return render(
        request, "cases/intake.html", {"case_form": case_form, "contact_form": contact_form}
    )


def case_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk, "case.view")
    user = request.user
    services.case_view_record(case=case, by=user, ip=client_ip(request))
    timeline = selectors.case_timeline(case)
    assessments = [item.obj for item in timeline if item.kind == "assessment"]
    context: dict[str, Any] = {
        "case": case,
        "timeline": timeline,
        "timeline_truncated": selectors.timeline_truncated(timeline),
        "plan": selectors.current_plan(case),
        "consents": list(case.consents.all()),
        "referrals": [item.obj for item in timeline if item.kind == "referral"],
        "assessments": assessments,
        "trend": selectors.assessment_trend(assessments),
        "contact_form": case_forms.ContactForm(),
        "instrument_choices": instruments.instrument_choices(),
    }
    if access.can(user, "case.view_sensitive"):
        context["sensitive"] = CaseSensitiveInfo.objects.filter(case=case).first()
    if access.can(user, "audit.view"):
        context["viewers"] = selectors.case_viewers(case)
    return render(request, "cases/detail.html", context)


@require_POST
def contact_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Quick-add from the case page (htmx) or a plain form post without JavaScript."""
    case = _case(request, pk, "contact.add")
    form = case_forms.ContactForm(request.POST)
    saved = False
    if form.is_valid():
        try:
            services.contact_record(
                case=case,
                by=request.user,
                fields=form.cleaned_data,
                ip=client_ip(request),
            )
            saved = True
        except ValidationError as error:
            _apply_errors(form, error)
    if not request.htmx:  # type: ignore[attr-defined]
        if saved:
            messages.success(request, _("相談記録を追加しました。"))
            return redirect("cases:detail", pk=case.pk)
        return render(
            request,
            "cases/form_page.html",
            {"case": case, "form": form, "title": _("相談記録の追加")},
        )
    timeline = selectors.case_timeline(case) if saved else None
    context = {
        "case": case,
        "contact_form": case_forms.ContactForm() if saved else form,
        "saved": saved,
        "timeline": timeline,
        "timeline_truncated": selectors.timeline_truncated(timeline) if timeline else None,
    }
    return render(request, "cases/_contact_panel.html", context)


# --- editing ----------------------------------------------------------------------------


def _changes(form: forms.ModelForm) -> dict[str, Any]:
    return {name: form.cleaned_data[name] for name in form.changed_data if name != "version"}


def case_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk, "case.edit")
    form = case_forms.CaseForm(request.POST or None, instance=case, centre=case.centre)
    return _form_page(
        request,
        case=case,
        form=form,
        title=_("基本情報の編集"),
        success=_("保存しました。"),
        save=lambda: services.case_update(
            case=case,
            by=request.user,
            changes=_changes(form),
            expected_version=form.cleaned_data["version"],
            ip=client_ip(request),
        ),
    )


def sensitive_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk, "case.view_sensitive")
    info = CaseSensitiveInfo.objects.filter(case=case).first() or CaseSensitiveInfo(case=case)
    if request.method == "GET":  # 要配慮個人情報 shown: the view is part of the audit trail
        services.case_view_record(case=case, by=request.user, ip=client_ip(request))
    form = case_forms.SensitiveInfoForm(request.POST or None, instance=info)
    return _form_page(
        request,
        case=case,
        form=form,
        title=_("要配慮個人情報の編集"),
        success=_("保存しました。"),
        save=lambda: services.case_sensitive_update(
            case=case,
            by=request.user,
            changes=_changes(form),
            expected_version=form.cleaned_data["version"],
            ip=client_ip(request),
        ),
    )


def case_status(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk, "case.change_status")
    form = case_forms.StatusForm(request.POST or None)
    return _form_page(
        request,
        case=case,
        form=form,
        title=_("状態の変更"),
        success=_("状態を変更しました。"),
        save=lambda: services.case_change_status(
            case=case,
            by=request.user,
            ip=client_ip(request),
            **form.cleaned_data,
        ),
    )


# --- assessments, plans -----------------------------------------------------------------


def assessment_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk, "assessment.add")
    code, _sep, version = request.GET.get("instrument", "").partition(":")
    instrument = instruments.INSTRUMENTS.get((code, version))
    if instrument is None:
        return render(
            request,
            "cases/assessment_choose.html",
            {"case": case, "choices": instruments.instrument_choices()},
        )
    form = case_forms.AssessmentForm(request.POST or None, instrument=instrument)
    return _form_page(
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
    case = _case(request, pk, "plan.edit")
    plan = get_object_or_404(case.plans, pk=plan_id) if plan_id else None
    form = case_forms.PlanForm(request.POST or None, instance=plan)
    return _form_page(
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
    case = _case(request, pk, "plan.edit")
    plan = get_object_or_404(case.plans, pk=plan_id)
    form = case_forms.MilestoneForm(request.POST or None)
    return _form_page(
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
    case = _case(request, pk, "plan.edit")
    milestone = get_object_or_404(
        Milestone.objects.filter(plan__case=case),
        pk=milestone_id,
    )
    return _post_action(
        request,
        case,
        lambda: services.milestone_achieve(
            milestone=milestone, by=request.user, on=timezone.localdate(), ip=client_ip(request)
        ),
        _("おめでとうございます。小さな一歩を記録しました。"),
    )


# --- consent and referrals ---------------------------------------------------------------


def consent_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk, "consent.edit")
    form = case_forms.ConsentForm(request.POST or None)
    return _form_page(
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
    case = _case(request, pk, "consent.edit")
    consent = get_object_or_404(case.consents, pk=consent_id)
    return _post_action(
        request,
        case,
        lambda: services.consent_withdraw(
            consent=consent, by=request.user, on=timezone.localdate(), ip=client_ip(request)
        ),
        _("同意の撤回を記録しました。"),
    )


def referral_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk, "referral.edit")
    form = case_forms.ReferralForm(request.POST or None, case=case)
    return _form_page(
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
    case = _case(request, pk, "referral.edit")
    referral = get_object_or_404(case.referrals.select_related("consent"), pk=referral_id)
    return _post_action(
        request,
        case,
        lambda: services.referral_mark_sent(
            referral=referral, by=request.user, ip=client_ip(request)
        ),
        _("送付済みにしました。"),
    )


def referral_outcome(request: AuthenticatedHttpRequest, pk: int, referral_id: int) -> HttpResponse:
    case = _case(request, pk, "referral.edit")
    referral = get_object_or_404(case.referrals, pk=referral_id)
    form = case_forms.ReferralOutcomeForm(request.POST or None, instance=referral)
    return _form_page(
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


def case_contacts(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Every contact of the case, newest first: the timeline shows only the newest ones."""
    case = _case(request, pk, "case.view")
    services.case_view_record(case=case, by=request.user, ip=client_ip(request))
    page = Paginator(selectors.case_contacts(case), CONTACT_LOG_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "cases/contacts.html", {"case": case, "page": page})


def case_audit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk, "audit.view")
    page = Paginator(selectors.case_audit_trail(case), 100).get_page(request.GET.get("page"))
    return render(request, "cases/audit.html", {"case": case, "events": page, "page": page})
