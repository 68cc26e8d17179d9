"""Home visits: planning one from the case page, the visit page with its checklist and next
action, the small forms and buttons on it (each posting to its own view, which calls the
service and comes back), the briefing the visiting staff acknowledge, and the managers' list
of visits whose check-out is overdue.

Another centre's visit is a 404, then the role: planning, announcing, confirming, changing
and calling off need `visit.manage`; acknowledging, checking in and out and the outcome are
for the assigned staff (and casework roles: `services.visits.may_act_on`); an override is a
manager's."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts import access
from accounts.access import AuthenticatedHttpRequest, permission_required
from accounts.services import client_ip
from cases.views.helpers import apply_errors, case_for, case_viewed, try_save
from outreach import services
from outreach.forms.visits import (
    AnnounceForm,
    CallOffForm,
    OutcomeForm,
    OverrideForm,
    ReportForm,
    VisitEditForm,
    VisitPlanForm,
)
from outreach.models import (
    AnnouncementResponse,
    HomeVisit,
    VisitOutcome,
    VisitStatus,
)
from outreach.selectors import visits as selectors
from outreach.services.visits import may_act_on, visit_checklist

# --- fetching through the access helper ------------------------------------------------------


def _visit_for(request: AuthenticatedHttpRequest, pk: int, action: str) -> HomeVisit:
    """Another centre's visit is a 404 (it does not exist for the user), then the role."""
    visit = selectors.visit_for_user(request.user, pk)
    access.require(request.user, action)
    return visit


def _visit_to_act_on(request: AuthenticatedHttpRequest, pk: int) -> HomeVisit:
    """The assigned staff and casework roles: acknowledge, check in and out, the outcome."""
    visit = _visit_for(request, pk, "visit.view")
    if not may_act_on(request.user, visit):
        raise PermissionDenied(_("この訪問の担当者ではありません。"))
    return visit


def _back(visit: HomeVisit, anchor: str = "") -> HttpResponse:
    response = redirect("outreach:visit_detail", pk=visit.pk)
    if anchor:
        response["Location"] += f"#{anchor}"
    return response


def _refusal(request: AuthenticatedHttpRequest, error: ValidationError) -> None:
    messages.error(request, " ".join(error.messages))


def _tap(request: AuthenticatedHttpRequest, action: Callable[[], object], success: str) -> None:
    """A one-button action (confirm, check in or out, acknowledge): the service's refusal, or
    the success, as a message on the page it returns to."""
    try:
        action()
    except ValidationError as error:
        _refusal(request, error)
    else:
        messages.success(request, success)


def _form_post(
    request: AuthenticatedHttpRequest,
    visit: HomeVisit,
    *,
    key: str,
    form: forms.Form,
    save: Callable[[dict[str, Any]], Any],
    success: Callable[[Any], str],
    anchor: str = "",
) -> HttpResponse:
    """One of the visit page's small forms: a valid post calls the service (through the
    case views' `try_save`) and returns to the visit; a refusal shows the visit page again
    with this form as the user filled it."""
    if form.is_valid():
        outcome = try_save(form, lambda: save(form.cleaned_data))
        if outcome.saved:
            messages.success(request, success(outcome.result))
            return _back(visit, anchor)
    return _detail_page(request, visit, bound={key: form})


# --- planning ---------------------------------------------------------------------------------


def visit_new(request: AuthenticatedHttpRequest, case_pk: int) -> HttpResponse:
    case = case_for(request, case_pk, "visit.manage")
    form = VisitPlanForm(request.POST or None, centre=case.centre, user=request.user)
    if request.method == "POST" and form.is_valid():
        starts_at, ends_at = form.times()
        try:
            visit = services.visit_plan(
                case=case,
                by=request.user,
                starts_at=starts_at,
                ends_at=ends_at,
                purpose=form.cleaned_data["purpose"],
                staff=form.cleaned_data["staff"],
                overrides=form.overrides(),
                ip=client_ip(request),
            )
        except ValidationError as error:
            apply_errors(form, error)
        except PermissionDenied as refusal:  # override fields sent by someone not a manager
            form.add_error(None, str(refusal))
        else:
            messages.success(request, _("訪問を計画しました。次は予告を記録してください。"))
            return redirect("outreach:visit_detail", pk=visit.pk)
    context = {
        "case": case,
        "form": form,
        "may_override": access.can(request.user, "visit.override"),
    }
    return render(request, "outreach/visits/plan.html", context)


