from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required, login_required
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts import access
from accounts.access import AuthenticatedHttpRequest
from accounts.forms import PreferencesForm


@login_required
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Each role lands here: their centre, their role and what they can do from here."""
    return render(
        request,
        "accounts/home.html",
        {"centres": access.user_centres(request.user)},
    )


def preferences(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The user's own settings: name, e-mail, language of notifications, weekly digest."""
    form = PreferencesForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("設定を保存しました。"))
        return redirect("preferences")
    return render(request, "accounts/preferences.html", {"form": form})


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
    return render(
        request,
        "registration/login.html",
        {
            "form": AuthenticationForm(request, initial={"username": username}),
            "locked_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
            "next": request.POST.get("next", ""),
        },
        status=429,
    )
