"""Who came to a session. A registered person's attendance is a two-way contact with the
person (channel 居場所) written through `cases.services.contact_record`: it resets the silence
clock and is on the case's timeline; correcting or deleting the attendance corrects that one
contact. A walk-in touches no case until staff link it, with the person's recorded consent.

A check-in holds its session row FOR SHARE and reads it under that lock: a cancel (which locks
the row FOR UPDATE) waits for check-ins under way and is then refused, and a check-in that
comes during a cancel waits for it and is then refused; check-ins from several tablets don't
wait for each other. Their inserts can still meet (a double tap, two tablets): each insert is
in a savepoint, and the one that loses returns the row that won."""

from __future__ import annotations

import datetime as dt
import functools
import operator
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import AuditAction, User
from accounts.services import audit_record
from cases import services as case_services
from cases.choices import CaseStatus, Channel, ConsentScope, ContactSource, Counterpart
from cases.models import Case, Consent, ContactEntry
from outreach.models import IbashoAttendance, IbashoSession, WalkIn

MILESTONES = (
    "first_visit",
    "stayed_whole_session",
    "talked_with_others",
    "joined_activity",
    "first_time_alone",
)


def _on_session_day(session: IbashoSession, at: dt.datetime) -> bool:
    return timezone.localdate(at) == timezone.localdate(session.starts_at)


def _check_open(session: IbashoSession, at: dt.datetime) -> None:
    """People come to a session on its day; the time recorded is when they did."""
    if session.is_cancelled:
        raise ValidationError(_("この回は中止になっています。"))
    if not _on_session_day(session, at):
        raise ValidationError(_("来所と退出は、その回の日に記録してください。"))


def _share_locked[M: models.Model](model: type[M], pk: int) -> M:
    """The row as committed now, locked FOR SHARE until the transaction ends: a writer that
    locks it FOR UPDATE (a cancel, a link) waits for us, and we for it (then reading what it
    did), while check-ins don't wait for each other. Django's select_for_update has no
    FOR SHARE."""
    table = connection.ops.quote_name(model._meta.db_table)
    sql = f"SELECT * FROM {table} WHERE id = %s FOR SHARE"  # noqa: S608 -- the model's table
    rows = list(model._default_manager.raw(sql, [pk]))
    if not rows:
        raise ObjectDoesNotExist(f"{model._meta.label} {pk}")
    return rows[0]


def _open_for_check_in(session: IbashoSession, at: dt.datetime) -> IbashoSession:
    """The session as it is now (cancelled meanwhile?), held until the check-in commits."""
    current = _share_locked(IbashoSession, session.pk)
    _check_open(current, at)
    return current


def _same_visit(
    session: IbashoSession,
    *,
    case: Case | None = None,
    walk_in: WalkIn | None = None,
    client_key: uuid.UUID | None = None,
) -> IbashoAttendance | None:
    """The attendance at this session that is this one: the person's, the walk-in's, or the
    one this form (its one-time key) already made."""
    keys = {"case": case, "walk_in": walk_in, "client_key": client_key}
    same = [Q(**{name: value}) for name, value in keys.items() if value is not None]
    if not same:
        return None
    query = functools.reduce(operator.or_, same)
    return IbashoAttendance.objects.filter(query, session=session).order_by("id").first()


def _insert_once(
    make: Callable[[], IbashoAttendance],
    session: IbashoSession,
    *,
    case: Case | None = None,
    walk_in: WalkIn | None = None,
    client_key: uuid.UUID | None = None,
) -> tuple[IbashoAttendance, bool]:
    """Insert in a savepoint: when another request inserted the same visit a moment earlier
    (a unique constraint), the savepoint is rolled back (with any row `make` wrote first) and
    the transaction goes on with theirs. Returns (attendance, created)."""
    try:
        with transaction.atomic():
            return make(), True
    except IntegrityError:
        winner = _same_visit(session, case=case, walk_in=walk_in, client_key=client_key)
        if winner is None:  # some other constraint: not a double
            raise
        return winner, False


def _contact_fields(attendance: IbashoAttendance) -> dict[str, Any]:
    return {
        "occurred_at": attendance.arrived_at,
        "duration_minutes": min(attendance.minutes() if attendance.left_at else 0, 24 * 60),
        "channel": Channel.IBASHO,
        "counterpart": Counterpart.PERSON,
        "two_way": True,
    }


def _write_contact(attendance: IbashoAttendance, *, by: User, ip: str | None) -> None:
    assert attendance.case is not None
    attendance.contact = case_services.contact_record(
        case=attendance.case,
        by=by,
        fields=_contact_fields(attendance),
        source=ContactSource.IBASHO,
        ip=ip,
    )
    attendance.save(update_fields=["contact"])


def _audit(
    attendance: IbashoAttendance, *, by: User, action: AuditAction, ip: str | None, fields: Any = ()
) -> None:
    if attendance.case is not None:
        case_services.case_audit_record(
            by=by, action=action, obj=attendance, case=attendance.case, ip=ip, changed_fields=fields
        )
    else:
        audit_record(
            user=by,
            action=action,
            obj=attendance,
            centre_id=attendance.session.centre_id,
            ip=ip,
            changed_fields=fields,
        )


