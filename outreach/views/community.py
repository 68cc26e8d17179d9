"""Community work: the list of a month or a fiscal year (by kind, with the totals the centre
reports), recording and editing an activity, its page, and adding or removing the cases a
meeting discussed by their case number.

Every view fetches the activity through the access helper first (another centre's activity
is a 404, before any 403). Which cases a meeting discussed is shown only to the roles that
may see it (`community.view_cases`); a case number of another centre is refused with a
message, never linked."""

from __future__ import annotations

import copy

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import access
from accounts.access import AuthenticatedHttpRequest, permission_required
from accounts.services import client_ip
from cases.models import Case
from cases.views.helpers import apply_errors, try_save
from outreach import services
from outreach.forms.community import ActivityForm, ActivityPeriodForm, CaseNumberForm
from outreach.models import CommunityActivity, DiscussedCase
from outreach.selectors import community as selectors

PAGE_SIZE = 25


def _activity(request: AuthenticatedHttpRequest, pk: int, action: str) -> CommunityActivity:
    activity = selectors.get_activity_for_user(request.user, pk)  # another centre's: 404
    access.require(request.user, action)  # then the role: 403
    return activity


# --- the list -----------------------------------------------------------------------------


@permission_required("community.view")
def activity_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = ActivityPeriodForm(request.GET.dict(), today=timezone.localdate())
    if not form.is_valid():
        return render(request, "outreach/community/list.html", {"form": form}, status=400)
    first_day, next_first_day = form.bounds()
    period = {"first_day": first_day, "next_first_day": next_first_day}
    activities = selectors.activity_list(request.user, kind=form.cleaned_data["kind"], **period)
    context = {
        "form": form,
        "page": Paginator(activities, PAGE_SIZE).get_page(request.GET.get("page")),
        "totals": selectors.activity_totals(request.user, **period),
        "period_label": form.label(),
        "query": urlencode(form.query()),
        "several_centres": len(access.centre_ids(request.user)) > 1,
    }
    return render(request, "outreach/community/list.html", context)


# --- recording and editing ------------------------------------------------------------------


@permission_required("community.manage")
def activity_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    centres = access.user_centres_or_404(request.user)
    initial = {"staff": [request.user.pk], "held_on": timezone.localdate()}
    form = ActivityForm(request.POST or None, centres=centres, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            activity = services.community_activity_create(
                centre=form.chosen_centre(centres),
                by=request.user,
                fields=form.fields_to_save(),
                staff=form.cleaned_data["staff"],
                ip=client_ip(request),
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("地域活動を記録しました。"))
            return redirect("outreach:community_detail", pk=activity.pk)
    return render(request, "outreach/community/form.html", {"form": form, "activity": None})


def activity_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    activity = _activity(request, pk, "community.manage")
    staff = selectors.activity_staff(activity)
    # A copy for the form: validating writes the typed values onto its instance.
    form = ActivityForm(request.POST or None, instance=copy.copy(activity), staff=staff)
    status = 200
    if request.method == "POST" and form.is_valid():
        outcome = try_save(
            form,
            lambda: services.community_activity_update(
                activity=activity,
                by=request.user,
                changes=form.fields_to_save(),
                staff=form.cleaned_data["staff"] if form.staff_changed() else None,
                expected_version=form.cleaned_data["version"],
                ip=client_ip(request),
            ),
        )
        if outcome.saved:
            messages.success(request, _("地域活動を更新しました。"))
            return redirect("outreach:community_detail", pk=activity.pk)
        status = outcome.status
    context = {"form": form, "activity": activity}
    return render(request, "outreach/community/form.html", context, status=status)


# --- an activity's page and the cases a meeting discussed -------------------------------------


def _detail_page(
    request: AuthenticatedHttpRequest,
    activity: CommunityActivity,
    *,
    case_form: CaseNumberForm | None = None,
    status: int = 200,
) -> HttpResponse:
    sees_cases = access.can(request.user, "community.view_cases")
    context = {
        "activity": activity,
        "staff": selectors.activity_staff(activity),
        "sees_cases": sees_cases,
        "discussions": selectors.discussed_cases(activity) if sees_cases else [],
        "discussed_count": None if sees_cases else selectors.discussed_count(activity),
        "case_form": case_form or CaseNumberForm(),
    }
    return render(request, "outreach/community/detail.html", context, status=status)


def activity_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _detail_page(request, _activity(request, pk, "community.view"))


def _case_by_number(
    request: AuthenticatedHttpRequest, activity: CommunityActivity, form: CaseNumberForm
) -> Case | None:
    """The case of the meeting's centre with the typed number, else None with the reason on
    the form. A number with another centre's prefix is refused as such: the meeting may
    discuss only its own centre's cases."""
    prefix, number = form.cleaned_data["case_number"]
    centre = activity.centre
    if prefix and prefix != centre.case_number_prefix.upper():
        form.add_error(
            "case_number",
            _(
                "ケース番号の頭文字（%(typed)s）が、この会議のセンターのもの（%(own)s）と違います。"
                "他のセンターのケースは結びつけられません。"
            )
            % {"typed": prefix, "own": centre.case_number_prefix},
        )
        return None
    case = selectors.case_of_centre(request.user, centre, number)
    if case is None:
        shown = Case(centre=centre, number=number).case_number
        form.add_error(
            "case_number",
            _("このセンターにはケース番号 %(number)s のケースがありません。") % {"number": shown},
        )
    return case


@require_POST
def case_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    activity = _activity(request, pk, "community.link_case")
    form = CaseNumberForm(request.POST)
    if form.is_valid() and (case := _case_by_number(request, activity, form)) is not None:
        try:
            services.community_case_link(
                activity=activity, case=case, by=request.user, ip=client_ip(request)
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(
                request,
                _("%(number)s を検討したケースに記録しました。") % {"number": case.case_number},
            )
            return redirect("outreach:community_detail", pk=activity.pk)
    return _detail_page(request, activity, case_form=form, status=400)


@require_POST
def case_remove(request: AuthenticatedHttpRequest, pk: int, case_pk: int) -> HttpResponse:
    activity = _activity(request, pk, "community.link_case")
    link = get_object_or_404(
        DiscussedCase.objects.select_related("case__centre"), activity=activity, case_id=case_pk
    )
    services.community_case_unlink(
        activity=activity, case=link.case, by=request.user, ip=client_ip(request)
    )
    messages.success(
        request,
        _("%(number)s を検討したケースから外しました。") % {"number": link.case.case_number},
    )
    return redirect("outreach:community_detail", pk=activity.pk)
