"""Every write to a case file goes through these functions: they keep the invariants (race-free
case numbers, the silence clock, consent before sharing) and the audit trail."""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import jaconv
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import AuditAction, Centre, User
from accounts.services import audit_record
from cases import instruments
from cases.models import (
    Assessment,
    Case,
    CaseSensitiveInfo,
    CaseStatus,
    CaseStatusChange,
    Consent,
    ConsentScope,
    ContactEntry,
    ContactSource,
    Milestone,
    Referral,
    ReferralOutcome,
    SilenceStage,
    SupportPlan,
)


class StaleEdit(Exception):
    """Someone else saved the record after this form was loaded."""


def _lock_current[M: (Case, CaseSensitiveInfo, SupportPlan, Referral)](
    queryset: QuerySet[M], pk: int, expected_version: int | None
) -> M:
    """The row, locked, if nobody saved it since the form read `expected_version`: the one
    optimistic-locking check every edit form goes through."""
    row = queryset.select_for_update(of=("self",)).get(pk=pk)
    if expected_version is None or row.version != expected_version:
        raise StaleEdit
    return row


# --- search ------------------------------------------------------------------------------


def normalise_for_search(text: str) -> str:
    """Hiragana and katakana match each other; full/half width and spaces don't matter."""
    text = unicodedata.normalize("NFKC", text or "")
    return jaconv.kata2hira(text).lower().replace(" ", "").replace("\u3000", "")


def _search_text(case: Case) -> str:
    return normalise_for_search(
        " ".join([case.family_name, case.given_name, case.family_name_kana, case.given_name_kana])
    )


# --- audit -------------------------------------------------------------------------------


def _audit(
    *,
    by: User | None,
    action: AuditAction,
    obj: Any,
    case: Case,
    ip: str | None,
    changed_fields: Iterable[str] = (),
) -> None:
    audit_record(
        user=by,
        action=action,
        obj=obj,
        case_id=case.pk,
        centre_id=case.centre_id,
        ip=ip,
        changed_fields=changed_fields,
    )


def _audit_change(
    *, by: User | None, obj: Any, case: Case, ip: str | None, fields: Iterable[str]
) -> None:
    _audit(by=by, action=AuditAction.CHANGE, obj=obj, case=case, ip=ip, changed_fields=fields)


def case_view_record(*, case: Case, by: User, ip: str | None = None) -> None:
    _audit(by=by, action=AuditAction.VIEW, obj=case, case=case, ip=ip)


# --- cases -------------------------------------------------------------------------------