@transaction.atomic
def check_in_case(
    *,
    session: IbashoSession,
    case: Case,
    by: User,
    at: dt.datetime | None = None,
    walk_in: WalkIn | None = None,
    ip: str | None = None,
) -> IbashoAttendance:
    """The person is here. Twice (a double tap) is once: the second finds the first. With
    `walk_in` (the person's linked nickname, checked in by it) the visit is the walk-in's too:
    undoing the link takes it back with the others."""
    at = at or timezone.now()
    session = _open_for_check_in(session, at)
    if case.centre_id != session.centre_id:
        raise ValidationError(_("他のセンターのケースは受付できません。"))
    if case.status == CaseStatus.CLOSED:
        raise ValidationError(
            _("終結したケースは名前で受付できません。ニックネームで受付してください。")
        )
    existing = _same_visit(session, case=case, walk_in=walk_in)
    if existing is not None:
        return existing
    came_before = Q(case=case) | Q(walk_in=walk_in) if walk_in is not None else Q(case=case)
    new = IbashoAttendance(
        session=session,
        case=case,
        walk_in=walk_in,
        arrived_at=at,
        first_visit=not IbashoAttendance.objects.filter(came_before).exists(),
        created_by=by,
    )

    def insert() -> IbashoAttendance:
        new.save()
        return new

    attendance, created = _insert_once(insert, session, case=case, walk_in=walk_in)
    if not created:  # the same tap, a moment earlier, from another request
        return attendance
    _write_contact(attendance, by=by, ip=ip)
    _audit(attendance, by=by, action=AuditAction.CREATE, ip=ip)
    return attendance


@transaction.atomic
def check_in_walk_in(
    *,
    session: IbashoSession,
    by: User,
    client_key: uuid.UUID,
    walk_in: WalkIn | None = None,
    nickname: str = "",
    fields: Mapping[str, Any] | None = None,
    at: dt.datetime | None = None,
    ip: str | None = None,
) -> IbashoAttendance:
    """A visitor known by a nickname: someone who came before (`walk_in`) or a new one. The
    form's one-time key makes a double tap one check-in; the same earlier visitor from two
    tablets is one check-in too."""
    at = at or timezone.now()
    session = _open_for_check_in(session, at)
    again = _same_visit(session, client_key=client_key)
    if again is not None:
        return again
    if walk_in is not None:
        if walk_in.centre_id != session.centre_id:
            raise ValidationError(_("他のセンターの来所者は受付できません。"))
        # As it is now, held: a link made meanwhile is seen, and one made after waits for
        # this visit and then moves it to the case with the others.
        walk_in = _share_locked(WalkIn, walk_in.pk)
        if walk_in.case is not None:  # linked: the person is checked in, by their nickname
            return check_in_case(
                session=session, case=walk_in.case, walk_in=walk_in, by=by, at=at, ip=ip
            )
        existing = _same_visit(session, walk_in=walk_in)
        if existing is not None:
            return existing
    elif not nickname.strip():
        raise ValidationError({"nickname": _("ニックネームを入力してください。")})
    earlier = walk_in

    def insert() -> IbashoAttendance:
        # A new visitor's walk-in is made in the savepoint too: a double tap that loses
        # leaves no second walk-in behind.
        visitor = earlier or _new_walk_in(session, nickname, fields or {})
        return IbashoAttendance.objects.create(
            session=session,
            walk_in=visitor,
            arrived_at=at,
            first_visit=earlier is None or not earlier.attendances.exists(),
            client_key=client_key,
            created_by=by,
        )

    attendance, created = _insert_once(insert, session, walk_in=earlier, client_key=client_key)
    if created:
        _audit(attendance, by=by, action=AuditAction.CREATE, ip=ip)
    return attendance


def _new_walk_in(session: IbashoSession, nickname: str, fields: Mapping[str, Any]) -> WalkIn:
    walk_in = WalkIn(centre_id=session.centre_id, nickname=nickname.strip(), **fields)
    walk_in.search_text = case_services.normalise_for_search(walk_in.nickname)
    walk_in.full_clean(exclude=["centre", "case", "consent", "linked_by"])
    walk_in.save()
    return walk_in


@transaction.atomic
def check_out(
    *, attendance: IbashoAttendance, by: User, at: dt.datetime | None = None, ip: str | None = None
) -> IbashoAttendance:
    """Left the room. A second tap changes nothing. The contact gets its length."""
    attendance = IbashoAttendance.objects.select_for_update().get(pk=attendance.pk)
    if attendance.left_at is not None:
        return attendance
    at = at or timezone.now()
    _check_open(attendance.session, at)
    return _correct(attendance, by=by, changes={"left_at": at}, ip=ip)


