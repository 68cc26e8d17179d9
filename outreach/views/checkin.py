"""The tablet at the ibasho's door: today's session opens by itself; staff find a registered
person by a few characters of their name, furigana or case number, check in a walk-in by
nickname, and check people out, each in one tap. Every action is an htmx POST answered with
the refreshed room (the search cleared), and a double tap is harmless: the services are
idempotent (per session and case, per one-time form key, per attendance). Without
JavaScript the same forms post and redirect back.

Names are shown (staff need them) but never reach a URL: the search is POSTed, and the
messages kept across a redirect (in a cookie) carry no name."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from accounts import access
from accounts.access import AuthenticatedHttpRequest, permission_required
from accounts.services import client_ip
from cases.models import Case
from cases.views.helpers import apply_errors
from outreach import services
from outreach.forms.checkin import CheckinSearchForm, EarlierWalkInForm, WalkInCheckinForm
from outreach.models import IbashoAttendance, IbashoSession, WalkIn
from outreach.selectors import checkin as selectors

ACTION = "ibasho.checkin"

# --- fetching through the access helper ------------------------------------------------------


def _session_for(request: AuthenticatedHttpRequest, pk: int) -> IbashoSession:
    """Another centre's session is a 404 (it does not exist for the user), then the role."""
    queryset = IbashoSession.objects.select_related("centre")
    session = access.get_for_user(queryset, request.user, pk)
    access.require(request.user, ACTION)
    return session


def _attendance_in(session: IbashoSession, pk: int) -> IbashoAttendance | None:
    """One of the session's attendances; None once it is gone (undone by a first tap)."""
    queryset = session.attendances.select_related("case__centre", "walk_in")
    return queryset.filter(pk=pk).first()


def _refusal(session: IbashoSession) -> str:
    """Why nothing can be recorded at the door for this session, or ""."""
    if session.is_cancelled:
        return _("この回は中止になっています。受付はできません。")
    if not selectors.is_on_today(session):
        return _("この回は今日の回ではないため、受付と退出はできません。")
    return ""


# --- rendering -------------------------------------------------------------------------------


def _with_keys(found: selectors.Found) -> list[tuple[selectors.Candidate, uuid.UUID | None]]:
    """Each earlier walk-in's button gets a one-time key of its own."""
    return [(c, uuid.uuid4() if c.walk_in is not None else None) for c in found.candidates]


def _work(
    session: IbashoSession,
    *,
    search_form: CheckinSearchForm | None = None,
    found: selectors.Found | None = None,
    walk_in_form: WalkInCheckinForm | None = None,
    notice: str = "",
    failed: bool = False,
) -> dict[str, Any]:
    found = found or selectors.Found(candidates=[], searched=False, more=False)
    return {
        "session": session,
        "door_open": not _refusal(session),
        "room": selectors.room(session),
        "search_form": search_form or CheckinSearchForm(),
        "found": found,
        "results": _with_keys(found),
        "search_limit": selectors.SEARCH_LIMIT,
        "walk_in_form": walk_in_form or WalkInCheckinForm(),
        "notice": notice,
        "failed": failed,
    }


def _page(
    request: AuthenticatedHttpRequest,
    session: IbashoSession | None,
    *,
    today: list[IbashoSession] | None = None,
    **work: Any,
) -> HttpResponse:
    """The whole page; `today` (the switcher's sessions) when the caller has them already."""
    if today is None:
        today = selectors.todays_sessions(request.user)
    context: dict[str, Any] = {"session": session, "today": today}
    if session is not None:
        context.update(_work(session, **work))
    return render(request, "outreach/checkin.html", context)


def _done(
    request: AuthenticatedHttpRequest,
    session: IbashoSession,
    *,
    notice: str = "",
    flash: str = "",
    failed: bool = False,
) -> HttpResponse:
    """The refreshed room (and an empty search) for htmx; else back to the page. `notice` may
    name the person (it stays on the page); `flash` survives the redirect in a cookie, so it
    never does."""
    if request.htmx:  # type: ignore[attr-defined]
        context = _work(session, notice=notice, failed=failed)
        return render(request, "outreach/_checkin_work.html", context)
    if flash:
        (messages.error if failed else messages.success)(request, flash)
    return redirect("outreach:checkin_session", pk=session.pk)


def _refused(request: AuthenticatedHttpRequest, session: IbashoSession, why: str) -> HttpResponse:
    return _done(request, session, notice=why, flash=why, failed=True)


# --- views -----------------------------------------------------------------------------------


