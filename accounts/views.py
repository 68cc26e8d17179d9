from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
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
