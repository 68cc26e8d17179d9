from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation


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
    has signed in with a password only reaches the set-up or verify page, signing out, the
    language switch and static files, until a code from their authenticator is entered."""

    OPEN_PREFIXES = ("/accounts/two-factor/", "/static/")
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
