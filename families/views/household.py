"""The household of a case: the panel on the case page (added and edited inline with htmx, or as
plain pages without JavaScript), a member's page, contacts with a member, linking a member of
another case of the centre, the contingency plan, and the managers' list of 80/50 cases.

Every view fetches the case through `cases.views.helpers.case_for` (the access helper: another
centre's case is a 404) and the member through the case's household, so a member is reached
only through a case the user may see."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import access
from accounts.access import AuthenticatedHttpRequest, permission_required
from accounts.services import client_ip
from cases import access as case_access
from cases.models import Case
from cases.views.helpers import apply_errors, case_for, form_page, try_save
from families import risk_8050, selectors, services
from families.forms.household import (
    ContingencyPlanForm,
    LinkExistingForm,
    MemberContactForm,
    MemberEditForm,
    MemberForm,
    MemberSearchForm,
)
from families.models import FamilyMember, HouseholdLink
from families.panels import household_panel_context


def _link(case: Case, member_id: int) -> HouseholdLink:
    """The member as part of this case's household, or 404."""
    link = (
        HouseholdLink.objects.filter(case=case, member_id=member_id)
        .select_related("member")
        .first()
    )
    if link is None:
        raise Http404
    return link


def _panel(
    request: AuthenticatedHttpRequest, case: Case, *, status: int = 200, **extra: Any
) -> HttpResponse:
    """The household panel again (after an htmx add or edit), with any open form in it."""
    case.refresh_from_db(fields=["risk_8050"])  # the service may have recomputed it
    context = {"case": case, **(household_panel_context(request, case) or {}), **extra}
    return render(request, "families/_household_panel.html", context, status=status)


def _done(request: AuthenticatedHttpRequest, case: Case, message: str) -> HttpResponse:
    if request.htmx:  # type: ignore[attr-defined]
        return _panel(request, case, saved=message)
    messages.success(request, message)
    return redirect("cases:detail", pk=case.pk)


def _form_again(
    request: AuthenticatedHttpRequest, case: Case, template: str, status: int = 200, **context: Any
) -> HttpResponse:
    if request.htmx:  # type: ignore[attr-defined]
        return _panel(request, case, status=status, **context)
    return render(request, template, {"case": case, **context}, status=status)


