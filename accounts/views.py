from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts import access


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Each role lands here: their centre, their role and what they can do from here."""
    return render(
        request,
        "accounts/home.html",
        {"centres": access.user_centres(request.user)},  # type: ignore[arg-type]
    )
