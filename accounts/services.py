from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.db.models import Max, Model
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import AuditAction, AuditEvent, LoginAttempt, LoginOutcome, User


def client_ip(request: HttpRequest | None) -> str | None:
    """The address for the audit trail. X-Forwarded-For is trusted only behind our own proxy
    (AUDIT_TRUST_FORWARDED_FOR), since any client can send that header."""
    if request is None:
        return None
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded and settings.AUDIT_TRUST_FORWARDED_FOR:
        # The proxy appends the address it saw: the last entry is the one it vouches for.
        return forwarded.split(",")[-1].strip() or None
    return request.META.get("REMOTE_ADDR") or None


def audit_record(
    *,
    user: User | None,
    action: AuditAction | str,
    obj: Model,
    case_id: int | None,
    centre_id: int | None,
    ip: str | None = None,
    changed_fields: Iterable[str] = (),
) -> AuditEvent:
    """Append one audit event. Only references and field names are stored, never values."""
    return AuditEvent.objects.create(
        user=user,
        action=action,
        model=obj._meta.label_lower,
        object_id=obj.pk,
        case_id=case_id,
        centre_id=centre_id,
        ip_address=ip,
        changed_fields=sorted(changed_fields),
    )


# --- sign-in throttling ------------------------------------------------------------------


def login_username_key(username: str) -> str:
    return username.strip().casefold()[:150]


def _lock_ends(attempts: Iterable[dt.datetime], limit: int) -> dt.datetime | None:
    """With `limit` failures inside the window, sign-in reopens when the oldest of them
    leaves it (a sliding window)."""
    recent = list(attempts)
    return recent[limit - 1] + settings.LOGIN_LOCKOUT if len(recent) >= limit else None


def login_locked_for(
    *, username: str, ip: str | None, now: dt.datetime | None = None
) -> dt.timedelta | None:
    """How long sign-in stays refused for this username or this address, or None. A
    username is locked after LOGIN_FAILURE_LIMIT failures within LOGIN_LOCKOUT, counted
    since its last success; an address after LOGIN_FAILURE_LIMIT_PER_IP failures, whatever
    the usernames (password spraying)."""
    now = now or timezone.now()
    since = now - settings.LOGIN_LOCKOUT
    failures = LoginAttempt.objects.filter(at__gt=since, outcome=LoginOutcome.FAILED)
    key = login_username_key(username)
    last_success = LoginAttempt.objects.filter(
        username=key, at__gt=since, outcome=LoginOutcome.SUCCEEDED
    ).aggregate(last=Max("at"))["last"]
    limit = settings.LOGIN_FAILURE_LIMIT
    ends = [
        _lock_ends(
            failures.filter(username=key, at__gt=last_success or since)
            .order_by("-at")
            .values_list("at", flat=True)[:limit],
            limit,
        )
    ]
    if ip:
        per_ip = settings.LOGIN_FAILURE_LIMIT_PER_IP
        ends.append(
            _lock_ends(
                failures.filter(ip_address=ip)
                .order_by("-at")
                .values_list("at", flat=True)[:per_ip],
                per_ip,
            )
        )
    latest = max((end for end in ends if end is not None), default=None)
    return latest - now if latest and latest > now else None


def login_attempt_record(*, username: str, ip: str | None, outcome: LoginOutcome) -> None:
    LoginAttempt.objects.create(
        username=login_username_key(username), ip_address=ip, outcome=outcome
    )


def login_attempts_purge(*, now: dt.datetime | None = None) -> int:
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.LOGIN_ATTEMPT_RETENTION_DAYS)
    deleted, _ = LoginAttempt.objects.filter(at__lt=cutoff).delete()
    return deleted