def visit_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    visit = _visit_for(request, pk, "visit.manage")
    if visit.status not in (
        VisitStatus.PLANNED,
        VisitStatus.ANNOUNCED,
        VisitStatus.CONFIRMED,
        VisitStatus.POSTPONED,
    ):
        messages.error(request, _("この訪問はもう変更できません。"))
        return _back(visit)
    staff = [a.user for a in visit.assignments.all()]
    form = VisitEditForm(request.POST or None, instance=_copy(visit), staff=staff)
    status = 200
    if request.method == "POST" and form.is_valid():
        starts_at, ends_at = form.times()
        outcome = try_save(
            form,
            lambda: services.visit_update(
                visit=visit,
                by=request.user,
                expected_version=form.cleaned_data["version"],
                starts_at=starts_at,
                ends_at=ends_at,
                purpose=form.cleaned_data["purpose"],
                staff=form.cleaned_data["staff"],
                ip=client_ip(request),
            ),
        )
        if outcome.saved:
            _say_what_changed(request, visit, outcome.result)
            return _back(visit)
        status = outcome.status
    # The form shows the case (its number, the household, the purpose): a view of it.
    case_viewed(request, visit.case, obj=visit)
    context = {"visit": visit, "form": form}
    return render(request, "outreach/visits/edit.html", context, status=status)


def _copy(visit: HomeVisit) -> HomeVisit:
    """The form validates onto its instance; the service must compare with the visit as it
    is saved."""
    return copy.copy(visit)


def _say_what_changed(
    request: AuthenticatedHttpRequest, before: HomeVisit, after: HomeVisit
) -> None:
    if after.status != before.status and after.status in (
        VisitStatus.PLANNED,
        VisitStatus.ANNOUNCED,
    ):
        messages.warning(
            request,
            _(
                "日時または目的を変えたので、本人・家族が聞いている内容と違います。"
                "予告と確定をやり直してください。"
            ),
        )
    else:
        messages.success(request, _("訪問を変更しました。"))


# --- the visit page ---------------------------------------------------------------------------


