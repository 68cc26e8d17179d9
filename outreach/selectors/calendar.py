"""Reads for the visits calendar (home visits and ibasho duties, month and week, per centre
and per staff member) and for each user's private iCalendar feed. Each runs a fixed number
of queries however many visits there are.

The calendar shows a visit by its case number only (訪問 K-0123): it is seen on screens
across the office, so no name, address or note of the person is ever on it."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts import access
from accounts.models import Centre, User
from outreach.models import (
    CALLED_OFF_STATUSES,
    BookingKind,
    CalendarFeed,
    HomeVisit,
    IbashoSession,
    StaffBooking,
    VisitAssignment,
    VisitStatus,
)
from outreach.services.visits import BRIEFING_PREFETCH, HouseholdFacts, briefing_key

# Sunday first, as Japanese calendars are laid out.
SUNDAY_FIRST = calendar.Calendar(firstweekday=calendar.SUNDAY)

# Before the visit starts, every assignee must have read the current briefing.
_BRIEFING_DUE = (VisitStatus.PLANNED, VisitStatus.ANNOUNCED, VisitStatus.CONFIRMED)

# What the feed carries: a month back (the report still to write) and half a year ahead.
FEED_PAST = dt.timedelta(days=30)
FEED_AHEAD = dt.timedelta(days=180)


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _as_id(value: str | None) -> int | None:
    """A query parameter's id; anything else is a page that does not exist."""
    if value in (None, ""):
        return None
    try:
        return int(value)  # type: ignore[arg-type]
    except ValueError as exc:
        raise Http404 from exc


# --- whose calendar -------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """Which centre's calendar, and whose: the whole centre, or one member's duties."""

    centre: Centre
    centres: list[Centre]
    members: list[User]
    staff: User | None
    user: User

    @property
    def several_centres(self) -> bool:
        return len(self.centres) > 1

    @property
    def user_is_member(self) -> bool:
        return any(member.pk == self.user.pk for member in self.members)

    @property
    def query(self) -> dict[str, int]:
        """The filter, carried on by the navigation links."""
        query = {"centre": self.centre.pk} if self.several_centres else {}
        if self.staff is not None:
            query["staff"] = self.staff.pk
        return query


def calendar_scope(user: User, params: Mapping[str, str]) -> Scope:
    """The centre asked for (`?centre=`; the user's first by default) and, with `?staff=`,
    one of its members. A centre the user does not belong to, or someone who is not a member
    of the chosen centre, is a 404: the calendar shows nothing of another centre, not even
    that a member exists. Two queries."""
    centres = list(access.user_centres(user).order_by("id"))
    if not centres:
        raise Http404
    centre_id = _as_id(params.get("centre"))
    centre = next((c for c in centres if c.pk == centre_id), None) if centre_id else centres[0]
    if centre is None:
        raise Http404
    members = list(
        User.objects.filter(centres=centre, is_active=True).order_by("display_name", "id")
    )
    staff_id = _as_id(params.get("staff"))
    staff = next((m for m in members if m.pk == staff_id), None) if staff_id else None
    if staff_id and staff is None:
        raise Http404
    return Scope(centre=centre, centres=centres, members=members, staff=staff, user=user)


# --- what is on it --------------------------------------------------------------------------


@dataclass(frozen=True)
class VisitItem:
    """A visit as the calendar shows it: the case number, the time, the staff, the status,
    and what still needs doing before it may go ahead."""

    visit: HomeVisit
    staff: tuple[User, ...]
    briefed: int
    unannounced: bool
    unbriefed: bool
    overdue: bool

    @property
    def case_number(self) -> str:
        return self.visit.case.case_number

    @property
    def called_off(self) -> bool:
        return self.visit.is_called_off


def visit_item(visit: HomeVisit, household: list[HouseholdFacts] | None = None) -> VisitItem:
    """From the visit's prefetched assignments (with their users) and its case, and the
    case's household as briefing_key reads it (prefetched, or given: briefing_households)."""
    assignments = list(visit.assignments.all())
    key = briefing_key(visit.case, household)
    briefed = sum(1 for a in assignments if a.has_acknowledged(key))
    return VisitItem(
        visit=visit,
        staff=tuple(a.user for a in assignments),
        briefed=briefed,
        unannounced=visit.status == VisitStatus.PLANNED,
        unbriefed=visit.status in _BRIEFING_DUE and briefed < len(assignments),
        overdue=visit.checkout_overdue,
    )


_ASSIGNMENTS = Prefetch(
    "assignments",
    queryset=VisitAssignment.objects.select_related("user").order_by(
        "user__display_name", "user_id"
    ),
)


def _visits(scope: Scope, first: dt.date, last: dt.date) -> QuerySet[HomeVisit]:
    visits = (
        access.scoped(HomeVisit.objects.all(), scope.user)
        .filter(
            centre=scope.centre,
            starts_at__gte=_day_start(first),
            starts_at__lt=_day_start(last + dt.timedelta(days=1)),
        )
        .select_related("centre", "case__centre")
        .prefetch_related(_ASSIGNMENTS, BRIEFING_PREFETCH)
        .order_by("starts_at", "id")
    )
    if scope.staff is not None:
        visits = visits.filter(assignments__user=scope.staff)
    return visits