def case_next_number(*, centre: Centre) -> int:
    """Take the centre's next case number. The row lock taken by UPDATE serialises concurrent
    intakes until their transactions end; the unique constraint is the final guarantee."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE accounts_centre SET last_case_number = last_case_number + 1 "
            "WHERE id = %s RETURNING last_case_number",
            [centre.pk],
        )
        return int(cursor.fetchone()[0])


def _next_check(case: Case) -> dt.datetime | None:
    """When the sweep should look at the case next, given its stage and cadence."""
    if case.status != CaseStatus.OPEN:
        return None
    interval = dt.timedelta(days=case.effective_followup_days)
    if case.silence_stage == SilenceStage.OK:
        return case.silence_clock_started_at + interval
    if case.silence_stage == SilenceStage.REMINDED:
        return (
            case.silence_clock_started_at + interval + dt.timedelta(days=case.effective_grace_days)
        )
    return None


def case_restart_silence_clock(*, case: Case, at: dt.datetime) -> None:
    case.silence_clock_started_at = at
    case.silence_stage = SilenceStage.OK
    case.next_check_at = _next_check(case)


@transaction.atomic
def case_create(
    *,
    centre: Centre,
    by: User,
    fields: Mapping[str, Any],
    sensitive: Mapping[str, Any] | None = None,
    ip: str | None = None,
) -> Case:
    case = Case(centre=centre, created_by=by, **fields)
    case.number = case_next_number(centre=centre)
    case.search_text = _search_text(case)
    case_restart_silence_clock(case=case, at=timezone.now())
    case.full_clean(exclude=["number"])
    case.save()
    CaseSensitiveInfo.objects.create(case=case, **(sensitive or {}))
    CaseStatusChange.objects.create(
        case=case, by=by, from_status="", to_status=case.status, episode=case.episode
    )
    _audit(by=by, action=AuditAction.CREATE, obj=case, case=case, ip=ip)
    return case


@transaction.atomic
def case_intake(
    *,
    centre: Centre,
    by: User,
    case_fields: Mapping[str, Any],
    contact_fields: Mapping[str, Any],
    ip: str | None = None,
) -> Case:
    """A first call: the case and its first contact entry, together or not at all."""
    first_contact = timezone.localdate(contact_fields["occurred_at"])
    case_fields = {"first_contact_date": first_contact, **case_fields}
    case = case_create(centre=centre, by=by, fields=case_fields, ip=ip)
    contact_record(case=case, by=by, fields=contact_fields, source=ContactSource.INTAKE, ip=ip)
    return case


@transaction.atomic
def case_update(
    *,
    case: Case,
    by: User,
    changes: Mapping[str, Any],
    expected_version: int,
    ip: str | None = None,
) -> Case:
    """Save edited fields only if nobody saved the case since `expected_version` was read."""
    # Locked, so the sweep or a contact can't move the silence state under the reschedule.
    current = _lock_current(Case.objects.select_related("centre"), case.pk, expected_version)
    for name, value in changes.items():
        setattr(current, name, value)
    current.search_text = _search_text(current)
    fields = [*changes, "search_text", "version", "updated_at"]
    if {"followup_interval_days", "escalation_grace_days"} & set(changes):
        current.next_check_at = _next_check(current)
        fields.append("next_check_at")
    current.version += 1
    current.full_clean(exclude=["number"])
    current.save(update_fields=fields)
    for name in fields:
        setattr(case, name, getattr(current, name))
    _audit_change(by=by, obj=case, case=case, ip=ip, fields=changes.keys())
    return case


@transaction.atomic
def case_sensitive_update(
    *,
    case: Case,
    by: User,
    changes: Mapping[str, Any],
    expected_version: int,
    ip: str | None = None,
) -> CaseSensitiveInfo:
    existing, _created = CaseSensitiveInfo.objects.get_or_create(case=case)
    info = _lock_current(CaseSensitiveInfo.objects.all(), existing.pk, expected_version)
    for name, value in changes.items():
        setattr(info, name, value)
    info.version += 1
    info.save()
    _audit_change(by=by, obj=info, case=case, ip=ip, fields=changes.keys())
    return info


@transaction.atomic
def case_change_status(
    *,
    case: Case,
    by: User,
    to_status: str,
    closure_reason: str = "",
    paused_until: dt.date | None = None,
    note: str = "",
    ip: str | None = None,
) -> Case:
    """Close, pause, resume or reopen. Reopening a closed case is a re-withdrawal: a new
    episode starts and the earlier history stays on the timeline."""
    case = Case.objects.select_for_update(of=("self",)).select_related("centre").get(pk=case.pk)
    from_status = case.status
    now = timezone.now()
    if to_status == from_status and to_status != CaseStatus.PAUSED:
        raise ValidationError(_("ケースはすでにこの状態です。"))
    if to_status == CaseStatus.CLOSED:
        if not closure_reason:
            raise ValidationError({"closure_reason": _("終結理由を選んでください。")})
        case.closure_reason, case.closed_at, case.paused_until = closure_reason, now, None
    elif to_status == CaseStatus.PAUSED:
        if from_status == CaseStatus.CLOSED:
            raise ValidationError(_("終結したケースは休止できません。先に再開してください。"))
        if not paused_until or paused_until <= timezone.localdate():
            raise ValidationError({"paused_until": _("休止期限は明日以降の日付にしてください。")})
        case.paused_until = paused_until
    elif to_status == CaseStatus.OPEN:
        if from_status == CaseStatus.CLOSED:
            case.episode += 1
            case.closure_reason, case.closed_at = "", None
        case.paused_until = None
    case.status = to_status
    # Any change of status starts the follow-up clock afresh (or stops it when not open).
    case_restart_silence_clock(case=case, at=now)
    case.version += 1
    case.save()
    CaseStatusChange.objects.create(
        case=case,
        by=by,
        at=now,
        from_status=from_status,
        to_status=to_status,
        closure_reason=case.closure_reason,
        paused_until=case.paused_until,
        episode=case.episode,
        note=note,
    )
    _audit_change(by=by, obj=case, case=case, ip=ip, fields=["status"])
    return case


def cases_resume_expired_pauses(*, today: dt.date | None = None) -> int:
    """Paused cases whose expiry date has come are open again and their clock restarts at the
    start of that day (Asia/Tokyo). Set-based: one UPDATE for all of them."""
    today = today or timezone.localdate()
    start_of_today = timezone.make_aware(dt.datetime.combine(today, dt.time.min))
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH resumed AS (
                UPDATE cases_case c
                   SET status = 'open', paused_until = NULL, silence_stage = 'ok',
                       silence_clock_started_at = %(start)s,
                       next_check_at = %(start)s + make_interval(
                           days => COALESCE(c.followup_interval_days, ce.followup_interval_days)),
                       version = c.version + 1, updated_at = now()
                  FROM accounts_centre ce
                 WHERE ce.id = c.centre_id AND c.status = 'paused' AND c.paused_until <= %(today)s
             RETURNING c.id, c.episode
            )
            INSERT INTO cases_casestatuschange
                   (case_id, at, by_id, from_status, to_status, closure_reason, paused_until,
                    episode, note)
            SELECT id, now(), NULL, 'paused', 'open', '', NULL, episode, 'pause expired'
              FROM resumed
            """,
            {"start": start_of_today, "today": today},
        )
        return cursor.rowcount


