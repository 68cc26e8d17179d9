from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import AuditAction, AuditEvent, Centre, User


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
    centre_id: int | None,
    case_id: int | None = None,  # an event about a case's record; else the centre's own
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


def expired_sessions_purge() -> int:
    """Delete the sessions past their expiry (what `manage.py clearsessions` does), daily by
    beat: the session table otherwise keeps every sign-in of every worker, for ever (web
    processes are stateless; the sessions are in the database, docs/scaling.md). One DELETE
    statement (a session has no dependents, so Django deletes without reading the rows)."""
    from django.contrib.sessions.models import Session

    deleted, _by_model = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted


# --- two-factor sign-in (django-otp) -------------------------------------------------------

BACKUP_CODES = 10


def two_factor_required(user: User) -> bool:
    """Who signs in with a second factor: the roles that see a whole centre's (or every
    centre's) records (TWO_FACTOR_ROLES: managers and administrators in production), and
    anyone who may use the admin (a `createsuperuser` account has the default role)."""
    if not user.is_authenticated or not settings.TWO_FACTOR_ROLES:
        return False
    return user.role in settings.TWO_FACTOR_ROLES or user.is_staff or user.is_superuser


def two_factor_device_pending(*, user: User, device_id: int | None) -> TOTPDevice:
    """The authenticator being set up in this browser session (`device_id`, kept in the
    session by the view): unconfirmed until a first code matches. A new key for every
    session, so that someone who opened the set-up page with a stolen password holds no key
    the user will later confirm."""
    device = TOTPDevice.objects.filter(pk=device_id, user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


def two_factor_confirm(*, device: TOTPDevice, code: str, ip: str | None = None) -> list[str] | None:
    """Confirm the authenticator with a first code from it, replacing any other (a new
    phone). Returns the backup codes, shown to the user once (each works once, for a lost
    phone), or None if the code is wrong or the device was confirmed meanwhile."""
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update().filter(pk=device.pk, confirmed=False).first()
        )
        if device is None or not device.verify_token(code):
            return None
        TOTPDevice.objects.filter(user=device.user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        StaticDevice.objects.filter(user=device.user).delete()
        backup = StaticDevice.objects.create(user=device.user, name="backup codes")
        codes = [StaticToken.random_token() for _ in range(BACKUP_CODES)]
        StaticToken.objects.bulk_create(StaticToken(device=backup, token=code) for code in codes)
        # Who set up a second factor, and when, is on the audit trail (not the key).
        audit_record(
            user=device.user,
            action=AuditAction.CREATE,
            obj=device,
            centre_id=None,
            ip=ip,
        )
    return codes


def two_factor_verify_code(*, user: User, code: str) -> Device | None:
    """The device a code signs in with: six digits go to the authenticator, anything else to
    the backup codes, so that a mistyped code slows down (django-otp's throttling) only the
    kind it was meant for. None if it matches nothing."""
    code = "".join(code.split()).lower()
    kind = TOTPDevice if code.isdigit() and len(code) == 6 else StaticDevice
    for device in kind.objects.filter(user=user, confirmed=True):
        if device.verify_token(code):
            return device
    return None


def centre_staff(centre: Centre, users: Iterable[User], *, field: str) -> list[User]:
    """These users, if every one of them works at the centre, and still does (an inactive
    account is nobody on duty: a programme's facilitators, a session's staff, a visit's
    pair); else a refusal on the form's `field`."""
    staff = list(users)
    working = centre.members.filter(pk__in=[user.pk for user in staff], is_active=True)
    if working.count() != len(staff):
        raise ValidationError({field: _("担当はこのセンターの職員から選んでください。")})
    return staff
