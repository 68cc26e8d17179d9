"""django-axes, with what it lacks: a limit per address whatever the usernames, a slow-down
of a username attacked from many addresses, and attempts counted atomically *before* the
password is checked, so that concurrent attempts can never all pass the check together."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.db import connection
from django.db.models import F, Sum
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import AttemptBudget

# Why an attempt was refused, for the page that says so (accounts.views.login_locked).
REFUSAL_ATTRIBUTE = "tsunagu_refusal"
PAIR, ADDRESS, USERNAME = "pair", "address", "username"


class LockoutHandler(AxesDatabaseHandler):
    """axes locks a username from an address after LOGIN_FAILURE_LIMIT failures, counting
    them after the password was checked: attempts sent together all read the same count and
    all get their guess. Here each attempt first spends one unit of three budgets, in one
    atomic statement each:

    * the username from that address (LOGIN_FAILURE_LIMIT per cool-off time, as axes);
    * the address, whatever the usernames (LOGIN_FAILURE_LIMIT_PER_IP: password spraying; a
      higher limit, since a centre's staff may share one address);
    * the username, from whatever addresses (LOGIN_ATTEMPTS_PER_USERNAME per
      LOGIN_USERNAME_WINDOW: many addresses guessing at one account are slowed down to that
      rate, rather than the account being locked for its owner).

    A successful sign-in gives its unit back (and clears the pair, as axes does)."""

    def is_locked(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> bool:
        if super().is_locked(request, credentials):
            setattr(request, REFUSAL_ATTRIBUTE, PAIR)
            return True
        if address_failures(request) >= settings.LOGIN_FAILURE_LIMIT_PER_IP:
            setattr(request, REFUSAL_ATTRIBUTE, ADDRESS)
            return True
        return False

    def is_allowed(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> bool:
        # Called once per authenticate(), before the password is checked.
        if not super().is_allowed(request, credentials):
            return False
        refusal = spend_attempt(request, get_client_username(request, credentials))
        if refusal:
            setattr(request, REFUSAL_ATTRIBUTE, refusal)
            return False
        return True

    def user_logged_in(self, sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
        super().user_logged_in(sender, request, user, **kwargs)
        give_back_attempt(request, user.get_username())


def address_failures(request: HttpRequest) -> int:
    ip = getattr(request, "axes_ip_address", None)
    if not ip:
        return 0
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    failures = AccessAttempt.objects.filter(ip_address=ip, attempt_time__gte=since).aggregate(
        total=Sum("failures_since_start")
    )["total"]
    return failures or 0


def budget_key(kind: str, *parts: str) -> str:
    """The budget's key: a hash, so the table names no account and no address."""
    digest = hashlib.sha256("\x00".join(parts).encode()).hexdigest()
    return f"{kind}:{digest}"


# accounts_attemptbudget is AttemptBudget's table (tests/accounts/test_login_lockout.py).
_SPEND = """
INSERT INTO accounts_attemptbudget AS budget (key, window_start, used)
VALUES (%(key)s, %(now)s, 1)
ON CONFLICT (key) DO UPDATE SET
    used = CASE WHEN budget.window_start <= %(expired)s THEN 1 ELSE budget.used + 1 END,
    window_start = CASE WHEN budget.window_start <= %(expired)s THEN %(now)s
                        ELSE budget.window_start END
RETURNING used
"""


def budget_spend(key: str, *, window: dt.timedelta) -> int:
    """Spend one unit of the key's budget and return how many its window has used, this one
    included. One statement: concurrent spenders queue on the row and each sees its own
    count. A window starts at its first attempt and ends `window` later, whatever happens
    in it (a refusal does not lengthen it)."""
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(_SPEND, {"key": key, "now": now, "expired": now - window})
        (used,) = cursor.fetchone()
    return int(used)


def budget_give_back(key: str, *, reset: bool = False) -> None:
    budgets = AttemptBudget.objects.filter(key=key)
    if reset:
        budgets.delete()
    else:
        budgets.filter(used__gt=0).update(used=F("used") - 1)


def _budgets(username: str, ip: str) -> list[tuple[str, str, int, dt.timedelta]]:
    return [
        (PAIR, budget_key(PAIR, username, ip), settings.AXES_FAILURE_LIMIT,
         settings.AXES_COOLOFF_TIME),
        (ADDRESS, budget_key(ADDRESS, ip), settings.LOGIN_FAILURE_LIMIT_PER_IP,
         settings.AXES_COOLOFF_TIME),
        (USERNAME, budget_key(USERNAME, username), settings.LOGIN_ATTEMPTS_PER_USERNAME,
         settings.LOGIN_USERNAME_WINDOW),
    ]  # fmt: skip


def spend_attempt(request: HttpRequest, username: str | None) -> str | None:
    """Spend this attempt on each budget; the first one exhausted refuses it (None: go on
    and check the password)."""
    ip = getattr(request, "axes_ip_address", None) or ""
    refusal = None
    for kind, key, limit, window in _budgets(username or "", ip):
        if budget_spend(key, window=window) > limit and refusal is None:
            refusal = kind
    return refusal


def give_back_attempt(request: HttpRequest, username: str) -> None:
    ip = getattr(request, "axes_ip_address", None) or ""
    for kind, key, _limit, _window in _budgets(username, ip):
        budget_give_back(key, reset=kind == PAIR)


def budgets_purge(*, older_than: dt.timedelta) -> int:
    deleted, _by_model = AttemptBudget.objects.filter(
        window_start__lt=timezone.now() - older_than
    ).delete()
    return deleted
