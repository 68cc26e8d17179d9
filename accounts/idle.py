"""The idle timeout of a session (a shared centre PC): how long, what is left, signing out.

At sign-in the session keeps the user's idle time (the strictest of their centres'), and the
time of the last request, rewritten at most once a minute (ACTIVITY_STEP) so that most
pages write no session. The session is refused once that time plus the step has passed."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.contrib.sessions.backends.base import SessionBase
from django.db.models import Min
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

from accounts.models import Centre, User

LAST_SEEN = "tsunagu_last_seen"
TIMEOUT = "tsunagu_idle_timeout"
ACTIVITY_STEP = 60  # seconds: how stale the noted activity may be
# The page's own questions about the session (accounts.views.session_status, ...).
SESSION_PATHS = "/accounts/session/"


def idle_timeout_seconds(user: User) -> int:
    """The strictest idle time of the user's centres (the default if they have none)."""
    minutes = Centre.objects.filter(members=user).aggregate(m=Min("idle_timeout_minutes"))["m"]
    return int(minutes or settings.IDLE_TIMEOUT_DEFAULT_MINUTES) * 60


def start(session: SessionBase, user: User) -> None:
    """At sign-in."""
    session[TIMEOUT] = idle_timeout_seconds(user)
    session[LAST_SEEN] = int(time.time())


def timeout_of(session: SessionBase) -> int:
    return int(session.get(TIMEOUT) or settings.IDLE_TIMEOUT_DEFAULT_MINUTES * 60)


def remaining_seconds(session: SessionBase) -> int:
    """Seconds until the session is refused (at most its idle time)."""
    last_seen = session.get(LAST_SEEN)
    if last_seen is None:  # signed in before the timeout existed: from now on
        return timeout_of(session)
    left = int(last_seen) + timeout_of(session) + ACTIVITY_STEP - int(time.time())
    return min(left, timeout_of(session))


def note_activity(session: SessionBase) -> None:
    now = int(time.time())
    last_seen = session.get(LAST_SEEN)
    if last_seen is None or now - int(last_seen) >= ACTIVITY_STEP:
        session[LAST_SEEN] = now


def sign_out(request: HttpRequest) -> HttpResponse:
    """Sign the idle session out (its data, the search text too, goes with it) and send the
    browser to the login page, which says why; an htmx request is sent there whole, and the
    page's own questions (accounts.views.session_status / session_keepalive) get an answer
    the script understands."""
    logout(request)
    messages.info(
        request, _("しばらく操作がなかったため、ログアウトしました。もう一度ログインしてください。")
    )
    if request.path.startswith(SESSION_PATHS):
        return JsonResponse({"remaining": 0})
    if request.headers.get("HX-Request") == "true":  # before django-htmx's middleware
        return HttpResponseClientRedirect(reverse(settings.LOGIN_URL))
    if request.path == reverse(settings.LOGIN_URL):
        return redirect(request.get_full_path())
    return redirect_to_login(
        request.get_full_path() if request.method == "GET" else reverse("home")
    )


def keep_alive(session: SessionBase, *, idle_seconds: int) -> None:
    """The page saw a key or a click `idle_seconds` ago: the idle time counts from then."""
    idle_seconds = max(0, min(idle_seconds, timeout_of(session)))
    session[LAST_SEEN] = int(time.time()) - idle_seconds


def page_settings(request: HttpRequest) -> dict[str, Any]:
    """What static/js/idle-timeout.js reads from the page's <body> data attributes."""
    if not settings.IDLE_TIMEOUT_ENFORCED or not request.user.is_authenticated:
        return {}
    return {"timeout": timeout_of(request.session), "warning": ACTIVITY_STEP}
