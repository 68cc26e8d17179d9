from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from accounts import idle
from accounts.models import User


def start_idle_clock(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    """Each sign-in starts the session's idle clock with the user's centres' idle time."""
    if request is not None and hasattr(request, "session"):
        idle.start(request.session, user)
