"""Handing cases over: one case to another counsellor, a leaving counsellor's whole caseload
in one step (previewed first, then applied exactly as previewed), and a case moved to another
centre (a family moved) under a new number there.

None of these touches the silence clock: a new counsellor inherits the silence as it stands,
so a case that was about to be reminded is still reminded on time. The new counsellor is
notified by the caller (`dashboards.services`): the outbox lives in `reminders`, above this
app."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import AuditAction, Centre, User
from cases.choices import CaseStatus, ClosureReason, SilenceStage
from cases.models import (
    CASE_PERSON_FIELDS,
    Case,
    CaseAssignment,
    CaseSensitiveInfo,
    CaseStatusChange,
    case_owners,
)
from cases.services.audit import case_audit_change, case_audit_record
from cases.services.case_file import case_change_status, case_next_number
from cases.services.search import name_search_text

# A counsellor's caseload: the cases they are responsible for that are not closed.
CASELOAD_STATUSES: tuple[str, ...] = (CaseStatus.OPEN, CaseStatus.PAUSED)

# What a case at its new centre carries over: the person, not the centre's record of work
# (contacts, plans, assessments and referrals stay with the old case, so that each centre's
# statistics count what it did).
CARRIED_FIELDS: tuple[str, ...] = (
    *CASE_PERSON_FIELDS,
    "first_contact_by",
    "withdrawal_since_year",
    "withdrawal_since_month",
    "severity",
    "support_stage",
    "status",
    "paused_until",
    "risk_self_harm",
    "risk_violence",
    "risk_8050",
    "risk_8050_unverified",
    "risk_parent_ill",
    "person_aware",
    "followup_interval_days",
    "escalation_grace_days",
    # The silence clock as it stands: the move is not a contact.
    "last_two_way_contact_at",
    "silence_clock_started_at",
    "silence_stage",
)
SENSITIVE_CARRIED_FIELDS: tuple[str, ...] = (
    "conditions",
    "medical_status",
    "disability_certificate",
    "collection_consent_recorded",
)


class StalePlan(ValidationError):
    """The caseload changed between the preview and the confirmation."""


def _check_owner(user: User, centre: Centre | int) -> None:
    if not case_owners(centre).filter(pk=user.pk).exists():
        raise ValidationError(
            _("担当者はこのセンターの在職中の相談員または所長から選んでください。")
        )


def _assign(
    *,
    case: Case,
    from_user_id: int | None,
    to: User,
    by: User,
    reason: str,
    at: dt.datetime,
    ip: str | None,
) -> CaseAssignment:
    assignment = CaseAssignment.objects.create(
        case=case,
        at=at,
        from_user_id=from_user_id,
        to_user=to,
        by=by,
        reason=reason,
    )
    case_audit_record(by=by, action=AuditAction.CREATE, obj=assignment, case=case, ip=ip)
    return assignment


@transaction.atomic
def case_reassign(
    *, case: Case, to: User, by: User, reason: str = "", ip: str | None = None
) -> CaseAssignment:
    """Make `to` the case's responsible counsellor, leaving the silence clock as it is."""
    current = Case.objects.select_for_update(of=("self",)).get(pk=case.pk)
    _check_owner(to, current.centre_id)
    if current.primary_counsellor_id == to.pk:
        raise ValidationError(_("すでにこの担当者のケースです。"))
    now = timezone.now()
    assignment = _assign(
        case=current,
        from_user_id=current.primary_counsellor_id,
        to=to,
        by=by,
        reason=reason,
        at=now,
        ip=ip,
    )
    # Only these columns: the silence clock (and the sweep's view of it) stays untouched.
    current.primary_counsellor = to
    current.version += 1
    current.save(update_fields=["primary_counsellor", "version", "updated_at"])
    for name in ("primary_counsellor", "version", "updated_at"):
        setattr(case, name, getattr(current, name))
    case_audit_change(by=by, obj=current, case=current, ip=ip, fields=["primary_counsellor"])
    return assignment


@dataclass(frozen=True)
class PlannedMove:
    case: Case
    to_user: User


