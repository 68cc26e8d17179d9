"""Walk-ins (visitors known by a nickname) and linking one to the person's case.

The link flow, for casework roles: search the centre's cases (POSTed, with htmx: a name never
travels in a URL), choose the case, choose one of its active consents of scope "居場所の利用を
ケース記録に残す" or record one on the spot, confirm. The walk-in's earlier visits then become
contacts of the case, dated when they happened; the link can be undone.

Every view fetches the walk-in through the access helper first (another centre's walk-in is a
404, before any 403), and a case or consent id posted with it must belong to the walk-in's
centre (else 404: nothing is changed and nothing is revealed)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import access
from accounts.access import AuthenticatedHttpRequest, permission_required
from accounts.services import client_ip
from cases import selectors as case_selectors
from cases import services as case_services
from cases.choices import ConsentScope
from cases.models import Case, Consent
from cases.views.helpers import apply_errors
from outreach import services
from outreach.forms.walk_ins import NEW_CONSENT, CaseSearchForm, LinkForm
from outreach.models import WalkIn
from outreach.selectors import walk_ins as selectors

PAGE_SIZE = 25
VISITS_PAGE_SIZE = 50


def _walk_in(request: AuthenticatedHttpRequest, pk: int, action: str) -> WalkIn:
    walk_in = selectors.get_walk_in_for_user(request.user, pk)  # 404 first
    access.require(request.user, action)  # then 403
    return walk_in


def _case(request: AuthenticatedHttpRequest, walk_in: WalkIn) -> Case:
    """The posted case, if it is one the walk-in may be linked to (its centre's), else 404."""
    queryset = selectors.linkable_cases_queryset(walk_in)
    return case_selectors.get_case_for_user(request.user, request.POST.get("case"), queryset)


def _require_own_consent(request: AuthenticatedHttpRequest, walk_in: WalkIn) -> None:
    """A consent id of another centre is a 404; one of another case of the centre is merely
    not among the choices (the form says so)."""
    posted = request.POST.get("consent")
    if posted and posted != NEW_CONSENT:
        consents = Consent.objects.filter(case__centre_id=walk_in.centre_id)
        access.get_for_user(consents, request.user, posted, centre_field="case__centre")


def _page(
    request: AuthenticatedHttpRequest, walk_in: WalkIn, extra: dict[str, Any] | None = None
) -> HttpResponse:
    """The walk-in's page; `extra` opens a step of the link flow on it (without htmx)."""
    visits = Paginator(selectors.walk_in_visits(walk_in), VISITS_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "walk_in": walk_in,
        "visits": visits,
        "search_form": CaseSearchForm(),
        **(extra or {}),
    }
    return render(request, "outreach/walk_in_detail.html", context)


def _confirm(
    request: AuthenticatedHttpRequest, walk_in: WalkIn, case: Case, form: LinkForm
) -> HttpResponse:
    """The confirm step: the chosen case, the consent to choose or record, the button."""
    context = {
        "walk_in": walk_in,
        "case": case,
        "form": form,
        "scope_label": ConsentScope.IBASHO_RECORD.label,
    }
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "outreach/walk_in_link_confirm.html", context)
    return _page(request, walk_in, context)


@permission_required("ibasho.view")
def walk_in_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Walk-ins not yet linked to a case (or, with ?linked=1, those linked)."""
    linked = request.GET.get("linked") == "1"
    queryset = (selectors.linked_walk_ins if linked else selectors.unlinked_walk_ins)(request.user)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "linked": linked,
        "query": "linked=1" if linked else "",  # kept by the pagination links
        "many_centres": len(access.centre_ids(request.user)) > 1,
    }
    return render(request, "outreach/walk_in_list.html", context)


def walk_in_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _page(request, _walk_in(request, pk, "ibasho.view"))


@require_POST
def walk_in_case_search(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    walk_in = _walk_in(request, pk, "ibasho.link_walk_in")
    form = CaseSearchForm(request.POST)
    found = (
        selectors.linkable_cases(walk_in, form.cleaned_data["q"])
        if form.is_valid() and walk_in.case_id is None
        else []
    )
    context = {"walk_in": walk_in, "found": found, "searched": True, "search_form": form}
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "outreach/walk_in_search_results.html", context)
    return _page(request, walk_in, context)


@require_POST
def walk_in_choose_case(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    walk_in = _walk_in(request, pk, "ibasho.link_walk_in")
    case = _case(request, walk_in)
    return _confirm(request, walk_in, case, LinkForm(consents=services.ibasho_consents(case)))


@require_POST
def walk_in_link(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    walk_in = _walk_in(request, pk, "ibasho.link_walk_in")
    case = _case(request, walk_in)
    _require_own_consent(request, walk_in)
    form = LinkForm(request.POST, consents=services.ibasho_consents(case))
    if form.is_valid():
        try:
            _link(request, walk_in, case, form)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(
                request,
                _("「%(nickname)s」さんの来所を %(number)s の記録に結びつけました。")
                % {"nickname": walk_in.nickname, "number": case.case_number},
            )
            return redirect("outreach:walk_in_detail", pk=walk_in.pk)
    return _confirm(request, walk_in, case, form)


@transaction.atomic
def _link(request: AuthenticatedHttpRequest, walk_in: WalkIn, case: Case, form: LinkForm) -> None:
    """A consent recorded on the spot and the link: both, or neither."""
    consent = form.chosen_consent()
    if form.records_new_consent:
        access.require(request.user, "consent.edit")
        consent = case_services.consent_record(
            case=case, by=request.user, fields=form.new_consent_fields(), ip=client_ip(request)
        )
    assert consent is not None
    services.walk_in_link(
        walk_in=walk_in, case=case, consent=consent, by=request.user, ip=client_ip(request)
    )


@require_POST
def walk_in_unlink(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    walk_in = _walk_in(request, pk, "ibasho.link_walk_in")
    try:
        services.walk_in_unlink(walk_in=walk_in, by=request.user, ip=client_ip(request))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("結びつけを取り消しました。「%(nickname)s」さんの来所は来所者の記録に戻りました。")
            % {"nickname": walk_in.nickname},
        )
    return redirect("outreach:walk_in_detail", pk=walk_in.pk)
