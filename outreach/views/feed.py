"""Each user's private iCalendar feed of their home visits, and the page that gives its
address and replaces it.

A calendar app can't sign in, so the address itself is the secret. The feed carries only
"訪問 K-0123", the time, the status and a link to the visit page (ids only): never a name,
furigana, an address, a purpose or a note, since a phone's calendar is read over a shoulder
and synchronised to other companies' servers. Visits called off (cancelled, postponed,
missed) are left out, so they leave the subscribed calendar at its next refresh."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe
from icalendar import Calendar, Event

from accounts.access import AuthenticatedHttpRequest, permission_required
from accounts.services import client_ip
from outreach import services
from outreach.models import HomeVisit, VisitStatus
from outreach.selectors import calendar as selectors

# The person has agreed (or the visit is under way or done); anything earlier may move.
_CONFIRMED = (VisitStatus.CONFIRMED, VisitStatus.IN_PROGRESS, VisitStatus.DONE)


def _feed_url(token: str) -> str:
    return settings.SITE_URL + reverse("outreach:calendar_feed_ics", kwargs={"token": token})


@permission_required("visit.view")
@never_cache
def calendar_feed(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The user's secret address (made the first time), how to subscribe, and a button to
    replace it."""
    feed = services.calendar_feed_get_or_create(user=request.user, ip=client_ip(request))
    url = _feed_url(feed.token)
    context = {
        "feed": feed,
        "feed_url": url,
        "webcal_url": "webcal://" + url.split("://", 1)[-1],
        "past_days": selectors.FEED_PAST.days,
        "ahead_days": selectors.FEED_AHEAD.days,
    }
    return render(request, "outreach/visit_calendar/feed.html", context)


@require_POST
@permission_required("visit.view")
def calendar_feed_rotate(request: AuthenticatedHttpRequest) -> HttpResponse:
    services.calendar_feed_rotate(user=request.user, ip=client_ip(request))
    messages.success(
        request,
        _(
            "新しいURLを発行しました。以前のURLはもう使えません。"
            "カレンダーアプリには新しいURLを登録し直してください。"
        ),
    )
    return redirect("outreach:calendar_feed")


def _not_found() -> HttpResponse:
    response = HttpResponseNotFound(b"", content_type="text/plain")
    # Django's request log writes the path of every 404, and this path holds a token (an old
    # one, or a guess): the response is marked as logged already, so it never is.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


@login_not_required
@require_safe
@never_cache
def calendar_feed_ics(request: HttpRequest, token: str) -> HttpResponse:
    """No sign-in (calendar apps can't): a wrong or replaced token, or a user who left, is a
    404 like any page that does not exist."""
    feed = selectors.feed_for_token(token)
    if feed is None:
        return _not_found()
    with translation.override(feed.user.language):
        body = _ics(selectors.feed_visits(feed.user))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="tsunagu-visits.ics"'
    response["X-Robots-Tag"] = "noindex"
    return response


def _ics(visits: Iterable[HomeVisit]) -> bytes:
    """Only the case number, the time (UTC), the status and the visit page's address."""
    calendar = Calendar()
    calendar.add("prodid", "-//Tsunagu//Home visits//JA")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", _("訪問予定（つなぐ）"))
    # How often calendar apps should read it again (RFC 7986, and Outlook's older name).
    calendar.add("refresh-interval", dt.timedelta(hours=1), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    now = timezone.now().astimezone(dt.UTC)
    label = _("訪問")
    for visit in visits:
        event = Event()
        event.add("uid", f"visit-{visit.pk}@tsunagu")
        event.add("dtstamp", now)
        event.add("dtstart", visit.starts_at.astimezone(dt.UTC))
        event.add("dtend", visit.ends_at.astimezone(dt.UTC))
        event.add("summary", f"{label} {visit.case.case_number}")
        event.add("status", "CONFIRMED" if visit.status in _CONFIRMED else "TENTATIVE")
        # A moved visit keeps its UID; the sequence tells the calendar app it changed.
        event.add("sequence", visit.version - 1)
        event.add("url", settings.SITE_URL + reverse("outreach:visit_detail", args=[visit.pk]))
        calendar.add_component(event)
    return calendar.to_ical()
