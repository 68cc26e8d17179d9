"""The visits calendar: home visits and ibasho duties by month and by week (Sunday first),
for a centre or one of its members, coloured by status, with what still needs doing before
a visit may go ahead marked (not announced, not briefed) and overdue check-outs in red."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from accounts.access import AuthenticatedHttpRequest, permission_required
from outreach.models import VisitStatus, Weekday
from outreach.selectors import calendar as selectors

# Sunday first, as Japanese calendars are laid out.
_WEEKDAYS = (7, 1, 2, 3, 4, 5, 6)


def _context(scope: selectors.Scope, period: selectors.Period, view: str) -> dict[str, Any]:
    query = urlencode(scope.query)
    today = timezone.localdate()
    if view == "week":
        week_of, month_of = period.first, period.first + dt.timedelta(days=3)
    else:
        in_month = (today.year, today.month) == (period.first.year, period.first.month)
        week_of, month_of = (today if in_month else period.first), period.first
    return {
        "scope": scope,
        "period": period,
        "view": view,
        "query": f"?{query}" if query else "",
        "today": today,
        "this_week": selectors.week_start(today),
        "week_of": week_of,  # where the month/week switch leads
        "month_of": month_of,
        "weekday_names": [Weekday(day).label for day in _WEEKDAYS],
        "statuses": VisitStatus.choices,
    }


@permission_required("visit.view")
def visit_calendar_this_month(request: AuthenticatedHttpRequest) -> HttpResponse:
    today = timezone.localdate()  # Asia/Tokyo
    query = urlencode({k: v for k, v in request.GET.items() if k in ("centre", "staff")})
    target = redirect("outreach:visit_calendar_month", year=today.year, month=today.month)
    if query:
        target["Location"] += f"?{query}"
    return target


@permission_required("visit.view")
def visit_calendar_month(request: AuthenticatedHttpRequest, year: int, month: int) -> HttpResponse:
    if not (1 <= month <= 12 and dt.MINYEAR < year < dt.MAXYEAR):
        raise Http404
    scope = selectors.calendar_scope(request.user, request.GET)
    period = selectors.month_calendar(scope, year, month)
    return render(request, "outreach/visit_calendar/month.html", _context(scope, period, "month"))


@permission_required("visit.view")
def visit_calendar_week(
    request: AuthenticatedHttpRequest, year: int, month: int, day: int
) -> HttpResponse:
    try:
        if not dt.MINYEAR < year < dt.MAXYEAR:
            raise ValueError(year)
        date = dt.date(year, month, day)
    except (ValueError, OverflowError) as exc:  # a day or month too big for a C int
        raise Http404 from exc
    scope = selectors.calendar_scope(request.user, request.GET)
    period = selectors.week_calendar(scope, date)
    return render(request, "outreach/visit_calendar/week.html", _context(scope, period, "week"))