@dataclass(frozen=True)
class DutyItem:
    """An ibasho session and the staff on duty at it."""

    session: IbashoSession
    staff: tuple[User, ...]


def _duties(scope: Scope, first: dt.date, last: dt.date) -> list[DutyItem]:
    """The ibasho sessions with staff on duty (one query over the bookings), not cancelled.
    For one member: the sessions they are on, with everyone else on them."""
    sessions = access.scoped(IbashoSession.objects.all(), scope.user).filter(
        centre=scope.centre,
        cancelled_at__isnull=True,
        starts_at__gte=_day_start(first),
        starts_at__lt=_day_start(last + dt.timedelta(days=1)),
    )
    if scope.staff is not None:
        sessions = sessions.filter(bookings__user=scope.staff, bookings__kind=BookingKind.IBASHO)
    bookings = (
        StaffBooking.objects.filter(kind=BookingKind.IBASHO, session__in=sessions)
        .select_related("session", "user")
        .order_by("session__starts_at", "session_id", "user__display_name", "user_id")
    )
    by_session: dict[int, tuple[IbashoSession, list[User]]] = {}
    for booking in bookings:
        assert booking.session is not None  # an ibasho booking always has its session
        entry = by_session.setdefault(booking.session.pk, (booking.session, []))
        entry[1].append(booking.user)
    return [DutyItem(session, tuple(staff)) for session, staff in by_session.values()]


@dataclass
class Day:
    day: dt.date
    in_period: bool
    is_today: bool
    visits: list[VisitItem] = field(default_factory=list)
    duties: list[DutyItem] = field(default_factory=list)

    @property
    def is_sunday(self) -> bool:
        return self.day.isoweekday() == 7

    @property
    def is_saturday(self) -> bool:
        return self.day.isoweekday() == 6


@dataclass
class Period:
    """A month (its weeks, Sunday first) or one week, with where the arrows lead."""

    first: dt.date
    last: dt.date
    weeks: list[list[Day]]
    previous: dt.date
    next: dt.date

    @property
    def days(self) -> list[Day]:
        return [day for week in self.weeks for day in week]

    @property
    def visits(self) -> list[VisitItem]:
        return [item for day in self.days for item in day.visits]


def _period(scope: Scope, weeks: list[list[dt.date]], month: int | None = None) -> list[list[Day]]:
    """The days, each with its visits and duties (three queries in all)."""
    first, last = weeks[0][0], weeks[-1][-1]
    visits: dict[dt.date, list[VisitItem]] = {}
    for visit in _visits(scope, first, last):
        visits.setdefault(timezone.localdate(visit.starts_at), []).append(visit_item(visit))
    duties: dict[dt.date, list[DutyItem]] = {}
    for duty in _duties(scope, first, last):
        duties.setdefault(timezone.localdate(duty.session.starts_at), []).append(duty)
    today = timezone.localdate()
    return [
        [
            Day(
                day,
                month is None or day.month == month,
                day == today,
                visits.get(day, []),
                duties.get(day, []),
            )
            for day in week
        ]
        for week in weeks
    ]


def month_calendar(scope: Scope, year: int, month: int) -> Period:
    """The month's weeks, Sunday first (with the neighbouring months' days that fill them)."""
    first = dt.date(year, month, 1)
    following = (first + dt.timedelta(days=31)).replace(day=1)
    weeks = SUNDAY_FIRST.monthdatescalendar(year, month)
    return Period(
        first=first,
        last=following - dt.timedelta(days=1),
        weeks=_period(scope, weeks, month),
        previous=(first - dt.timedelta(days=1)).replace(day=1),
        next=following,
    )


def week_start(day: dt.date) -> dt.date:
    """The Sunday the day's week starts on."""
    return day - dt.timedelta(days=day.isoweekday() % 7)


def week_calendar(scope: Scope, day: dt.date) -> Period:
    sunday = week_start(day)
    week = [sunday + dt.timedelta(days=n) for n in range(7)]
    return Period(
        first=sunday,
        last=week[-1],
        weeks=_period(scope, [week]),
        previous=sunday - dt.timedelta(days=7),
        next=sunday + dt.timedelta(days=7),
    )


# --- the private iCalendar feed ---------------------------------------------------------------


def feed_visits(user: User) -> QuerySet[HomeVisit]:
    """The visits the user is assigned to, in their centres, from a month back to half a year
    ahead; not those called off (cancelled, postponed, missed): they leave the subscribed
    calendar at its next refresh. One query."""
    now = timezone.now()
    return (
        access.scoped(HomeVisit.objects.all(), user)
        .filter(
            assignments__user=user,
            starts_at__gte=now - FEED_PAST,
            starts_at__lt=now + FEED_AHEAD,
        )
        .exclude(status__in=CALLED_OFF_STATUSES)
        .select_related("case__centre")
        .order_by("starts_at", "id")
    )


def feed_for_token(token: str) -> CalendarFeed | None:
    """The feed behind a secret address, if its user may still use it (active, and allowed
    to see visits). One query."""
    if not token or len(token) > 64:
        return None
    feed = (
        CalendarFeed.objects.select_related("user")
        .filter(token=token, user__is_active=True)
        .first()
    )
    if feed is None or not access.can(feed.user, "visit.view"):
        return None
    return feed
