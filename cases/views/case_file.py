"""The case file: the list, intake, the case page with its contact log and audit trail, and
editing, pausing and closing a case."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import access
from accounts.access import AuthenticatedHttpRequest, permission_required
from accounts.models import AuditAction
from accounts.services import client_ip
from cases import access as case_access
from cases import forms as case_forms
from cases import hooks, instruments, selectors, services
from cases.models import Case, CaseSensitiveInfo
from cases.views.helpers import apply_errors, case_for, case_viewed, form_page

CONTACT_LOG_PAGE_SIZE = 50


@permission_required("case.create")
def case_intake(request: AuthenticatedHttpRequest) -> HttpResponse:
    centres = list(access.user_centres(request.user).order_by("id"))
    if not centres:
        raise Http404
    data = request.POST if request.method == "POST" else None
    case_form = case_forms.IntakeCaseForm(data, centres=centres, prefix="case")
    contact_form = case_forms.ContactForm(data, prefix="contact")
    extensions = hooks.intake_forms(data, centres=centres)  # e.g. the caller, a family member
    forms_valid = [
        form.is_valid() for form in (case_form, contact_form, *dict(extensions).values())
    ]
    if data is not None and all(forms_valid):
        try:
            with transaction.atomic():  # the case and what the extensions save, or nothing
                case = services.case_intake(
                    centre=case_form.filing_centre(centres),
                    by=request.user,
                    case_fields=case_form.case_fields(),
                    contact_fields=contact_form.cleaned_data,
                    ip=client_ip(request),
                )
                hooks.intake_save(extensions, case=case, by=request.user, ip=client_ip(request))
        except ValidationError as error:
            apply_errors(case_form, error)
        else:
            messages.success(
                request, _("%(number)s を登録しました。") % {"number": case.case_number}
            )
            return redirect("cases:detail", pk=case.pk)
    context = {"case_form": case_form, "contact_form": contact_form, "extensions": extensions}
    return render(request, "cases/intake.html", context)


def case_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    user = request.user
    # The plan, its milestones and the consents in the case's query. Never the sensitive
    # record: its tab loads on demand (sensitive_panel), a VIEW_SENSITIVE of its own.
    page_queryset = selectors.case_page_queryset(with_sensitive=False)
    case = case_for(request, pk, "case.view", queryset=page_queryset)  # a VIEW; elsewhere: 404
    health = case_access.can_see_health(user, case)
    timeline = selectors.case_timeline(case)
    assessments = [item.obj for item in timeline if item.kind == "assessment"]
    plan, milestones = selectors.case_page_plan(case)
    context: dict[str, Any] = {
        "case": case,
        "timeline": timeline,
        "timeline_truncated": selectors.timeline_truncated(timeline),
        "plan": plan,
        "milestones": milestones,
        "consents": selectors.case_page_consents(case),
        "referrals": [item.obj for item in timeline if item.kind == "referral"],
        "assessments": assessments,
        "trend": selectors.assessment_trend(assessments) if health else [],
        "contact_form": case_forms.ContactForm(),
        "instrument_choices": instruments.instrument_choices(),
        "panels": hooks.case_panels(request, case),  # the household, the ibasho
        "sees_health": health,
        "sees_sensitive": case_access.can_see_sensitive(user, case),
        "risk_flags": case_access.risk_flags_for(user, case, health=health),
        "break_glass_until": case_access.break_glass_until(user, case),
    }
    trend_scripts = ["vendor/chartjs/chart.umd.min.js", "js/trend.js"] if context["trend"] else []
    context["scripts"] = hooks.page_scripts(
        trend_scripts, *(panel["scripts"] for panel in context["panels"])
    )
    if case_access.permits(user, case, "case.share_sensitive"):
        context["shares"] = selectors.live_shares(case)
    if case_access.permits(user, case, "audit.view"):
        context["viewers"] = selectors.case_viewers(case)
    return render(request, "cases/detail.html", context)


@require_POST
def contact_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Quick-add from the case page (htmx) or a plain form post without JavaScript."""
    case = case_for(request, pk, "contact.add")
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
            apply_errors(form, error)
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
    if timeline is not None:  # the whole timeline shown again: a view of the case file
        case_viewed(request, case)
    context = {
        "case": case,
        "sees_health": case_access.can_see_health(request.user, case),
        "contact_form": case_forms.ContactForm() if saved else form,
        "saved": saved,
        "timeline": timeline,
        "timeline_truncated": selectors.timeline_truncated(timeline) if timeline else None,
    }
    return render(request, "cases/_contact_panel.html", context)


def case_contacts(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Every contact of the case, newest first: the timeline shows only the newest ones."""
    case = case_for(request, pk, "case.view")  # the contact log: a VIEW
    page = Paginator(selectors.case_contacts(case), CONTACT_LOG_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "cases/contacts.html", {"case": case, "page": page})


def case_audit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    case = case_for(request, pk, "audit.view")
    page = Paginator(selectors.case_audit_trail(case), 100).get_page(request.GET.get("page"))
    return render(request, "cases/audit.html", {"case": case, "events": page, "page": page})


def _changes(form: forms.ModelForm) -> dict[str, Any]:
    return {name: form.cleaned_data[name] for name in form.changed_data if name != "version"}


def case_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    case = case_for(request, pk, "case.edit")
    form = case_forms.CaseForm(request.POST or None, instance=case, centre=case.centre)
    return form_page(
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


def sensitive_panel(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The case page's 要配慮個人情報 tab, fetched (htmx) only when the tab is opened: opening
    the case is a VIEW, reading the diagnosis a VIEW_SENSITIVE of its own."""
    case = _sensitive_case(request, pk)
    info = CaseSensitiveInfo.objects.filter(case=case).first()
    case_viewed(request, case, obj=info or case, action=AuditAction.VIEW_SENSITIVE)
    context = {
        "case": case,
        "sensitive": info,
        "can_edit": case_access.permits(request.user, case, "case.edit"),
    }
    return render(request, "cases/_sensitive_panel.html", context)


def _sensitive_case(request: AuthenticatedHttpRequest, pk: int) -> Case:
    """The case, if this user may see its 要配慮個人情報 (cases.access.can_see_sensitive)."""
    case = case_for(request, pk, "case.view_sensitive", record_view=False)
    if not case_access.can_see_sensitive(request.user, case):
        raise PermissionDenied("case.view_sensitive")
    return case


def sensitive_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    case = _sensitive_case(request, pk)
    case_access.require(request.user, case, "case.edit")  # break-glass only reads
    info = CaseSensitiveInfo.objects.filter(case=case).first() or CaseSensitiveInfo(case=case)
    if request.method == "GET":  # 要配慮個人情報 shown: its own action on the audit trail
        case_viewed(request, case, obj=info if info.pk else case, action=AuditAction.VIEW_SENSITIVE)
    form = case_forms.SensitiveInfoForm(request.POST or None, instance=info)
    return form_page(
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
    case = case_for(request, pk, "case.change_status")
    form = case_forms.StatusForm(request.POST or None)
    return form_page(
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
