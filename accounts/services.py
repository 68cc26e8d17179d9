from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.db.models import Model
from django.http import HttpRequest
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

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


# --- two-factor sign-in (django-otp) -------------------------------------------------------

BACKUP_CODES = 10


def two_factor_required(user: User) -> bool:
    """Roles that see a whole centre's (or every centre's) records sign in with a second
    factor: TWO_FACTOR_ROLES (managers and administrators in production)."""
    return user.is_authenticated and user.role in settings.TWO_FACTOR_ROLES


def two_factor_device_pending(*, user: User) -> TOTPDevice:
    """The authenticator the user is setting up: unconfirmed until a first code matches.
    The same one on every visit of the set-up page, so the QR code does not change."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    return device or TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


def two_factor_confirm(*, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm the authenticator with a first code from it. Returns the backup codes, shown
    to the user once (each works once, for a lost phone), or None if the code is wrong."""
    if not device.verify_token(code.strip()):
        return None
    with transaction.atomic():
        TOTPDevice.objects.filter(user=device.user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        StaticDevice.objects.filter(user=device.user).delete()
        backup = StaticDevice.objects.create(user=device.user, name="backup codes")
        codes = [StaticToken.random_token() for _ in range(BACKUP_CODES)]
        StaticToken.objects.bulk_create(StaticToken(device=backup, token=code) for code in codes)
    return codes