@require_safe
@permission_required(ACTION)
def checkin(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Today's session of the user's centre: the one running now, else the next one today."""
    today = selectors.todays_sessions(request.user)
    return _page(request, selectors.default_session(today), today=today)


@require_safe
def checkin_session(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _page(request, _session_for(request, pk))


@require_safe
def checkin_room(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Who is in the room and the counts, polled by the page: a second tablet at the door
    sees the first one's check-ins without anyone reloading."""
    session = _session_for(request, pk)
    context = {
        "session": session,
        "door_open": not _refusal(session),
        "room": selectors.room(session),
    }
    return render(request, "outreach/_checkin_live.html", context)


@require_POST
def checkin_search(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """POSTed, never a GET: the text is a name, and must not reach a URL, a log or history."""
    session = _session_for(request, pk)
    form = CheckinSearchForm(request.POST)
    text = form.cleaned_data["q"] if form.is_valid() and not _refusal(session) else ""
    found = selectors.checkin_candidates(session, text)
    if request.htmx:  # type: ignore[attr-defined]
        context = {"session": session, "found": found, "results": _with_keys(found)}
        context["search_limit"] = selectors.SEARCH_LIMIT
        return render(request, "outreach/_checkin_results.html", context)
    return _page(request, session, search_form=form, found=found)


@require_POST
def checkin_case(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    session = _session_for(request, pk)
    # Through the access helper, and only this session's centre: anything else is a 404.
    cases = Case.objects.filter(centre_id=session.centre_id).select_related("centre")
    case = access.get_for_user(cases, request.user, request.POST.get("case"))
    if why := _refusal(session):
        return _refused(request, session, why)
    if case.status not in selectors.CHECKIN_STATUSES:
        why = _("終結したケースは名前で受付できません。ニックネームで受付してください。")
        return _refused(request, session, why)
    try:
        services.check_in_case(session=session, case=case, by=request.user, ip=client_ip(request))
    except ValidationError as error:
        return _refused(request, session, " ".join(error.messages))
    notice = _("%(name)sさんを受付しました。") % {"name": case.display_name}
    return _done(request, session, notice=notice, flash=_("受付しました。"))


@require_POST
def checkin_walk_in(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """A new visitor by nickname, or (with `walk_in`) one who came before."""
    session = _session_for(request, pk)
    if "walk_in" in request.POST:
        return _earlier_walk_in(request, session)
    form = WalkInCheckinForm(request.POST)
    if why := _refusal(session):
        return _refused(request, session, why)
    if form.is_valid():
        try:
            attendance = services.check_in_walk_in(
                session=session,
                by=request.user,
                client_key=form.cleaned_data["client_key"],
                nickname=form.cleaned_data["nickname"],
                fields=form.walk_in_fields(),
                ip=client_ip(request),
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            notice = _("%(name)sさんを受付しました。") % {
                "name": selectors.visitor_name(attendance)
            }
            return _done(request, session, notice=notice, flash=_("受付しました。"))
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "outreach/_checkin_work.html", _work(session, walk_in_form=form))
    return _page(request, session, walk_in_form=form)


def _earlier_walk_in(request: AuthenticatedHttpRequest, session: IbashoSession) -> HttpResponse:
    form = EarlierWalkInForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest()
    walk_ins = WalkIn.objects.filter(centre_id=session.centre_id).select_related("case__centre")
    walk_in = access.get_for_user(walk_ins, request.user, form.cleaned_data["walk_in"])
    if why := _refusal(session):
        return _refused(request, session, why)
    try:
        attendance = services.check_in_walk_in(
            session=session,
            by=request.user,
            client_key=form.cleaned_data["client_key"],
            walk_in=walk_in,
            ip=client_ip(request),
        )
    except ValidationError as error:
        return _refused(request, session, " ".join(error.messages))
    notice = _("%(name)sさんを受付しました。") % {"name": selectors.visitor_name(attendance)}
    return _done(request, session, notice=notice, flash=_("受付しました。"))


@require_POST
def checkin_out(request: AuthenticatedHttpRequest, pk: int, attendance: int) -> HttpResponse:
    session = _session_for(request, pk)
    if why := _refusal(session):
        return _refused(request, session, why)
    found = _attendance_in(session, attendance)
    if found is None:  # undone meanwhile: nothing left to check out
        return _done(request, session)
    try:
        services.check_out(attendance=found, by=request.user, ip=client_ip(request))
    except IbashoAttendance.DoesNotExist:  # undone by another tablet at this very moment
        return _done(request, session)
    except ValidationError as error:
        return _refused(request, session, " ".join(error.messages))
    notice = _("%(name)sさんの退出を記録しました。") % {"name": selectors.visitor_name(found)}
    return _done(request, session, notice=notice, flash=_("退出を記録しました。"))


@require_POST
def checkin_undo(request: AuthenticatedHttpRequest, pk: int, attendance: int) -> HttpResponse:
    """A mistaken check-in: the attendance goes, and the contact it wrote to the case."""
    session = _session_for(request, pk)
    if why := _refusal(session):
        return _refused(request, session, why)
    found = _attendance_in(session, attendance)
    if found is None:  # the second tap of a double tap
        return _done(request, session)
    try:
        services.attendance_delete(attendance=found, by=request.user, ip=client_ip(request))
    except IbashoAttendance.DoesNotExist:
        return _done(request, session)
    notice = _("%(name)sさんの受付を取り消しました。") % {"name": selectors.visitor_name(found)}
    return _done(request, session, notice=notice, flash=_("受付を取り消しました。"))
