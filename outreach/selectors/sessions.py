"""Reads for the ibasho session screens: the list, the month calendar and a session's page.
Each runs a fixed number of queries however many sessions or visitors there are."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from accounts import access
from accounts.models import User
from outreach.models import IbashoAttendance, IbashoSession, StaffBooking

# Sunday first, as Japanese calendars are laid out.
SUNDAY_FIRST = calendar.Calendar(firstweekday=calendar.SUNDAY)

_STAFF = Prefetch(
    "bookings",
    queryset=StaffBooking.objects.select_related("user").order_by("user__display_name", "user_id"),
    to_attr="staff_bookings",
)


def _with_numbers(queryset: QuerySet[IbashoSession]) -> QuerySet[IbashoSession]:
    """Each session with its named, walk-in and first-visit attendance (one join, no query
    per session)."""
    return queryset.annotate(
        named=Count("attendances", filter=Q(attendances__case__isnull=False)),
        walk_ins=Count("attendances", filter=Q(attendances__case__isnull=True)),
        first_visits=Count("attendances", filter=Q(attendances__first_visit=True)),
    )


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def session_list(user: User, *, past: bool = False) -> QuerySet[IbashoSession]:
    """Upcoming sessions from today on (soonest first), or the past ones (latest first)."""
    today = _day_start(timezone.localdate())
    sessions = access.scoped(IbashoSession.objects.all(), user)
    if past:
        sessions = sessions.filter(starts_at__lt=today).order_by("-starts_at", "-id")
    else:
        sessions = sessions.filter(starts_at__gte=today).order_by("starts_at", "id")
    return _with_numbers(sessions.select_related("centre", "series").prefetch_related(_STAFF))


@dataclass
class Numbers:
    """Attendance numbers: registered people, walk-ins, first visits ever."""

    named: int = 0
    walk_ins: int = 0
    first_visits: int = 0
    held: int = 0

    @property
    def total(self) -> int:
        return self.named + self.walk_ins


@dataclass
class CalendarDay:
    day: dt.date
    in_month: bool
    is_today: bool
    sessions: list[IbashoSession] = field(default_factory=list)


@dataclass
class MonthCalendar:
    first: dt.date
    weeks: list[list[CalendarDay]]
    numbers: Numbers
    previous: dt.date
    next: dt.date


def month_calendar(user: User, year: int, month: int) -> MonthCalendar:
    """The month's weeks, Sunday first, each day with its sessions (one query), and the
    month's attendance (cancelled sessions count for nothing; a session is held once it
    has started)."""
    weeks = SUNDAY_FIRST.monthdatescalendar(year, month)
    first = dt.date(year, month, 1)
    following = (first + dt.timedelta(days=31)).replace(day=1)
    sessions = _with_numbers(
        access.scoped(IbashoSession.objects.all(), user)
        .filter(
            starts_at__gte=_day_start(weeks[0][0]),
            starts_at__lt=_day_start(weeks[-1][-1] + dt.timedelta(days=1)),
        )
        .select_related("centre")
        .order_by("starts_at", "id")
    )
    by_day: dict[dt.date, list[IbashoSession]] = {}
    numbers = Numbers()
    now, today = timezone.now(), timezone.localdate()
    for session in sessions:
        day = timezone.localdate(session.starts_at)
        by_day.setdefault(day, []).append(session)
        if day.month != month or session.is_cancelled:
            continue  # a neighbouring month's day shown for the week, or not held
        numbers.named += session.named  # type: ignore[attr-defined]
        numbers.walk_ins += session.walk_ins  # type: ignore[attr-defined]
        numbers.first_visits += session.first_visits  # type: ignore[attr-defined]
        numbers.held += session.starts_at <= now
    return MonthCalendar(
        first=first,
        weeks=[
            [CalendarDay(d, d.month == month, d == today, by_day.get(d, [])) for d in week]
            for week in weeks
        ],
        numbers=numbers,
        previous=(first - dt.timedelta(days=1)).replace(day=1),
        next=following,
    )


def session_detail(session: IbashoSession) -> tuple[list[StaffBooking], list[IbashoAttendance]]:
    """The staff on duty and everyone who came (two queries)."""
    staff = list(session.bookings.select_related("user").order_by("user__display_name", "user_id"))
    attendances = list(
        session.attendances.select_related("case__centre", "walk_in").order_by("arrived_at", "id")
    )
    return staff, attendances


def attendance_numbers(attendances: list[IbashoAttendance]) -> Numbers:
    named = sum(1 for a in attendances if not a.is_walk_in)
    return Numbers(
        named=named,
        walk_ins=len(attendances) - named,
        first_visits=sum(1 for a in attendances if a.first_visit),
    )
