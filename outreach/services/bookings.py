"""Staff bookings: one table for every duty (ibasho sessions and home visits), with an
exclusion constraint so nobody is on two duties at once, even when two saves race."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, transaction
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Centre, User
from outreach.models import BookingKind, HomeVisit, IbashoSession, StaffBooking


def _clash_message(user: User, clash: StaffBooking) -> str:
    """Names the time and the kind of the other duty: never a client's name."""
    start, end = (timezone.localtime(clash.during.lower), timezone.localtime(clash.during.upper))
    return _("%(user)sさんは%(day)s %(start)s〜%(end)sに別の予定（%(kind)s）があります。") % {
        "user": user,
        "day": start.strftime("%Y-%m-%d"),
        "start": start.strftime("%H:%M"),
        "end": end.strftime("%H:%M"),
        "kind": clash.get_kind_display(),
    }


def _first_clash(
    users: Iterable[User], ranges: Iterable[DateTimeTZRange], *, exclude: Q | None
) -> StaffBooking | None:
    """The earliest booking of any of these users overlapping any of these times: one query,
    however many sessions a series books. `exclude`: the duty's own bookings, being replaced."""
    overlapping = Q()
    for during in ranges:
        overlapping |= Q(during__overlap=during)
    clashes = StaffBooking.objects.filter(overlapping, user__in=list(users))
    if exclude is not None:
        clashes = clashes.exclude(exclude)
    return clashes.select_related("user").order_by("during").first()


def _refuse_if_clash(
    users: list[User], ranges: list[DateTimeTZRange], *, exclude: Q | None
) -> None:
    clash = _first_clash(users, ranges, exclude=exclude)
    if clash is not None:
        raise ValidationError({"staff": _clash_message(clash.user, clash)})


DEADLOCK_DETECTED = "40P01"  # PostgreSQL's SQLSTATE


def _insert(bookings: list[StaffBooking]) -> list[StaffBooking]:
    """Insert in a savepoint. Unlike a unique index, an exclusion constraint lets two
    transactions inserting overlapping rows at the same moment each wait for the other's row:
    PostgreSQL breaks the deadlock by failing one of them. That one, its savepoint rolled back,
    inserts again: now it waits for the other to commit and meets its booking (the clash)."""
    for attempt in (1, 2):
        try:
            with transaction.atomic():
                return StaffBooking.objects.bulk_create(bookings)
        except OperationalError as error:
            deadlock = getattr(error.__cause__, "sqlstate", None) == DEADLOCK_DETECTED
            if attempt == 2 or not deadlock:
                raise
    raise AssertionError("unreachable")


def _book(
    bookings: list[StaffBooking],
    users: list[User],
    ranges: list[DateTimeTZRange],
    *,
    exclude: Q | None,
) -> list[StaffBooking]:
    """Insert the bookings checked beforehand; a booking another transaction committed after
    the check (the database refuses ours) is refused with the same message."""
    try:
        return _insert(bookings)
    except IntegrityError as error:
        if "no_double_booking" not in str(error):
            raise
        clash = _first_clash(users, ranges, exclude=exclude)
        message = _clash_message(clash.user, clash) if clash else _("予定が重なっています。")
        raise ValidationError({"staff": message}) from error


def bookings_set(
    *,
    users: Iterable[User],
    centre: Centre,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    kind: str,
    session: IbashoSession | None = None,
    visit: HomeVisit | None = None,
) -> list[StaffBooking]:
    """Book exactly these users for the duty (replacing its earlier bookings). A clash is
    refused naming it; two transactions racing for the same person: the database lets one
    win and the other gets the same message."""
    ranges = [DateTimeTZRange(starts_at, ends_at, "[)")]
    staff = list(users)
    own = _own_bookings(session=session, visit=visit)
    _refuse_if_clash(staff, ranges, exclude=own)
    if own is not None:
        StaffBooking.objects.filter(own).delete()
    bookings = [
        StaffBooking(
            user=user, centre=centre, during=ranges[0], kind=kind, session=session, visit=visit
        )
        for user in staff
    ]
    return _book(bookings, staff, ranges, exclude=own)


def _own_bookings(*, session: IbashoSession | None, visit: HomeVisit | None) -> Q | None:
    if session is not None and session.pk is not None:
        return Q(session_id=session.pk)
    if visit is not None and visit.pk is not None:
        return Q(visit_id=visit.pk)
    return None


def bookings_release(*, visit: HomeVisit) -> None:
    """A visit called off gives its staff their time back."""
    StaffBooking.objects.filter(visit=visit).delete()


def ibasho_sessions_book(*, sessions: list[IbashoSession], users: Iterable[User]) -> None:
    """New sessions (a series) booked at once: one check for all their times, one insert."""
    staff = list(users)
    ranges = [DateTimeTZRange(s.starts_at, s.ends_at, "[)") for s in sessions]
    if not staff or not ranges:
        return
    _refuse_if_clash(staff, ranges, exclude=None)
    bookings = [
        StaffBooking(
            user=user,
            centre=session.centre,
            during=during,
            kind=BookingKind.IBASHO,
            session=session,
        )
        for session, during in zip(sessions, ranges, strict=True)
        for user in staff
    ]
    _book(bookings, staff, ranges, exclude=None)


def ibasho_bookings_set(*, session: IbashoSession, users: Iterable[User]) -> list[StaffBooking]:
    return bookings_set(
        users=users,
        centre=session.centre,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        kind=BookingKind.IBASHO,
        session=session,
    )
