import logging
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_cache_control

logger = logging.getLogger(__name__)


class JapaneseFirstLocaleMiddleware:
    """Japanese unless the user picked another language with the switch (a cookie).

    Unlike Django's LocaleMiddleware this ignores the browser's Accept-Language: centre PCs
    are often set up in English, yet the UI must open in Japanese."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.available = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.available else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language  # type: ignore[attr-defined]
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


class TwoFactorRequiredMiddleware:
    """A user whose role needs a second factor (accounts.services.two_factor_required) who
    has signed in with a password only reaches the set-up or verify page (and a set-up
    link), signing out, the language switch, the idle script's questions about the session
    and static files, until a code from their authenticator is entered."""

    OPEN_PREFIXES = ("/accounts/two-factor/", "/accounts/session/", "/static/")
    OPEN_PATHS = frozenset({"/accounts/logout/", "/i18n/setlang/", "/healthz"})

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from accounts.services import two_factor_required

        user = request.user
        if (
            two_factor_required(user)  # type: ignore[arg-type]
            and not user.is_verified()  # type: ignore[union-attr]
            and request.path not in self.OPEN_PATHS
            and not request.path.startswith(self.OPEN_PREFIXES)
        ):
            next_page = urlencode({"next": request.get_full_path()})
            return redirect(f"{reverse('two_factor_verify')}?{next_page}")
        return self.get_response(request)


class NoStoreWhenSignedInMiddleware:
    """A shared centre PC: nothing a signed-in user saw may be kept by the browser (or a
    proxy) for the back button or the next person to find after signing out."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        signed_in = request.user.is_authenticated
        response = self.get_response(request)
        if signed_in or request.user.is_authenticated:
            patch_cache_control(response, no_store=True, private=True)
        return response


class IdleTimeoutMiddleware:
    """Signs a session out after its idle time (the strictest of the user's centres'
    `idle_timeout_minutes`, kept in the session at sign-in): an abandoned session on a
    shared PC is refused by the server, whatever the page in the browser does. The time of
    the last request is written at most once a minute (so that a page costs no session
    write), and the limit allows that minute. static/js/idle-timeout.js warns a minute
    before and keeps a session alive while the user is typing."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from accounts import idle

        if settings.IDLE_TIMEOUT_ENFORCED and request.user.is_authenticated:
            session = request.session
            if idle.remaining_seconds(session) <= 0:
                return idle.sign_out(request)
            if request.path != reverse("session_status"):  # asking is not activity
                idle.note_activity(session)
        return self.get_response(request)


class ProbeWatchMiddleware:
    """Notes each request for another centre's record (accounts.access.OtherCentreRecord)
    once the view has ended, so that the note survives the view's rolled-back transaction;
    the user still sees a plain 404."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        from accounts.access import OtherCentreRecord
        from accounts.probing import probe_record
        from accounts.services import client_ip

        if isinstance(exception, OtherCentreRecord) and request.user.is_authenticated:
            try:
                probe_record(
                    user=request.user,  # type: ignore[arg-type]
                    model=exception.model,
                    object_id=exception.pk,
                    ip=client_ip(request),
                )
            except DatabaseError:  # the 404 must stay a 404
                logger.exception("could not note a request for another centre's record")
