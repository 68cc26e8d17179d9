from base64 import b32encode
from typing import Any
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required, login_required
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.models import Device

from accounts import access, idle, selectors, services
from accounts.access import AuthenticatedHttpRequest, permission_required
from accounts.forms import OneTimeCodeForm, PreferencesForm, ReenrolForm
from accounts.lockout import REFUSAL_ATTRIBUTE, USERNAME
from accounts.services import client_ip


@login_required
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Each role lands here: their centre, their role and what they can do from here.
    Counsellors start from their day instead (a URL name: accounts sits below dashboards)."""
    if request.user.is_counsellor:
        return redirect(reverse("dashboards:my_day"))
    return render(
        request,
        "accounts/home.html",
        {"centres": access.user_centres(request.user)},
    )


def preferences(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The user's own settings: name, e-mail, language of notifications, weekly digest."""
    form = PreferencesForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        services.user_save(
            user=form.instance,
            by=request.user,
            changed_fields=form.changed_data,
            ip=client_ip(request),
        )
        messages.success(request, _("設定を保存しました。"))
        return redirect("preferences")
    return render(
        request,
        "accounts/preferences.html",
        {"form": form, "two_factor": services.two_factor_required(request.user)},
    )


@login_not_required
def login_locked(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """django-axes' lockout page (AXES_LOCKOUT_CALLABLE), for the app's and the admin's login:
    the login form again, with the username kept and how long to wait, in the reader's
    language."""
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    # A username tried from many addresses is slowed down (accounts.lockout), not locked.
    slowed = getattr(request, REFUSAL_ATTRIBUTE, None) == USERNAME
    wait = settings.LOGIN_USERNAME_WINDOW if slowed else settings.AXES_COOLOFF_TIME
    return render(
        request,
        "registration/login.html",
        {
            "form": AuthenticationForm(request, initial={"username": username}),
            "locked_minutes": int(wait.total_seconds() // 60),
            "slowed": slowed,
            "next": request.POST.get("next", ""),
        },
        status=429,
    )


PENDING_DEVICE_SESSION_KEY = "two_factor_pending_device"
ENROLMENT_LINK_SESSION_KEY = "two_factor_enrolment_link"


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if allowed else reverse("home")


def _to(name: str, request: HttpRequest) -> HttpResponse:
    return redirect(f"{reverse(name)}?{urlencode({'next': _safe_next(request)})}")


def _signed_in_with(request: HttpRequest, device: Device) -> None:
    request.session.cycle_key()  # a new session id once the second factor is in
    otp_login(request, device)


@never_cache
@sensitive_post_parameters("code")
def two_factor_verify(request: AuthenticatedHttpRequest) -> HttpResponse:
    """After the password, the second factor: a code from the authenticator or a backup
    code. A user without an authenticator yet is sent to set one up."""
    if not user_has_device(request.user):
        return _to("two_factor_setup", request)
    form = OneTimeCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = services.two_factor_verify_code(user=request.user, code=form.cleaned_data["code"])
        if device is not None:
            _signed_in_with(request, device)
            return redirect(_safe_next(request))
        form.add_error("code", _("コードが正しくありません。もう一度入力してください。"))
    return render(
        request, "accounts/two_factor_verify.html", {"form": form, "next": _safe_next(request)}
    )


@never_cache
@sensitive_post_parameters("code", "password")
def two_factor_setup(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Set up the authenticator: scan the QR code (or type the key), confirm with a first
    code, and note the backup codes, shown this once. Someone who has only the password of a
    user who already has an authenticator must not enrol one of their own: that user sets
    up a new one only after signing in with the old one (or a backup code)."""
    replacing = user_has_device(request.user)
    if replacing and not request.user.is_verified():  # type: ignore[attr-defined]
        return _to("two_factor_verify", request)
    link_id = request.session.get(ENROLMENT_LINK_SESSION_KEY)
    if not replacing and not services.two_factor_enrolment_open(request.user, link_id=link_id):
        # A password alone (a leaked one, the demo's) must not claim the second factor.
        return render(request, "accounts/two_factor_link_needed.html", status=403)
    device = services.two_factor_device_pending(
        user=request.user, device_id=request.session.get(PENDING_DEVICE_SESSION_KEY)
    )
    request.session[PENDING_DEVICE_SESSION_KEY] = device.pk
    form = (
        ReenrolForm(request.POST or None, user=request.user)
        if replacing
        else OneTimeCodeForm(request.POST or None)
    )
    if request.method == "POST" and form.is_valid():
        codes = services.two_factor_confirm(
            device=device, code=form.cleaned_data["code"], ip=client_ip(request), link_id=link_id
        )
        if codes is not None:
            del request.session[PENDING_DEVICE_SESSION_KEY]
            request.session.pop(ENROLMENT_LINK_SESSION_KEY, None)
            _signed_in_with(request, device)
            return render(
                request,
                "accounts/two_factor_backup_codes.html",
                {"codes": codes, "next": _safe_next(request)},
            )
        form.add_error("code", _("コードが正しくありません。もう一度入力してください。"))
    qr = segno.make(device.config_url, error="m")
    return render(
        request,
        "accounts/two_factor_setup.html",
        {
            "form": form,
            "qr_svg": mark_safe(qr.svg_inline(scale=4, dark="#000", light="#fff")),  # noqa: S308
            "secret": b32encode(device.bin_key).decode(),
            "next": _safe_next(request),
        },
    )


@never_cache
def two_factor_link(request: AuthenticatedHttpRequest, token: str) -> HttpResponse:
    """The one-time set-up link an administrator issued (accounts.admin): opened after the
    password, by the user it was issued to, it lets this session set up the authenticator."""
    link = services.two_factor_link_find(user=request.user, token=token)
    if link is None:
        return render(
            request, "accounts/two_factor_link_needed.html", {"invalid": True}, status=404
        )
    request.session[ENROLMENT_LINK_SESSION_KEY] = link.pk
    return redirect("two_factor_setup")


# --- the session on a shared PC (accounts.idle; static/js/idle-timeout.js) ------------------


@never_cache
def session_status(request: AuthenticatedHttpRequest) -> JsonResponse:
    """How long the session has before it is signed out for being idle. Asking does not
    count as activity (accounts.middleware.IdleTimeoutMiddleware)."""
    return JsonResponse({"remaining": idle.remaining_seconds(request.session)})


@require_POST
def session_keepalive(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Someone is at the page (a key or a click, `idle` seconds ago): the idle time counts
    from then."""
    try:
        idle_seconds = int(request.POST.get("idle", "0"))
    except ValueError:
        idle_seconds = 0
    idle.keep_alive(request.session, idle_seconds=idle_seconds)
    return HttpResponse(status=204)


# --- security events ------------------------------------------------------------------------


@permission_required("security.view")
def security_events(request: AuthenticatedHttpRequest) -> HttpResponse:
    """What the managers of a centre should look into about its users (accounts.probing)."""
    page = Paginator(selectors.security_events_for(request.user), 50).get_page(
        request.GET.get("page")
    )
    return render(request, "accounts/security_events.html", {"page": page})


# --- password reset -------------------------------------------------------------------------


@method_decorator(sensitive_post_parameters("email"), name="dispatch")
class ThrottledPasswordResetView(auth_views.PasswordResetView):
    """Password reset, throttled per address and per account (PASSWORD_RESET_LIMIT_*): an
    address over its limit is told to wait; an account over its limit gets no more e-mail,
    though the page says the same as always (nothing tells whether an account exists)."""

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        refusal = services.password_reset_throttled(
            ip=client_ip(self.request), email=form.cleaned_data["email"]
        )
        if refusal == "address":
            form.add_error(
                None,
                _("再設定の依頼が続いています。しばらくしてからもう一度お試しください。"),
            )
            response = self.form_invalid(form)
            response.status_code = 429
            return response
        if refusal == "account":
            return redirect(self.get_success_url())
        return super().form_valid(form)
