from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.db.models import Model
from django.http import HttpRequest

from accounts.models import AuditAction, AuditEvent, User


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address, for the audit trail and the sign-in lockout. X-Forwarded-For is
    believed only when AUDIT_TRUST_FORWARDED_FOR is on and the request comes from one of our
    own proxies (TRUSTED_PROXIES): anyone else can write whatever they like in that header."""
    if request is None:
        return None
    remote = request.META.get("REMOTE_ADDR") or None
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded and settings.AUDIT_TRUST_FORWARDED_FOR and remote in settings.TRUSTED_PROXIES:
        # Our proxy appends the address it saw: the last entry is the one it vouches for.
        return forwarded.split(",")[-1].strip() or remote
    return remote


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


def access_logs_purge(*, age_days: int | None = None) -> int:
    """Forget sign-in records (django-axes' access and failure logs) older than
    LOGIN_LOG_RETENTION_DAYS: they name accounts and addresses, and serve only to look into
    recent sign-ins."""
    from axes.handlers.proxy import AxesProxyHandler

    age_days = age_days or settings.LOGIN_LOG_RETENTION_DAYS
    return AxesProxyHandler.reset_logs(age_days=age_days) + AxesProxyHandler.reset_failure_logs(
        age_days=age_days
    )
