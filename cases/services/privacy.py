"""Who may see a case's 要配慮個人情報 beyond the role's rule (cases.access): a manager's share
with one counsellor, and break-glass. Each is on the case's audit trail."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import access
from accounts.models import AuditAction, Role, User
from cases import access as case_access
from cases.models import BreakGlassGrant, Case, SensitiveShare
from cases.services.audit import case_audit_record

# A reason is the written justification an auditor reads: a few words are not one.
BREAK_GLASS_REASON_MIN_LENGTH = 10


def sensitive_share(*, case: Case, by: User, user: User, ip: str | None = None) -> SensitiveShare:
    """A manager of the case's centre shares its 要配慮個人情報 with a counsellor of the centre."""
    if not case_access.permits(by, case, "case.share_sensitive"):
        raise ValidationError(_("この操作はできません。"))
    if (
        user.role != Role.COUNSELLOR
        or not user.is_active
        or not user.centres.filter(pk=case.centre_id).exists()
    ):
        raise ValidationError({"user": _("このセンターの在職中の相談員を選んでください。")})
    try:
        with transaction.atomic():
            share = SensitiveShare.objects.create(case=case, user=user, by=by)
    except IntegrityError as error:  # sensitive_share_one_active
        raise ValidationError({"user": _("この相談員とはすでに共有しています。")}) from error
    case_audit_record(by=by, action=AuditAction.CREATE, obj=share, case=case, ip=ip)
    return share


def sensitive_share_revoke(*, share: SensitiveShare, by: User, ip: str | None = None) -> None:
    """End a share (kept, with who ended it and when). Ending an ended share does nothing."""
    updated = SensitiveShare.objects.filter(pk=share.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_by=by
    )
    if updated:
        case_audit_record(
            by=by,
            action=AuditAction.CHANGE,
            obj=share,
            case=share.case,
            ip=ip,
            changed_fields=["revoked_at"],
        )


def break_glass_open(
    *, case: Case, by: User, reason: str, ip: str | None = None
) -> BreakGlassGrant:
    """Open a case outside the user's normal reach, read-only, for BREAK_GLASS_MINUTES: an
    administrator any case, a manager a case of a centre that is not theirs (their own
    centre's cases, sensitive information included, they see anyway)."""
    reason = reason.strip()
    if not access.can(by, "case.break_glass"):
        raise ValidationError(_("この操作はできません。"))
    if by.role == Role.MANAGER and case_access.in_reach(by, case):
        raise ValidationError(_("このケースは緊急閲覧なしで閲覧できます。"))
    if len(reason) < BREAK_GLASS_REASON_MIN_LENGTH:
        raise ValidationError(
            {
                "reason": _("理由を%(n)s文字以上で具体的に書いてください。")
                % {"n": BREAK_GLASS_REASON_MIN_LENGTH}
            }
        )
    now = timezone.now()
    with transaction.atomic():
        grant = BreakGlassGrant.objects.create(
            case=case,
            user=by,
            reason=reason,
            created_at=now,
            expires_at=now + case_access.break_glass_window(),
            ip_address=ip,
        )
        case_audit_record(by=by, action=AuditAction.BREAK_GLASS, obj=grant, case=case, ip=ip)
    return grant
