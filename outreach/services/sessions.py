"""Ibasho sessions and their recurring series: create a series in one step, edit or cancel one
occurrence or this and all later ones. A session that already has attendance is never deleted
by a series change: it is kept, and the conflict is reported.

Every change locks the session row (FOR UPDATE) and reads it again under the lock; a check-in
holds the same row FOR SHARE (`attendance`), so a cancel or a move and a check-in at the same
moment happen one after the other, and the later one sees the earlier."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import AuditAction, Centre, User
from accounts.services import audit_record, centre_staff
from cases.services import lock_current
from outreach.models import IbashoSeries, IbashoSession
from outreach.services.bookings import ibasho_bookings_set, ibasho_sessions_book


def series_dates(series: IbashoSeries) -> list[dt.date]:
    """Every day of the series: its weekdays, every week or every other week (counted from
    the week it starts in), from `starts_on` to `ends_on`. (Counted by offsets, never a day
    past `ends_on`: the last day of the calendar has no next day.)"""
    starts_on = series.starts_on
    first_week_day = starts_on.isoweekday() - 1  # days since that week's Monday
    days = []
    for offset in range((series.ends_on - starts_on).days + 1):
        day = starts_on + dt.timedelta(days=offset)
        week = (first_week_day + offset) // 7
        if day.isoweekday() in series.weekdays and week % series.every_weeks == 0:
            days.append(day)
    return days


def _at(day: dt.date, time: dt.time) -> dt.datetime:
    """A wall-clock time in Tokyo on that day (Asia/Tokyo has no daylight saving)."""
    return timezone.make_aware(dt.datetime.combine(day, time))


@transaction.atomic
def session_create(
    *,
    centre: Centre,
    by: User,
    fields: Mapping[str, Any],
    staff: Iterable[User],
    series: IbashoSeries | None = None,
    ip: str | None = None,
) -> IbashoSession:
    session = IbashoSession(centre=centre, series=series, created_by=by, **fields)
    session.full_clean(exclude=["centre", "series", "created_by"])
    session.save()
    ibasho_bookings_set(session=session, users=centre_staff(centre, staff, field="staff"))
    audit_record(user=by, action=AuditAction.CREATE, obj=session, centre_id=centre.pk, ip=ip)
    return session


@transaction.atomic
def series_create(
    *,
    centre: Centre,
    by: User,
    fields: Mapping[str, Any],
    staff: Iterable[User],
    ip: str | None = None,
) -> IbashoSeries:
    """The series and all its sessions in one step, each with its staff booked."""
    series = IbashoSeries(centre=centre, created_by=by, **fields)
    series.full_clean(exclude=["centre", "created_by"])
    if not series.weekdays:
        raise ValidationError({"weekdays": _("曜日を選んでください。")})
    series.save()
    staff = centre_staff(centre, staff, field="staff")
    sessions = IbashoSession.objects.bulk_create(
        IbashoSession(
            centre=centre,
            series=series,
            place=series.place,
            starts_at=_at(day, series.start_time),
            ends_at=_at(day, series.end_time),
            theme=series.title,
            capacity=series.capacity,
            created_by=by,
        )
        for day in series_dates(series)
    )
    ibasho_sessions_book(sessions=sessions, users=staff)
    audit_record(user=by, action=AuditAction.CREATE, obj=series, centre_id=centre.pk, ip=ip)
    return series


def _lock_for_edit(session: IbashoSession, expected_version: int) -> IbashoSession:
    """The session as saved, locked, if nobody changed it since the form was loaded (else
    `StaleEdit`) and it is not cancelled."""
    current = lock_current(
        IbashoSession.objects.select_related("centre", "series"), session.pk, expected_version
    )
    if current.is_cancelled:
        raise ValidationError(_("中止になった回は変更できません。"))
    return current


def _check_day_kept(session: IbashoSession, starts_at: dt.datetime) -> None:
    """People who came were checked in on the session's day (`attendance._check_open`): the
    session stays on that day. A new time on the same day is fine."""
    moved = timezone.localdate(starts_at) != timezone.localdate(session.starts_at)
    if moved and session.attendances.exists():
        raise ValidationError(
            {
                "starts_at": _(
                    "来所の記録がある回は、別の日に移せません（同じ日の時刻は変更できます）。"
                )
            }
        )


@transaction.atomic
def session_update(
    *,
    session: IbashoSession,
    by: User,
    changes: Mapping[str, Any],
    expected_version: int,
    staff: Iterable[User] | None = None,
    ip: str | None = None,
) -> IbashoSession:
    """Edit one occurrence: it leaves its series' later changes alone from now on. Nothing
    changed is nothing done (the occurrence stays part of its series). Refused (`StaleEdit`)
    if someone saved it since `expected_version` was read."""
    session = _lock_for_edit(session, expected_version)
    changes = {name: value for name, value in changes.items() if getattr(session, name) != value}
    if not changes and staff is None:
        return session
    if "starts_at" in changes:
        _check_day_kept(session, changes["starts_at"])
    for name, value in changes.items():
        setattr(session, name, value)
    session.detached = session.series_id is not None
    session.full_clean(exclude=["centre", "series", "created_by"])
    session.version += 1
    session.save()
    if staff is not None or {"starts_at", "ends_at"} & set(changes):
        users = (
            staff
            if staff is not None
            else [b.user for b in session.bookings.select_related("user")]
        )
        ibasho_bookings_set(
            session=session, users=centre_staff(session.centre, users, field="staff")
        )
    audit_record(
        user=by,
        action=AuditAction.CHANGE,
        obj=session,
        centre_id=session.centre_id,
        ip=ip,
        changed_fields=[*changes, *(["staff"] if staff is not None else [])],
    )
    return session


@dataclass
class SeriesChange:
    changed: int = 0
    cancelled: int = 0
    # Sessions kept as they were, because people already came or they were edited on their
    # own: shown to the user.
    kept: list[IbashoSession] = field(default_factory=list)


def _series_of(session: IbashoSession) -> IbashoSeries:
    assert session.series is not None  # only a series' sessions reach "this and later"
    return session.series


def _this_and_later(session: IbashoSession) -> list[IbashoSession]:
    """Locked (FOR UPDATE, in date order) and read under the lock: a check-in under way is
    waited for, so its attendance is seen, and an occurrence cancelled meanwhile is left out."""
    assert session.series_id is not None
    return list(
        IbashoSession.objects.select_for_update()
        .filter(
            series_id=session.series_id, starts_at__gte=session.starts_at, cancelled_at__isnull=True
        )
        .order_by("starts_at")
    )


@transaction.atomic
def series_update_from(
    *,
    session: IbashoSession,
    by: User,
    place: str,
    start_time: dt.time,
    end_time: dt.time,
    staff: Iterable[User],
    expected_version: int,
    ip: str | None = None,
) -> SeriesChange:
    """This and all later occurrences get a new place, time or staff. An occurrence edited on
    its own, or one that people already came to, is kept as it is (and reported). Refused
    (`StaleEdit`) if someone saved this occurrence since `expected_version` was read."""
    session = _lock_for_edit(session, expected_version)
    result = SeriesChange()
    staff = centre_staff(session.centre, staff, field="staff")
    for occurrence in _this_and_later(session):
        if occurrence.detached or occurrence.attendances.exists():
            result.kept.append(occurrence)
            continue
        day = timezone.localdate(occurrence.starts_at)
        occurrence.place = place
        occurrence.starts_at, occurrence.ends_at = _at(day, start_time), _at(day, end_time)
        occurrence.full_clean(exclude=["centre", "series", "created_by"])
        occurrence.version += 1
        occurrence.save(update_fields=["place", "starts_at", "ends_at", "version"])
        ibasho_bookings_set(session=occurrence, users=staff)
        result.changed += 1
    audit_record(
        user=by,
        action=AuditAction.CHANGE,
        obj=_series_of(session),
        centre_id=session.centre_id,
        ip=ip,
        changed_fields=["place", "start_time", "end_time", "staff"],
    )
    return result


def _cancel(session: IbashoSession, *, reason: str) -> None:
    session.cancelled_at = timezone.now()
    session.cancel_reason = reason
    session.version += 1
    session.save(update_fields=["cancelled_at", "cancel_reason", "version"])
    session.bookings.all().delete()  # the staff are free for other duties


@transaction.atomic
def session_cancel(
    *, session: IbashoSession, by: User, reason: str, ip: str | None = None
) -> IbashoSession:
    """Cancel one occurrence (the staff's time is freed). One that people already came to
    can't be cancelled: it happened. Cancelled already (another tab) is cancelled once."""
    if not reason.strip():
        raise ValidationError({"cancel_reason": _("中止の理由を入力してください。")})
    # Locked, then read: a check-in under way (holding the row FOR SHARE) is waited for and
    # then seen, and one that comes after waits for this cancel and then sees it.
    session = IbashoSession.objects.select_for_update().get(pk=session.pk)
    if session.is_cancelled:
        return session
    if session.attendances.exists():
        raise ValidationError(_("来所の記録がある回は中止にできません。"))
    _cancel(session, reason=reason)
    audit_record(
        user=by,
        action=AuditAction.CHANGE,
        obj=session,
        centre_id=session.centre_id,
        ip=ip,
        changed_fields=["cancelled_at"],
    )
    return session


@transaction.atomic
def series_cancel_from(
    *, session: IbashoSession, by: User, reason: str, ip: str | None = None
) -> SeriesChange:
    """Cancel this and all later occurrences (the series ends). Those with attendance are
    kept: they happened."""
    if not reason.strip():
        raise ValidationError({"cancel_reason": _("中止の理由を入力してください。")})
    result = SeriesChange()
    for occurrence in _this_and_later(session):
        if occurrence.attendances.exists():
            result.kept.append(occurrence)
            continue
        _cancel(occurrence, reason=reason)
        result.cancelled += 1
    audit_record(
        user=by,
        action=AuditAction.CHANGE,
        obj=_series_of(session),
        centre_id=session.centre_id,
        ip=ip,
        changed_fields=["cancelled_from"],
    )
    return result