def member_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    case = case_for(request, pk, "family.edit")
    sensitive = case_access.can_see_sensitive(
        request.user, case, permission="family.view_sensitive"
    )
    form = MemberForm(request.POST or None, prefix="member", with_health_notes=sensitive)
    if request.method == "POST" and form.is_valid():
        try:
            member = services.member_add(
                case=case,
                by=request.user,
                fields=form.member_fields(),
                link_fields=form.link_fields(),
                ip=client_ip(request),
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            return _done(request, case, _("%(name)s を世帯に追加しました。") % {"name": member})
    return _form_again(request, case, "families/member_form.html", add_form=form)


def member_edit(request: AuthenticatedHttpRequest, pk: int, member_id: int) -> HttpResponse:
    case = case_for(request, pk, "family.edit")
    link = _link(case, member_id)
    sensitive = case_access.can_see_sensitive(
        request.user, case, permission="family.view_sensitive"
    )
    form = MemberEditForm(
        request.POST or None,
        instance=link.member,
        link=link,
        prefix=f"edit-{member_id}",
        with_health_notes=sensitive,
    )
    status = 200
    if request.method == "GET" and sensitive and link.member.health_notes:
        # The form shows the health and care notes: seeing them is on the audit trail.
        services.member_sensitive_view_record(
            member=link.member, case=case, by=request.user, ip=client_ip(request)
        )
    if request.method == "POST" and form.is_valid():
        outcome = try_save(
            form,
            lambda: services.household_member_update(
                link=link,
                by=request.user,
                member_changes=form.member_changes(),
                link_changes=form.link_changes(),
                expected_version=form.cleaned_data["version"],
                ip=client_ip(request),
            ),
        )
        if outcome.saved:
            return _done(request, case, _("家族の情報を更新しました。"))
        status = outcome.status
    context = {"edit_form": form, "editing": member_id, "link": link}
    return _form_again(request, case, "families/member_form.html", status=status, **context)


@require_POST
def member_unlink(request: AuthenticatedHttpRequest, pk: int, member_id: int) -> HttpResponse:
    case = case_for(request, pk, "family.edit")
    link = _link(case, member_id)
    try:
        services.member_unlink(link=link, by=request.user, ip=client_ip(request))
    except ValidationError as error:
        return _form_again(
            request, case, "families/member_form.html", link_error=" ".join(error.messages)
        )
    return _done(request, case, _("%(name)s を世帯から外しました。") % {"name": link.member})


def member_detail(request: AuthenticatedHttpRequest, pk: int, member_id: int) -> HttpResponse:
    """A member's page: their details, every case of the centre they belong to, their contacts
    about this case; the health and care notes only for roles that may see them (a view of
    them is on the case's audit trail)."""
    case = case_for(request, pk, "family.view")  # the member's consultations: a VIEW
    link = _link(case, member_id)
    member = link.member
    sensitive = case_access.can_see_sensitive(
        request.user, case, permission="family.view_sensitive"
    )
    if sensitive and member.health_notes:
        services.member_sensitive_view_record(
            member=member, case=case, by=request.user, ip=client_ip(request)
        )
    page = Paginator(selectors.member_contacts(case, member), 50).get_page(request.GET.get("page"))
    context = {
        "case": case,
        "link": link,
        "member": member,
        "other_links": selectors.member_links(member),
        "show_health_notes": sensitive,
        "page": page,
    }
    return render(request, "families/member_detail.html", context)


def member_contact_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """A consultation with one member of the household (e.g. the mother's weekly call)."""
    case = case_for(request, pk, "contact.add")
    form = MemberContactForm(
        request.POST or None,
        household=selectors.household_members(case),
        initial={"member": request.GET.get("member")},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.member_contact_record(
                case=case,
                member=form.cleaned_data["member"],
                by=request.user,
                fields=form.contact_fields(),
                outbound=form.cleaned_data["outbound"],
                ip=client_ip(request),
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("家族との相談を記録しました。"))
            return redirect("cases:detail", pk=case.pk)
    context = {"case": case, "form": form, "title": _("家族との相談を記録")}
    return render(request, "families/member_contact_form.html", context)


@require_POST
def member_search(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Members of the centre to link to this household, by name or furigana. POSTed: a name
    never travels in a URL."""
    case = case_for(request, pk, "family.edit")
    form = MemberSearchForm(request.POST)
    found = selectors.linkable_members(case, form.data.get("q", "")) if form.is_valid() else []
    context = {"case": case, "found": found, "link_form": LinkExistingForm()}
    return render(request, "families/_member_search_results.html", context)


@require_POST
def member_link(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    case = case_for(request, pk, "family.edit")
    form = LinkExistingForm(request.POST)
    member_id = form.data.get("member")
    # Another centre's member is a 404 here, before the service would refuse it.
    member = access.get_for_user(FamilyMember.objects.all(), request.user, member_id)
    if form.is_valid():
        fields = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            services.member_link(
                member=member, case=case, by=request.user, fields=fields, ip=client_ip(request)
            )
        except ValidationError as error:
            return _form_again(
                request, case, "families/member_form.html", link_error=" ".join(error.messages)
            )
        return _done(request, case, _("%(name)s を世帯に追加しました。") % {"name": member})
    # The search result again, with the choices made and what is missing.
    template = "families/member_form.html"
    return _form_again(request, case, template, found=[member], link_form=form)


def contingency_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    case = case_for(request, pk, "family.contingency_edit")
    plan = selectors.contingency_plan(case)
    form = ContingencyPlanForm(request.POST or None, instance=plan)
    return form_page(
        request,
        case=case,
        form=form,
        save=lambda: services.contingency_plan_save(
            case=case,
            by=request.user,
            fields={k: v for k, v in form.cleaned_data.items() if k != "version"},
            expected_version=form.cleaned_data.get("version"),
            ip=client_ip(request),
        ),
        title=_("緊急時の備え（8050）"),
        success=_("緊急時の備えを保存しました。"),
        template="families/contingency_form.html",
    )


@permission_required("risk8050.view")
def cases_8050(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The managers' list: every open 80/50 household, those without a contingency plan
    first."""
    page = Paginator(selectors.cases_8050(request.user), 50).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "rows": [(case, risk_8050.reasons(case, case.household_links.all())) for case in page],
        "missing": selectors.missing_contingency_count(request.user),
        "several_centres": len(access.centre_ids(request.user)) > 1,
    }
    return render(request, "families/cases_8050.html", context)