@dataclass(frozen=True)
class CaseloadTransferPlan:
    """Who gets which of a leaving counsellor's cases. `fingerprint` names exactly these
    cases going to exactly these people: the confirmation carries it, and a plan that no
    longer matches the caseload is refused rather than applied differently."""

    centre: Centre
    from_user: User
    to_users: tuple[User, ...]
    moves: tuple[PlannedMove, ...]
    before: Mapping[int, int]  # colleague id → open caseload before the transfer
    fingerprint: str = field(init=False)

    def __post_init__(self) -> None:
        parts = [f"{self.centre.pk}:{self.from_user.pk}"]
        parts += [f"{move.case.pk}>{move.to_user.pk}" for move in self.moves]
        digest = hashlib.sha256(";".join(parts).encode()).hexdigest()[:32]
        object.__setattr__(self, "fingerprint", digest)

    @property
    def after(self) -> dict[int, int]:
        loads = dict(self.before)
        for move in self.moves:
            loads[move.to_user.pk] += 1
        return loads

    def loads(self) -> list[tuple[User, int, int]]:
        """(colleague, caseload before, caseload after), as chosen."""
        after = self.after
        return [(user, self.before[user.pk], after[user.pk]) for user in self.to_users]


def open_caseloads(centre: Centre | int, users: Iterable[User | int]) -> dict[int, int]:
    """Each user's open caseload (open or paused cases) at the centre, zero included."""
    ids = [user if isinstance(user, int) else user.pk for user in users]
    counts = dict(
        Case.objects.filter(centre=centre, primary_counsellor__in=ids, status__in=CASELOAD_STATUSES)
        .values_list("primary_counsellor")
        .annotate(n=Count("id"))
        .values_list("primary_counsellor", "n")
    )
    return {pk: counts.get(pk, 0) for pk in ids}


def caseload_transfer_plan(
    *,
    centre: Centre,
    from_user: User,
    to_users: Sequence[User],
    loads: Mapping[int, int] | None = None,
) -> CaseloadTransferPlan:
    """The preview: each open case of `from_user` at the centre (oldest number first) goes to
    the colleague with the fewest open cases at that moment, ties by name then id, so the
    same data always gives the same plan. `loads` (colleague id → open caseload) may be
    passed when the caller has counted them already."""
    colleagues = sorted(
        {user.pk: user for user in to_users if user.pk != from_user.pk}.values(),
        key=lambda user: (str(user), user.pk),
    )
    if loads is None:
        loads = open_caseloads(centre, colleagues)
    before = {user.pk: loads.get(user.pk, 0) for user in colleagues}
    cases = (
        Case.objects.filter(
            centre=centre, primary_counsellor=from_user, status__in=CASELOAD_STATUSES
        )
        .select_related("centre")
        .order_by("number")
    )
    current = dict(before)
    rank = {user.pk: index for index, user in enumerate(colleagues)}
    moves = []
    for case in cases if colleagues else []:
        to_user = min(colleagues, key=lambda user: (current[user.pk], rank[user.pk]))
        current[to_user.pk] += 1
        moves.append(PlannedMove(case=case, to_user=to_user))
    return CaseloadTransferPlan(
        centre=centre,
        from_user=from_user,
        to_users=tuple(colleagues),
        moves=tuple(moves),
        before=before,
    )


def caseload_plan_check(plan: CaseloadTransferPlan, fingerprint: str) -> None:
    """Refuse a confirmation whose preview no longer matches the plan made now."""
    if plan.fingerprint != fingerprint:
        raise StalePlan(
            _(
                "プレビューの後に担当ケースが変わりました。"
                "新しいプレビューを確認してから、もう一度確定してください。"
            )
        )


@transaction.atomic
def caseload_transfer(
    *, plan: CaseloadTransferPlan, by: User, reason: str = "", ip: str | None = None
) -> list[CaseAssignment]:
    """Apply the preview exactly: every case it names to the colleague it names. The
    leaving counsellor's cases are locked and the plan made again; if it differs (a case was
    opened, closed or reassigned since, or a colleague's caseload changed the split), nothing
    is changed and StalePlan says so."""
    if not plan.moves:
        raise ValidationError(_("引き継ぐ対応中のケースがありません。"))
    locked = Case.objects.select_for_update(of=("self",)).filter(
        centre=plan.centre, primary_counsellor=plan.from_user, status__in=CASELOAD_STATUSES
    )
    list(locked.order_by("id").values_list("id", flat=True))
    owners = set(
        case_owners(plan.centre)
        .filter(pk__in=[u.pk for u in plan.to_users])
        .values_list("pk", flat=True)
    )
    if owners != {user.pk for user in plan.to_users}:
        raise StalePlan(
            _("引き継ぎ先に、このセンターの在職中の相談員または所長でない人が含まれています。")
        )
    now_plan = caseload_transfer_plan(
        centre=plan.centre, from_user=plan.from_user, to_users=plan.to_users
    )
    caseload_plan_check(now_plan, plan.fingerprint)
    now = timezone.now()
    assignments = CaseAssignment.objects.bulk_create(
        CaseAssignment(
            case=move.case,
            at=now,
            from_user=plan.from_user,
            to_user=move.to_user,
            by=by,
            reason=reason,
        )
        for move in plan.moves
    )
    for user in plan.to_users:
        ids = [move.case.pk for move in plan.moves if move.to_user.pk == user.pk]
        # One UPDATE per colleague, of these columns only: the silence clock stays as it is.
        Case.objects.filter(pk__in=ids).update(
            primary_counsellor=user, version=F("version") + 1, updated_at=now
        )
    for move, assignment in zip(plan.moves, assignments, strict=True):
        move.case.primary_counsellor = move.to_user
        case_audit_record(by=by, action=AuditAction.CREATE, obj=assignment, case=move.case, ip=ip)
        case_audit_change(
            by=by, obj=move.case, case=move.case, ip=ip, fields=["primary_counsellor"]
        )
    return assignments


