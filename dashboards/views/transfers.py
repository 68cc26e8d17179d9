"""Handing cases over: one case (from its page), a leaving counsellor's whole caseload
(preview, then confirm), and a move to another centre. Managers only ("caseload.transfer");
a case or centre of another centre is a 404 before any 403."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts import access
from accounts.access import AuthenticatedHttpRequest
from accounts.models import Centre
from accounts.services import client_ip
from cases import services as case_services
from cases.views.helpers import case_for, form_page, try_save
from dashboards import services
from dashboards.forms.transfers import CaseloadTransferForm, MoveForm, ReassignForm
from dashboards.selectors import transfers as selectors


def _centre(centres: list[Centre], pk: object) -> Centre:
    """The chosen one of the user's centres (another centre's id is a 404), or their first."""
    for centre in centres:
        if not pk or str(centre.pk) == str(pk):
            return centre
    raise Http404


def caseload_transfer(request: AuthenticatedHttpRequest) -> HttpResponse:
    """GET with the people chosen shows the preview; POST confirms exactly that preview
    (refused, with the new preview shown, if the caseload changed since)."""
    source = request.POST if request.method == "POST" else request.GET
    centres = list(access.user_centres(request.user).order_by("name", "id"))
    centre = _centre(centres, source.get("centre"))  # another centre's: 404 before the role
    access.require(request.user, "caseload.transfer")
    people = selectors.transfer_people(centre)
    form = CaseloadTransferForm(source if "from_user" in source else None, people=people)
    plan, status = None, 200
    if form.is_bound and form.is_valid():
        plan = case_services.caseload_transfer_plan(
            centre=centre,
            from_user=form.from_person,
            to_users=form.to_people,
            loads={user.pk: user.open_caseload for user in form.to_people},  # type: ignore[attr-defined]
        )
        if request.method == "POST":
            try:
                done = _confirm(request, form, plan)
            except ValidationError as error:  # a stale preview, or nothing left to hand over
                form.add_error(None, error)
                status = 409
            else:
                messages.success(request, _("%(n)s件のケースを引き継ぎました。") % {"n": done})
                return redirect(f"{reverse('dashboards:caseload_transfer')}?centre={centre.pk}")
    context = {
        "centre": centre,
        "centres": centres if len(centres) > 1 else [],
        "form": form,
        "plan": plan,
    }
    return render(request, "dashboards/transfer_caseload.html", context, status=status)


def _confirm(
    request: AuthenticatedHttpRequest,
    form: CaseloadTransferForm,
    plan: case_services.CaseloadTransferPlan,
) -> int:
    case_services.caseload_plan_check(plan, form.cleaned_data["fingerprint"])
    assignments = services.transfer_caseload(
        plan=plan, by=request.user, reason=form.cleaned_data["reason"], ip=client_ip(request)
    )
    return len(assignments)


def case_reassign(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    case = case_for(request, pk, "caseload.transfer")
    owners = selectors.owners_of(case.centre_id, besides=case.primary_counsellor_id)
    form = ReassignForm(request.POST or None, owners=owners)
    return form_page(
        request,
        case=case,
        form=form,
        title=_("担当者の変更"),
        success=_("担当者を変更しました。新しい担当者に通知しました。"),
        template="dashboards/transfer_reassign.html",
        save=lambda: services.transfer_case_reassign(
            case=case,
            to=form.to_person,
            by=request.user,
            reason=form.cleaned_data["reason"],
            ip=client_ip(request),
        ),
    )


def case_move(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Step one of a move: the other centres the user belongs to."""
    case = case_for(request, pk, "caseload.transfer")
    context = {"case": case, "centres": selectors.move_target_centres(request.user, case)}
    return render(request, "dashboards/transfer_move_choose.html", context)


def case_move_to(request: AuthenticatedHttpRequest, pk: int, centre_pk: int) -> HttpResponse:
    case = case_for(request, pk, "caseload.transfer")
    to_centre = access.get_for_user(
        Centre.objects.all(), request.user, centre_pk, centre_field="id"
    )
    form = MoveForm(request.POST or None, owners=selectors.owners_of(to_centre))
    status = 200
    if request.method == "POST" and form.is_valid():
        outcome = try_save(
            form,
            lambda: services.transfer_case_to_centre(
                case=case,
                to_centre=to_centre,
                by=request.user,
                reason=form.cleaned_data["reason"],
                counsellor=form.person,
                ip=client_ip(request),
            ),
        )
        if outcome.saved:
            messages.success(
                request,
                _("%(old)s を %(new)s として移管しました。")
                % {"old": case.case_number, "new": outcome.result.case_number},
            )
            return redirect("cases:detail", pk=outcome.result.pk)
        status = outcome.status
    context = {"case": case, "to_centre": to_centre, "form": form, "title": _("他センターへ移管")}
    return render(request, "dashboards/transfer_move.html", context, status=status)
