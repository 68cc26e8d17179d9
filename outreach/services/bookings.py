"""Staff bookings: one table for every duty (ibasho sessions now, home visits next), with an
exclusion constraint so nobody is on two duties at once, even when two saves race."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, transaction
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Centre, User
from outreach.models import BookingKind, IbashoSession, StaffBooking


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
    user: User, during: DateTimeTZRange, *, exclude_session: int | None
) -> StaffBooking | None:
    clashes = StaffBooking.objects.filter(user=user, during__overlap=during)
    if exclude_session is not None:
        clashes = clashes.exclude(session_id=exclude_session)
    return clashes.order_by("during").first()


DEADLOCK_DETECTED = "40P01"  # PostgreSQL's SQLSTATE


def _insert_booking(**fields: object) -> StaffBooking:
    """Insert in a savepoint. Unlike a unique index, an exclusion constraint lets two
    transactions inserting overlapping rows at the same moment each wait for the other's row:
    PostgreSQL breaks the deadlock by failing one of them. That one, its savepoint rolled back,
    inserts again: now it waits for the other to commit and meets its booking (the clash)."""
    for attempt in (1, 2):
        try:
            with transaction.atomic():
                return StaffBooking.objects.create(**fields)
        except OperationalError as error:
            deadlock = getattr(error.__cause__, "sqlstate", None) == DEADLOCK_DETECTED
            if attempt == 2 or not deadlock:
                raise
    raise AssertionError("unreachable")


def bookings_set(
    *,
    users: Iterable[User],
    centre: Centre,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    kind: str,
    session: IbashoSession | None = None,
) -> list[StaffBooking]:
    """Book exactly these users for the duty (replacing its earlier bookings). A clash is
    refused naming it; two transactions racing for the same person: the database lets one
    win and the other gets the same message."""
    during = DateTimeTZRange(starts_at, ends_at, "[)")
    staff = list(users)
    exclude = session.pk if session is not None else None
    for user in staff:
        clash = _first_clash(user, during, exclude_session=exclude)
        if clash is not None:
            raise ValidationError({"staff": _clash_message(user, clash)})
    if session is not None:
        StaffBooking.objects.filter(session=session).delete()
    bookings = []
    for user in staff:
        try:  # in a savepoint: the error is ours to translate
            bookings.append(
                _insert_booking(user=user, centre=centre, during=during, kind=kind, session=session)
            )
        except IntegrityError as error:
            if "no_double_booking" not in str(error):
                raise
            # Another transaction committed an overlapping booking after our check.
            clash = _first_clash(user, during, exclude_session=exclude)
            raise ValidationError(
                {"staff": _clash_message(user, clash) if clash else _("予定が重なっています。")}
            ) from error
    return bookings


def ibasho_bookings_set(*, session: IbashoSession, users: Iterable[User]) -> list[StaffBooking]:
    return bookings_set(
        users=users,
        centre=session.centre,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        kind=BookingKind.IBASHO,
        session=session,
    )