def _carried_next_check(old: Case, new: Case) -> dt.datetime | None:
    """The sweep's next look at the case under the new centre's cadence, the silence episode
    unchanged (a reminder already sent keeps the grace it promised, as in case_update)."""
    reminded_at = (
        old.next_check_at - dt.timedelta(days=old.effective_grace_days)
        if old.silence_stage == SilenceStage.REMINDED and old.next_check_at
        else None
    )
    return new.next_silence_check_at(reminded_at=reminded_at)


def can_move_between(user: User, *centres: Centre | int) -> bool:
    """A move needs a user who belongs to both centres (or an administrator)."""
    if user.sees_all_centres:
        return True
    ids = {centre if isinstance(centre, int) else centre.pk for centre in centres}
    return user.centres.filter(pk__in=ids).count() == len(ids)


@transaction.atomic
def case_move_to_centre(
    *,
    case: Case,
    to_centre: Centre,
    by: User,
    reason: str = "",
    counsellor: User | None = None,
    ip: str | None = None,
) -> Case:
    """The family moved: the case goes on at `to_centre` as a new case with that centre's
    next number, linked to the old one, which is closed as transferred and keeps its contact
    history (the old centre counted those contacts; the new one counts from the move). The
    person's details, the sensitive information and the silence clock are carried over."""
    old = Case.objects.select_for_update(of=("self",)).select_related("centre").get(pk=case.pk)
    if old.status == CaseStatus.CLOSED:
        raise ValidationError(_("終結したケースは移管できません。"))
    if to_centre.pk == old.centre_id:
        raise ValidationError(_("同じセンターへは移管できません。"))
    if not can_move_between(by, old.centre_id, to_centre):
        raise ValidationError(_("移管は、両方のセンターに所属する人だけが行えます。"))
    if counsellor is not None:
        _check_owner(counsellor, to_centre)
    now = timezone.now()
    new = Case(
        centre=to_centre,
        created_by=by,
        transferred_from=old,
        primary_counsellor=counsellor,
        first_contact_date=timezone.localdate(now),  # the case begins here on the move
        episode=1,
        **{name: getattr(old, name) for name in CARRIED_FIELDS},
    )
    new.number = case_next_number(centre=to_centre)
    new.search_text = name_search_text(new)
    new.next_check_at = _carried_next_check(old, new)
    new.full_clean(exclude=["number"])
    new.save()
    sensitive = CaseSensitiveInfo.objects.filter(case=old).values(*SENSITIVE_CARRIED_FIELDS)
    CaseSensitiveInfo.objects.create(case=new, **(sensitive.first() or {}))
    note = _("%(number)s から移管") % {"number": old.case_number}
    CaseStatusChange.objects.create(
        case=new,
        by=by,
        at=now,
        from_status="",
        to_status=new.status,
        paused_until=new.paused_until,
        episode=new.episode,
        note=note,
    )
    case_audit_record(by=by, action=AuditAction.CREATE, obj=new, case=new, ip=ip)
    if counsellor is not None:  # from the counsellor who had the case at the old centre
        _assign(
            case=new,
            from_user_id=old.primary_counsellor_id,
            to=counsellor,
            by=by,
            reason=reason,
            at=now,
            ip=ip,
        )
    case_change_status(
        case=old,
        by=by,
        to_status=CaseStatus.CLOSED,
        closure_reason=ClosureReason.TRANSFERRED,
        note=(_("%(number)s へ移管") % {"number": new.case_number} + f" {reason}").strip()[:300],
        ip=ip,
    )
    case.status, case.closure_reason = CaseStatus.CLOSED, ClosureReason.TRANSFERRED
    return new