# --- contacts ----------------------------------------------------------------------------


@transaction.atomic
def contact_record(
    *,
    case: Case,
    by: User,
    fields: Mapping[str, Any],
    source: str = ContactSource.MANUAL,
    ip: str | None = None,
) -> ContactEntry:
    """Log a contact. A two-way contact resets the silence clock in the same transaction; a
    one-way attempt (letter left, no answer) is logged but does not."""
    values = {"staff": by, **fields}
    entry = ContactEntry(case=case, created_by=by, source=source, **values)
    entry.full_clean(exclude=["case", "created_by", "staff"])
    entry.save()
    if entry.two_way:
        case_two_way_contact(case=case, at=entry.occurred_at)
    _audit(by=by, action=AuditAction.CREATE, obj=entry, case=case, ip=ip)
    return entry


def case_two_way_contact(*, case: Case, at: dt.datetime) -> None:
    """Move the clock forward to `at` unless a later two-way contact is already on record.
    The row lock orders this against the sweep and against concurrent contacts, so the
    clock never moves backwards and a reset is never lost."""
    row = Case.objects.select_for_update(of=("self",)).select_related("centre").get(pk=case.pk)
    changed = []
    if row.last_two_way_contact_at is None or row.last_two_way_contact_at < at:
        row.last_two_way_contact_at = at
        changed.append("last_two_way_contact_at")
    # Only forward, and only for open cases: never before a (re)opening or a pause's end.
    if row.status == CaseStatus.OPEN and row.silence_clock_started_at < at:
        case_restart_silence_clock(case=row, at=at)
        changed += ["silence_clock_started_at", "silence_stage", "next_check_at"]
    if changed:
        row.save(update_fields=[*changed, "updated_at"])  # the list sorts by last activity
    for name in (
        "last_two_way_contact_at",
        "silence_clock_started_at",
        "silence_stage",
        "next_check_at",
    ):
        setattr(case, name, getattr(row, name))


# --- assessments -------------------------------------------------------------------------


