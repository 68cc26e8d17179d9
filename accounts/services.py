from __future__ import annotations

import datetime as dt
import hashlib
import secrets
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

from accounts.models import AuditAction, AuditEvent, Centre, TwoFactorEnrolmentLink, User


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


def audit_export(
    *, user: User, centre: Centre, ip: str | None, details: Iterable[str]
) -> AuditEvent:
    """A download of a centre's records (its book, statistics, disposal log): who, which
    centre and what (shape, format, rows), never a value."""
    return audit_record(
        user=user,
        action=AuditAction.EXPORT,
        obj=centre,
        centre_id=centre.pk,
        ip=ip,
        changed_fields=details,
    )


# What an auditor needs to follow about an account: who it is, what it may do, where.
USER_AUDITED_FIELDS = frozenset(
    {"username", "display_name", "email", "role", "centres", "is_active", "is_staff",
     "is_superuser", "two_factor"}
)  # fmt: skip


def user_change_audit(
    *,
    user: User,
    by: User | None,
    changed_fields: Iterable[str],
    created: bool = False,
    ip: str | None = None,
) -> AuditEvent | None:
    """Put a change of an account on the audit trail: its names, role, centres, active flag
    (from the app's preferences page and from the admin). Field names only, as always."""
    fields = USER_AUDITED_FIELDS.intersection(changed_fields)
    if not created and not fields:
        return None
    return audit_record(
        user=by,
        action=AuditAction.CREATE if created else AuditAction.CHANGE,
        obj=user,
        centre_id=None,
        ip=ip,
        changed_fields=fields,
    )


def user_save(
    *, user: User, by: User, changed_fields: Iterable[str], ip: str | None = None
) -> None:
    """Save the account's changed fields (already set on it) and audit them together."""
    fields = list(changed_fields)
    if not fields:
        return
    with transaction.atomic():
        user.save(update_fields=fields)
        user_change_audit(user=user, by=by, changed_fields=fields, ip=ip)


def access_logs_purge(*, age_days: int | None = None) -> int:
    """Forget sign-in records (django-axes' access and failure logs) older than
    LOGIN_LOG_RETENTION_DAYS: they name accounts and addresses, and serve only to look into
    recent sign-ins. The attempt budgets and the probing notes are short-lived: gone too."""
    from axes.handlers.proxy import AxesProxyHandler

    from accounts.lockout import budgets_purge
    from accounts.probing import probes_purge

    age_days = age_days or settings.LOGIN_LOG_RETENTION_DAYS
    return (
        AxesProxyHandler.reset_logs(age_days=age_days)
        + AxesProxyHandler.reset_failure_logs(age_days=age_days)
        + budgets_purge(older_than=dt.timedelta(days=1))
        + probes_purge()
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


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def two_factor_link_issue(*, user: User, by: User | None, ip: str | None = None) -> str:
    """A one-time link for the user to set up a new authenticator (a new account after its
    first day, a lost phone): the user's present authenticator and backup codes stop
    working, earlier links too. Returns the token, shown to the administrator once; only its
    hash is kept."""
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        TwoFactorEnrolmentLink.objects.filter(user=user, used_at__isnull=True).update(
            used_at=timezone.now()
        )
        TwoFactorEnrolmentLink.objects.create(
            user=user,
            token_hash=_token_hash(token),
            issued_by=by,
            expires_at=timezone.now() + settings.TWO_FACTOR_LINK_VALID,
        )
        user_change_audit(user=user, by=by, changed_fields=["two_factor"], ip=ip)
    return token


def two_factor_link_find(*, user: User, token: str) -> TwoFactorEnrolmentLink | None:
    """The user's own unused, unexpired link with this token."""
    return TwoFactorEnrolmentLink.objects.filter(
        user=user,
        token_hash=_token_hash(token),
        used_at__isnull=True,
        expires_at__gt=timezone.now(),
    ).first()


def two_factor_enrolment_open(user: User, *, link_id: int | None) -> bool:
    """May the user set up an authenticator in this session without one already? Within
    TWO_FACTOR_FIRST_ENROLMENT_WINDOW of the account's creation (its first sign-in), or
    with a link an administrator issued (opened in this session). So a password alone,
    e.g. a leaked demo-style one, cannot claim someone's second factor."""
    if timezone.now() - user.date_joined <= settings.TWO_FACTOR_FIRST_ENROLMENT_WINDOW:
        return True
    return link_id is not None and (
        TwoFactorEnrolmentLink.objects.filter(
            pk=link_id, user=user, used_at__isnull=True, expires_at__gt=timezone.now()
        ).exists()
    )


def two_factor_confirm(
    *, device: TOTPDevice, code: str, ip: str | None = None, link_id: int | None = None
) -> list[str] | None:
    """Confirm the authenticator with a first code from it, replacing any other (a new
    phone). Returns the backup codes, shown to the user once (each works once, for a lost
    phone), or None if the code is wrong, the device was confirmed meanwhile, or a first
    authenticator may no longer be set up (its link used or expired meanwhile)."""
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update().filter(pk=device.pk, confirmed=False).first()
        )
        if device is None or not device.verify_token(code):
            return None
        first = not TOTPDevice.objects.filter(user=device.user, confirmed=True).exists()
        if first and not _claim_enrolment(device.user, link_id=link_id):
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


def _claim_enrolment(user: User, *, link_id: int | None) -> bool:
    """The first-day window, or the link, used up by this enrolment (one claim wins)."""
    now = timezone.now()
    if link_id is not None:
        claimed = TwoFactorEnrolmentLink.objects.filter(
            pk=link_id, user=user, used_at__isnull=True, expires_at__gt=now
        ).update(used_at=now)
        if claimed:
            return True
    return now - user.date_joined <= settings.TWO_FACTOR_FIRST_ENROLMENT_WINDOW


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


def password_reset_throttled(*, ip: str | None, email: str) -> str | None:
    """Spend a password-reset request on the address's and the account's budgets: "address"
    or "account" for the one exhausted (PASSWORD_RESET_LIMIT_PER_*, per
    PASSWORD_RESET_THROTTLE_WINDOW), None to go on. Atomic, as the sign-in budgets."""
    from accounts.lockout import budget_key, budget_spend

    window = settings.PASSWORD_RESET_THROTTLE_WINDOW
    by_address = budget_spend(budget_key("reset-address", ip or ""), window=window)
    if by_address > settings.PASSWORD_RESET_LIMIT_PER_ADDRESS:
        return "address"
    by_account = budget_spend(budget_key("reset-account", email.strip().lower()), window=window)
    if by_account > settings.PASSWORD_RESET_LIMIT_PER_ACCOUNT:
        return "account"
    return None