def _detail_page(
    request: AuthenticatedHttpRequest,
    visit: HomeVisit,
    *,
    bound: dict[str, forms.BaseForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The page, with the one form the user posted as they typed it when it was refused."""
    user = request.user
    bound = bound or {}
    checklist = visit_checklist(visit)
    members = selectors.members_by_id(visit.case)
    may_act = may_act_on(user, visit)
    # The page shows the report (the visit's contact note, read by whoever reads the case's
    # contact log): every view is on the audit trail.
    case_viewed(request, visit.case, obj=visit)
    context: dict[str, Any] = {
        "visit": visit,
        "case": visit.case,
        "checklist": checklist,
        "next": selectors.next_action(visit, checklist),
        "offers": selectors.offers(user, visit, checklist),
        "assigned": selectors.is_assigned(user, visit),
        "may_act": may_act,
        "announcements": [
            (a, members.get(a.recipient_member_id or 0)) for a in visit.announcements.all()
        ],
        "announce_form": bound.get("announce") or AnnounceForm(members=members),
        "call_off_form": bound.get("call_off") or CallOffForm(),
        "override_form": bound.get("override") or OverrideForm(taken=checklist.overrides),
        "outcome_form": bound.get("outcome") or OutcomeForm(),
        "report_form": bound.get("report") or ReportForm(instance=visit),
        "open_form": next(iter(bound), ""),
    }
    return render(request, "outreach/visits/detail.html", context, status=status)


def visit_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _detail_page(request, _visit_for(request, pk, "visit.view"))


@require_POST
def visit_announce(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    visit = _visit_for(request, pk, "visit.manage")
    form = AnnounceForm(request.POST, members=selectors.members_by_id(visit.case))
    return _form_post(
        request,
        visit,
        key="announce",
        form=form,
        save=lambda _data: services.visit_announce(
            visit=visit, by=request.user, ip=client_ip(request), **form.announcement_fields()
        ),
        success=lambda announcement: str(ANNOUNCED[AnnouncementResponse(announcement.response)]),
    )


ANNOUNCED = {
    AnnouncementResponse.AGREED: gettext_lazy(
        "予告を記録しました。了承を得たので、訪問は確定です。"
    ),
    AnnouncementResponse.NO_ANSWER: gettext_lazy(
        "予告を記録しました。断りがなければ、訪問を確定できます。"
    ),
    AnnouncementResponse.CHANGE_DATE: gettext_lazy(
        "日程の変更希望を記録しました（延期）。新しい日程を決めてください。"
    ),
    AnnouncementResponse.REFUSED: gettext_lazy(
        "訪問を断られたことを記録しました。訪問は中止です。次の対応を進めてください。"
    ),
}


@require_POST
def visit_confirm(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    visit = _visit_for(request, pk, "visit.manage")
    _tap(
        request,
        lambda: services.visit_confirm(visit=visit, by=request.user, ip=client_ip(request)),
        _("訪問を確定しました。"),
    )
    return _back(visit)


@require_POST
def visit_call_off(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    visit = _visit_for(request, pk, "visit.manage")
    return _form_post(
        request,
        visit,
        key="call_off",
        form=CallOffForm(request.POST),
        save=lambda data: services.visit_call_off(
            visit=visit,
            by=request.user,
            status=data["status"],
            reason=data["reason"],
            ip=client_ip(request),
        ),
        success=lambda _visit: _("訪問の状態を変更しました。"),
    )


@require_POST
def visit_override(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    visit = _visit_for(request, pk, "visit.override")
    form = OverrideForm(request.POST)
    if form.is_valid():
        try:
            services.visit_override(
                visit=visit,
                by=request.user,
                rule=form.cleaned_data["override_rule"],
                ground=form.cleaned_data["override_ground"],
                reason=form.cleaned_data["override_reason"],
                ip=client_ip(request),
            )
        except ValidationError as error:
            apply_errors(form, error)
        except PermissionDenied as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.warning(request, _("ルールの例外を承認しました。記録に残ります。"))
            return _back(visit, "overrides")
    return _detail_page(request, visit, bound={"override": form})


# --- on the day -------------------------------------------------------------------------------


@require_POST
def visit_check_in(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    visit = _visit_to_act_on(request, pk)
    _tap(
        request,
        lambda: services.visit_check_in(visit=visit, by=request.user, ip=client_ip(request)),
        _("チェックインしました。終わったらチェックアウトしてください。"),
    )
    return _back(visit)


@require_POST
def visit_check_out(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """From the visit page (one tap on a phone), or by a manager from the safety list, once
    the staff's safety is confirmed."""
    visit = _visit_to_act_on(request, pk)
    _tap(
        request,
        lambda: services.visit_check_out(visit=visit, by=request.user, ip=client_ip(request)),
        _("チェックアウトしました。訪問の結果を記録してください。"),
    )
    if request.POST.get("back") == "safety" and access.can(request.user, "visit.safety"):
        return redirect("outreach:visit_safety")
    return _back(visit, "outcome")


@require_POST
def visit_outcome(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    visit = _visit_to_act_on(request, pk)
    return _form_post(
        request,
        visit,
        key="outcome",
        form=OutcomeForm(request.POST),
        save=lambda data: services.visit_record_outcome(
            visit=visit,
            by=request.user,
            outcome=data["outcome"],
            report=data["report"],
            next_step=data["next_step"] if data["outcome"] == VisitOutcome.REFUSED else "",
            ip=client_ip(request),
        ),
        success=lambda _visit: _("訪問の結果を記録し、相談記録に追加しました。"),
    )


@require_POST
def visit_report(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    visit = _visit_to_act_on(request, pk)
    form = ReportForm(request.POST, instance=_copy(visit))
    status = 200
    if form.is_valid():
        outcome = try_save(
            form,
            lambda: services.visit_report_write(
                visit=visit,
                by=request.user,
                report=form.cleaned_data["report"],
                expected_version=form.cleaned_data["version"],
                ip=client_ip(request),
            ),
        )
        if outcome.saved:
            messages.success(request, _("訪問記録を保存しました。"))
            return _back(visit)
        status = outcome.status
    return _detail_page(request, visit, bound={"report": form}, status=status)


# --- the briefing -----------------------------------------------------------------------------


def visit_briefing(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Compiled from the case for the visiting staff (and casework roles); reading it is
    recorded on the case's audit trail."""
    visit = _visit_to_act_on(request, pk)
    case_viewed(request, visit.case, obj=visit)
    checklist = visit_checklist(visit)
    acknowledgements = selectors.acknowledgements(visit, checklist)
    mine = next((a for a in acknowledgements if a.assignment.user_id == request.user.pk), None)
    context = {
        "visit": visit,
        "case": visit.case,
        "briefing": selectors.briefing(visit),
        "checklist": checklist,
        "acknowledgements": acknowledgements,
        "mine": mine,
    }
    return render(request, "outreach/visits/briefing.html", context)


@require_POST
def visit_acknowledge(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    visit = _visit_to_act_on(request, pk)
    _tap(
        request,
        lambda: services.briefing_acknowledge(
            visit=visit, by=request.user, key=request.POST.get("key", ""), ip=client_ip(request)
        ),
        _("ブリーフィングを確認しました。"),
    )
    return redirect("outreach:visit_briefing", pk=visit.pk)


# --- safety -----------------------------------------------------------------------------------


@permission_required("visit.safety")
def visit_safety(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Every visit under way in the user's centres, those whose check-out is overdue (the
    watch has alerted) first: a manager confirms the staff are safe and checks out for
    them."""
    visits = selectors.visits_under_way(request.user)
    context = {
        "alerted": [v for v in visits if v.checkout_alerted_at is not None],
        "under_way": [v for v in visits if v.checkout_alerted_at is None],
    }
    return render(request, "outreach/visits/safety.html", context)