@transaction.atomic
def assessment_record(
    *,
    case: Case,
    by: User,
    instrument: instruments.Instrument,
    answers: Sequence[int | str],
    assessed_on: dt.date,
    notes: str = "",
    ip: str | None = None,
) -> Assessment:
    result = instruments.score(instrument, answers)
    assessment = Assessment.objects.create(
        case=case,
        instrument=instrument.code,
        version=instrument.version,
        assessed_on=assessed_on,
        answers=[int(a) for a in answers],
        total_score=result.total,
        subscale_scores=result.subscales,
        above_cutoff=result.above_cutoff,
        notes=notes,
        assessed_by=by,
    )
    _audit(by=by, action=AuditAction.CREATE, obj=assessment, case=case, ip=ip)
    return assessment


# --- support plans -----------------------------------------------------------------------


@transaction.atomic
def plan_save(
    *,
    case: Case,
    by: User,
    fields: Mapping[str, Any],
    plan: SupportPlan | None = None,
    expected_version: int | None = None,
    ip: str | None = None,
) -> SupportPlan:
    if plan is None:
        plan = SupportPlan.objects.create(case=case, created_by=by, **fields)
        _audit(by=by, action=AuditAction.CREATE, obj=plan, case=case, ip=ip)
        return plan
    plan = _lock_current(SupportPlan.objects.all(), plan.pk, expected_version)
    for name, value in fields.items():
        setattr(plan, name, value)
    plan.version += 1
    plan.save()
    _audit_change(by=by, obj=plan, case=case, ip=ip, fields=fields.keys())
    return plan


@transaction.atomic
def milestone_add(
    *, plan: SupportPlan, by: User, fields: Mapping[str, Any], ip: str | None = None
) -> Milestone:
    milestone = Milestone.objects.create(plan=plan, **fields)
    _audit(by=by, action=AuditAction.CREATE, obj=milestone, case=plan.case, ip=ip)
    return milestone


@transaction.atomic
def milestone_achieve(
    *, milestone: Milestone, by: User, on: dt.date, ip: str | None = None
) -> Milestone:
    if milestone.achieved_on is not None:
        raise ValidationError(_("この一歩はすでに達成済みです。"))
    milestone.achieved_on = on
    milestone.save(update_fields=["achieved_on"])
    _audit_change(by=by, obj=milestone, case=milestone.plan.case, ip=ip, fields=["achieved_on"])
    return milestone


# --- consent and referrals ---------------------------------------------------------------


@transaction.atomic
def consent_record(
    *, case: Case, by: User, fields: Mapping[str, Any], ip: str | None = None
) -> Consent:
    consent = Consent(case=case, recorded_by=by, **fields)
    consent.full_clean(exclude=["case", "recorded_by"])
    consent.save()
    _audit(by=by, action=AuditAction.CREATE, obj=consent, case=case, ip=ip)
    return consent


@transaction.atomic
def consent_withdraw(*, consent: Consent, by: User, on: dt.date, ip: str | None = None) -> Consent:
    if consent.withdrawn_on is not None:
        raise ValidationError(_("この同意はすでに撤回されています。"))
    if on < consent.given_on:
        raise ValidationError(_("撤回日は同意日より後にしてください。"))
    consent.withdrawn_on = on
    consent.save(update_fields=["withdrawn_on"])
    _audit_change(by=by, obj=consent, case=consent.case, ip=ip, fields=["withdrawn_on"])
    return consent


@transaction.atomic
def referral_create(
    *, case: Case, by: User, fields: Mapping[str, Any], ip: str | None = None
) -> Referral:
    referral = Referral(case=case, created_by=by, **fields)
    _check_referral_basis(referral)
    referral.save()
    _audit(by=by, action=AuditAction.CREATE, obj=referral, case=case, ip=ip)
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
    _audit_change(by=by, obj=referral, case=referral.case, ip=ip, fields=["sent_at"])
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
    current = _lock_current(Referral.objects.all(), referral.pk, expected_version)
    referral.outcome = current.outcome = outcome
    referral.follow_up_on = current.follow_up_on = follow_up_on
    referral.version = current.version = current.version + 1
    current.save(update_fields=["outcome", "follow_up_on", "version"])
    _audit_change(
        by=by, obj=referral, case=referral.case, ip=ip, fields=["outcome", "follow_up_on"]
    )
    return referral
