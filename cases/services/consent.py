"""Consent and referrals (つなぎ): nothing leaves the centre without consent in force or the
legal basis of a support conference."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import AuditAction, User
from cases.choices import ConsentScope, ReferralOutcome
from cases.models import Case, Consent, Referral
from cases.services.audit import case_audit_change, case_audit_record
from cases.services.locking import lock_current


@transaction.atomic
def consent_record(
    *, case: Case, by: User, fields: Mapping[str, Any], ip: str | None = None
) -> Consent:
    consent = Consent(case=case, recorded_by=by, **fields)
    consent.full_clean(exclude=["case", "recorded_by"])
    consent.save()
    case_audit_record(by=by, action=AuditAction.CREATE, obj=consent, case=case, ip=ip)
    return consent


@transaction.atomic
def consent_withdraw(*, consent: Consent, by: User, on: dt.date, ip: str | None = None) -> Consent:
    if consent.withdrawn_on is not None:
        raise ValidationError(_("この同意はすでに撤回されています。"))
    if on < consent.given_on:
        raise ValidationError(_("撤回日は同意日より後にしてください。"))
    consent.withdrawn_on = on
    consent.save(update_fields=["withdrawn_on"])
    case_audit_change(by=by, obj=consent, case=consent.case, ip=ip, fields=["withdrawn_on"])
    return consent


@transaction.atomic
def referral_create(
    *, case: Case, by: User, fields: Mapping[str, Any], ip: str | None = None
) -> Referral:
    referral = Referral(case=case, created_by=by, **fields)
    _check_referral_basis(referral)
    referral.save()
    case_audit_record(by=by, action=AuditAction.CREATE, obj=referral, case=case, ip=ip)
    return referral


def _check_referral_basis(referral: Referral) -> None:
    if referral.consent is not None:
        if referral.consent.case_id != referral.case_id:
            raise ValidationError({"consent": _("このケースの同意を選んでください。")})
        if referral.consent.scope != ConsentScope.SHARE_WITH_AGENCY:
            raise ValidationError(
                {"consent": _("「関係機関への情報提供」の同意を選んでください。")}
            )


@transaction.atomic
def referral_mark_sent(*, referral: Referral, by: User, ip: str | None = None) -> Referral:
    """Rule 7: information leaves the centre only with consent in force on the day, or the
    legal basis of a support conference (支援会議) recorded."""
    if referral.sent_at is not None:
        raise ValidationError(_("このつなぎはすでに送付済みです。"))
    today = timezone.localdate()
    consent_ok = referral.consent is not None and referral.consent.is_active_on(today)
    if not consent_ok and not referral.legal_basis.strip():
        raise ValidationError(
            _(
                "有効な同意（または支援会議などの法的根拠）が記録されていないため、送付済みにできません。"
            )
        )
    referral.sent_at = timezone.now()
    referral.save(update_fields=["sent_at"])
    case_audit_change(by=by, obj=referral, case=referral.case, ip=ip, fields=["sent_at"])
    return referral


@transaction.atomic
def referral_record_outcome(
    *,
    referral: Referral,
    by: User,
    outcome: str,
    follow_up_on: dt.date | None,
    expected_version: int,
    ip: str | None = None,
) -> Referral:
    if outcome not in ReferralOutcome.values:
        raise ValidationError(_("結果を選んでください。"))
    current = lock_current(Referral.objects.all(), referral.pk, expected_version)
    referral.outcome = current.outcome = outcome
    referral.follow_up_on = current.follow_up_on = follow_up_on
    referral.version = current.version = current.version + 1
    current.save(update_fields=["outcome", "follow_up_on", "version"])
    case_audit_change(
        by=by, obj=referral, case=referral.case, ip=ip, fields=["outcome", "follow_up_on"]
    )
    return referral
