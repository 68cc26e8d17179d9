"""Ibasho sessions: the list and the month calendar, creating a one-off session or a whole
series, a session's page with who came (and correcting an attendance), editing one occurrence
or this and all later ones, and cancelling."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Mapping

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import access
from accounts.access import AuthenticatedHttpRequest, permission_required
from accounts.services import client_ip
from cases.views.helpers import apply_errors, try_save
from outreach import services
from outreach.forms.sessions import (
    AttendanceForm,
    SeriesForm,
    SessionCancelForm,
    SessionEditForm,
    SessionForm,
)
from outreach.models import IbashoAttendance, IbashoSession, Weekday
from outreach.selectors import sessions as selectors

PAGE_SIZE = 25

# --- fetching through the access helper ------------------------------------------------------


def _session_for(request: AuthenticatedHttpRequest, pk: int, action: str) -> IbashoSession:
    """Another centre's session is a 404 (it does not exist for the user), then the role."""
    queryset = IbashoSession.objects.select_related("centre", "series")
    session = access.get_for_user(queryset, request.user, pk)
    access.require(request.user, action)
    return session


def _attendance_for(request: AuthenticatedHttpRequest, pk: int) -> IbashoAttendance:
    queryset = IbashoAttendance.objects.select_related("session__centre", "session__series")
    attendance = access.get_for_user(queryset, request.user, pk, centre_field="session__centre")
    access.require(request.user, "ibasho.manage")
    return attendance


# --- the list and the calendar ---------------------------------------------------------------


@permission_required("ibasho.view")
def session_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    past = request.GET.get("when") == "past"
    page = Paginator(selectors.session_list(request.user, past=past), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "page": page,
        "past": past,
        "query": "when=past" if past else "",
        "today": timezone.localdate(),
        "several_centres": len(access.centre_ids(request.user)) > 1,
    }
    return render(request, "outreach/session_list.html", context)


@permission_required("ibasho.view")
def calendar_this_month(request: AuthenticatedHttpRequest) -> HttpResponse:
    today = timezone.localdate()  # Asia/Tokyo
    return redirect("outreach:calendar", year=today.year, month=today.month)


@permission_required("ibasho.view")
def calendar(request: AuthenticatedHttpRequest, year: int, month: int) -> HttpResponse:
    if not (1 <= month <= 12 and dt.MINYEAR < year < dt.MAXYEAR):
        raise Http404
    context = {
        "month": selectors.month_calendar(request.user, year, month),
        "weekday_names": [Weekday(day).label for day in (7, 1, 2, 3, 4, 5, 6)],  # Sunday first
        "several_centres": len(access.centre_ids(request.user)) > 1,
    }
    return render(request, "outreach/calendar.html", context)


# --- creating ---------------------------------------------------------------------------------


@permission_required("ibasho.manage")
def session_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    centres = access.user_centres_or_404(request.user)
    form = SessionForm(request.POST or None, centres=centres, initial={"staff": [request.user.pk]})
    if request.method == "POST" and form.is_valid():
        try:
            session = services.session_create(
                centre=form.chosen_centre(centres),
                by=request.user,
                fields=form.session_fields(),
                staff=form.cleaned_data["staff"],
                ip=client_ip(request),
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("居場所の回を作成しました。"))
            return redirect("outreach:session_detail", pk=session.pk)
    return render(request, "outreach/session_form.html", {"form": form})


