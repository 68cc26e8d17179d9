"""django-axes, with one more rule than it has: a limit per address, whatever the usernames."""

from __future__ import annotations

from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest
from django.utils import timezone


class LockoutHandler(AxesDatabaseHandler):
    """axes locks a username from an address after LOGIN_FAILURE_LIMIT failures. Guessing
    one common password at many usernames (password spraying) never trips that, so an
    address is also locked after LOGIN_FAILURE_LIMIT_PER_IP failures in the cool-off time,
    whatever the usernames: a higher limit, since a centre's staff may share one address."""

    def is_locked(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> bool:
        return (
            super().is_locked(request, credentials)
            or address_failures(request) >= settings.LOGIN_FAILURE_LIMIT_PER_IP
        )


def address_failures(request: HttpRequest) -> int:
    ip = getattr(request, "axes_ip_address", None)
    if not ip:
        return 0
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    failures = AccessAttempt.objects.filter(ip_address=ip, attempt_time__gte=since).aggregate(
        total=Sum("failures_since_start")
    )["total"]
    return failures or 0