def _correct(
    attendance: IbashoAttendance, *, by: User, changes: Mapping[str, Any], ip: str | None
) -> IbashoAttendance:
    for name, value in changes.items():
        setattr(attendance, name, value)
    attendance.version += 1
    attendance.full_clean(exclude=["session", "case", "walk_in", "contact", "created_by"])
    attendance.save()
    if attendance.contact is not None and {"arrived_at", "left_at"} & set(changes):
        case_services.contact_correct(
            entry=attendance.contact, by=by, changes=_contact_fields(attendance), ip=ip
        )
    _audit(attendance, by=by, action=AuditAction.CHANGE, ip=ip, fields=changes.keys())
    return attendance


@transaction.atomic
def attendance_correct(
    *,
    attendance: IbashoAttendance,
    by: User,
    changes: Mapping[str, Any],
    expected_version: int,
    ip: str | None = None,
) -> IbashoAttendance:
    """Correct times, the note or the milestones; the case's contact follows. The times stay
    on the session's day, as at the door."""
    current = case_services.lock_current(
        IbashoAttendance.objects.select_related("session"), attendance.pk, expected_version
    )
    allowed = {"arrived_at", "left_at", "note", *MILESTONES}
    changes = {k: v for k, v in changes.items() if k in allowed}
    off_day = {
        name: _("来所と退出は、その回の日に記録してください。")
        for name in ("arrived_at", "left_at")
        if changes.get(name) is not None and not _on_session_day(current.session, changes[name])
    }
    if off_day:
        raise ValidationError(off_day)
    return _correct(current, by=by, changes=changes, ip=ip)


@transaction.atomic
def attendance_delete(*, attendance: IbashoAttendance, by: User, ip: str | None = None) -> None:
    """Checked in by mistake: the attendance goes, and its contact with it (the silence clock
    goes back as if it had never been recorded). On the audit trail."""
    attendance = IbashoAttendance.objects.select_for_update().get(pk=attendance.pk)
    _audit(attendance, by=by, action=AuditAction.DELETE, ip=ip)
    contact = attendance.contact
    attendance.delete()
    if contact is not None:
        case_services.contact_retract(entry=contact, by=by, ip=ip)


# --- linking a walk-in to a case ---------------------------------------------------------


def ibasho_consents(case: Case) -> list[Consent]:
    """The consents that allow a walk-in's visits to be written to the person's case."""
    today = timezone.localdate()
    return [
        c for c in case.consents.filter(scope=ConsentScope.IBASHO_RECORD) if c.is_active_on(today)
    ]


@transaction.atomic
def walk_in_link(
    *, walk_in: WalkIn, case: Case, consent: Consent, by: User, ip: str | None = None
) -> WalkIn:
    """The visitor is this person, who agreed to it being recorded: their earlier visits move
    to the case and become contacts dated when they happened."""
    walk_in = WalkIn.objects.select_for_update().get(pk=walk_in.pk)
    if walk_in.case_id is not None:
        raise ValidationError(_("この来所者はすでにケースに結びつけられています。"))
    if case.centre_id != walk_in.centre_id:
        raise ValidationError(_("他のセンターのケースとは結びつけられません。"))
    if consent.case_id != case.pk or consent not in ibasho_consents(case):
        raise ValidationError(
            {
                "consent": _(
                    "このケースの「居場所の利用をケース記録に残す」同意（有効なもの）を選んでください。"
                )
            }
        )
    walk_in.case, walk_in.consent, walk_in.linked_by, walk_in.linked_at = (
        case,
        consent,
        by,
        timezone.now(),
    )
    walk_in.save(update_fields=["case", "consent", "linked_by", "linked_at"])
    already = set(IbashoAttendance.objects.filter(case=case).values_list("session_id", flat=True))
    for attendance in (
        walk_in.attendances.filter(case__isnull=True)
        .select_related("session")
        .order_by("arrived_at")
    ):
        if attendance.session_id in already:
            continue  # checked in as themselves that day too: one visit, one contact
        attendance.case = case
        attendance.save(update_fields=["case"])
        _write_contact(attendance, by=by, ip=ip)
    case_services.case_audit_record(
        by=by,
        action=AuditAction.CHANGE,
        obj=walk_in,
        case=case,
        ip=ip,
        changed_fields=["case", "consent"],
    )
    return walk_in


@transaction.atomic
def walk_in_unlink(*, walk_in: WalkIn, by: User, ip: str | None = None) -> WalkIn:
    """Undo a link: the visits are the walk-in's again and their contacts are taken back."""
    walk_in = WalkIn.objects.select_for_update().get(pk=walk_in.pk)
    case = walk_in.case
    if case is None:
        raise ValidationError(_("この来所者はケースに結びつけられていません。"))
    for attendance in walk_in.attendances.filter(case=case):
        contact: ContactEntry | None = attendance.contact
        attendance.case, attendance.contact = None, None
        attendance.save(update_fields=["case", "contact"])
        if contact is not None:
            case_services.contact_retract(entry=contact, by=by, ip=ip)
    walk_in.case, walk_in.consent, walk_in.linked_by, walk_in.linked_at = None, None, None, None
    walk_in.save(update_fields=["case", "consent", "linked_by", "linked_at"])
    case_services.case_audit_record(
        by=by,
        action=AuditAction.CHANGE,
        obj=walk_in,
        case=case,
        ip=ip,
        changed_fields=["case", "consent"],
    )
    return walk_in