@permission_required("ibasho.manage")
def series_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    centres = access.user_centres_or_404(request.user)
    form = SeriesForm(request.POST or None, centres=centres, initial={"staff": [request.user.pk]})
    if request.method == "POST" and form.is_valid():
        try:
            series = services.series_create(
                centre=form.chosen_centre(centres),
                by=request.user,
                fields=form.series_fields(),
                staff=form.cleaned_data["staff"],
                ip=client_ip(request),
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            created = series.sessions.count()
            messages.success(
                request, _("定期開催を作成しました（%(count)s回）。") % {"count": created}
            )
            return redirect(_month_of(series.starts_on))
    return render(request, "outreach/series_form.html", {"form": form})


def _month_of(day: dt.date) -> str:
    return reverse("outreach:calendar", kwargs={"year": day.year, "month": day.month})


# --- a session's page and its attendance ------------------------------------------------------


def _detail_page(
    request: AuthenticatedHttpRequest,
    session: IbashoSession,
    *,
    bound: Mapping[int, AttendanceForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The page, with one attendance's form as the user posted it when it was refused."""
    staff, attendances = selectors.session_detail(session)
    bound = bound or {}
    rows = [(a, bound.get(a.pk) or AttendanceForm(instance=a)) for a in attendances]
    context = {
        "session": session,
        "staff": staff,
        "rows": rows,
        "numbers": selectors.attendance_numbers(attendances),
        "today": timezone.localdate(),
    }
    return render(request, "outreach/session_detail.html", context, status=status)


def session_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _detail_page(request, _session_for(request, pk, "ibasho.view"))


def attendance_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    attendance = _attendance_for(request, pk)
    session = attendance.session
    if request.method != "POST":
        return redirect(_at_row(attendance))
    form = AttendanceForm(request.POST, instance=attendance)
    status = 400
    if form.is_valid():
        outcome = try_save(
            form,
            lambda: services.attendance_correct(
                attendance=attendance,
                by=request.user,
                changes=form.changes(),
                expected_version=form.cleaned_data["version"],
                ip=client_ip(request),
            ),
        )
        if outcome.saved:
            messages.success(request, _("来所の記録を更新しました。"))
            return redirect(_at_row(attendance))
        status = outcome.status
    return _detail_page(request, session, bound={attendance.pk: form}, status=status)


def _at_row(attendance: IbashoAttendance) -> str:
    url = reverse("outreach:session_detail", args=[attendance.session_id])
    return f"{url}#attendance-{attendance.pk}"


@require_POST
def attendance_delete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    attendance = _attendance_for(request, pk)
    services.attendance_delete(attendance=attendance, by=request.user, ip=client_ip(request))
    messages.success(request, _("来所の記録を削除しました。"))
    return redirect("outreach:session_detail", pk=attendance.session_id)


# --- editing and cancelling -----------------------------------------------------------------


def session_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    session = _session_for(request, pk, "ibasho.manage")
    if session.is_cancelled:
        messages.error(request, _("中止になった回は変更できません。"))
        return redirect("outreach:session_detail", pk=session.pk)
    staff = [booking.user for booking in session.bookings.select_related("user")]
    # A copy for the form: validating writes the new values onto its instance, and the
    # services must find "this and later" from the session as it is saved.
    form = SessionEditForm(request.POST or None, instance=copy.copy(session), staff=staff)
    status = 200
    if request.method == "POST" and form.is_valid():
        outcome = try_save(form, lambda: _save_edit(request, session, form))
        if outcome.saved and outcome.result is None:
            messages.success(request, _("居場所の回を更新しました。"))
            return redirect("outreach:session_detail", pk=session.pk)
        if outcome.saved:
            return _change_done(request, session, outcome.result, cancelled=False)
        status = outcome.status
    context = {"session": session, "form": form}
    return render(request, "outreach/session_edit.html", context, status=status)


def _save_edit(
    request: AuthenticatedHttpRequest, session: IbashoSession, form: SessionEditForm
) -> services.SeriesChange | None:
    version = form.cleaned_data["version"]
    if form.whole_rest:
        return services.series_update_from(
            session=session,
            by=request.user,
            expected_version=version,
            ip=client_ip(request),
            **form.series_change(),
        )
    if form.changes() or form.staff_changed:  # nothing changed overwrites nothing
        services.session_update(
            session=session,
            by=request.user,
            changes=form.changes(),
            staff=form.cleaned_data["staff"] if form.staff_changed else None,
            expected_version=version,
            ip=client_ip(request),
        )
    return None


def _change_done(
    request: AuthenticatedHttpRequest,
    session: IbashoSession,
    change: services.SeriesChange,
    *,
    cancelled: bool,
) -> HttpResponse:
    """What a change of "this and later" did, with the occurrences it left as they were."""
    session.refresh_from_db()  # this occurrence as it is now (moved, or cancelled)
    context = {"session": session, "change": change, "cancelled": cancelled}
    return render(request, "outreach/series_change_done.html", context)


def session_cancel(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    session = _session_for(request, pk, "ibasho.manage")
    form = SessionCancelForm(request.POST or None, session=session)
    if request.method == "POST" and not session.is_cancelled and form.is_valid():
        reason, ip = form.cleaned_data["cancel_reason"], client_ip(request)
        try:
            if form.whole_rest:
                change = services.series_cancel_from(
                    session=session, by=request.user, reason=reason, ip=ip
                )
                return _change_done(request, session, change, cancelled=True)
            services.session_cancel(session=session, by=request.user, reason=reason, ip=ip)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("この回を中止にしました。"))
            return redirect("outreach:session_detail", pk=session.pk)
    return render(request, "outreach/session_cancel.html", {"session": session, "form": form})
