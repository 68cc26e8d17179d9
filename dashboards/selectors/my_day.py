"""Reads for "my day" (今日の予定), the page a counsellor starts the day from: today's visits
and duties, the briefings still to read, their silent cases, their plans due for review and
their unread inbox. Always the signed-in user's own: no function here takes another user.

Four queries whatever the data (a manager's layout alone takes eight of the page's twelve):
the user's visits from the start of the week to a week ahead (today's, the week's count and
the briefings all come from those rows), their households (what the briefing's key is made
of), the user's cases that are silent or whose plan is due, and one row carrying today's
duties, the latest unread notifications and their total."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.contrib.postgres.expressions import ArraySubquery
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.db.models import (
    BooleanField,
    Count,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce, JSONObject
from django.utils import timezone

from accounts import access
from accounts.models import User
from cases.choices import CaseStatus, SilenceStage
from cases.models import Case, SupportPlan
from outreach.models import (
    OPEN_STATUSES,
    BookingKind,
    HomeVisit,
    StaffBooking,
    VisitAssignment,
)
from outreach.selectors.calendar import week_start
from outreach.services.visits import briefing_households, briefing_key
from reminders.models import Notification
from reminders.selectors import inbox

# Briefings are asked for today's visits and those of the 7 days after.
BRIEFING_DAYS_AHEAD = 7
# A plan is due when its review date has passed or comes within this many days.
PLAN_REVIEW_DAYS_AHEAD = 7
# Each card lists this many at most (one glance, no scrolling); the total is shown beside.
CARD_LIMIT = 5
SILENT_STAGES = (SilenceStage.REMINDED, SilenceStage.ESCALATED)


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


# --- visits and duties ------------------------------------------------------------------------


@dataclass(frozen=True)
class MyVisit:
    """One of the user's visits, and whether the user has read its current briefing."""

    visit: HomeVisit
    acknowledged: bool

    @property
    def case_number(self) -> str:
        return self.visit.case.case_number

    @property
    def called_off(self) -> bool:
        return self.visit.is_called_off


@dataclass(frozen=True)
class MyVisits:
    today: list[MyVisit]
    to_brief: list[MyVisit]  # open, today or in the next 7 days, briefing not acknowledged
    this_week: int  # Sunday to Saturday, as the week calendar shows it; not called off
    week_of: dt.date  # the Sunday the week starts on (the calendar link)


def my_visits(user: User, *, today: dt.date | None = None) -> MyVisits:
    """The user's visits from this week's Sunday to a week after today: one query, the rows
    being one person's fortnight at most."""
    today = today or timezone.localdate()  # Asia/Tokyo
    sunday = week_start(today)
    briefing_until = today + dt.timedelta(days=BRIEFING_DAYS_AHEAD + 1)
    assignments = list(
        access.scoped(VisitAssignment.objects.filter(user=user), user, centre_field="visit__centre")
        .filter(
            visit__starts_at__gte=_day_start(sunday),
            visit__starts_at__lt=_day_start(briefing_until),
        )
        .select_related("visit__case__centre")
        # What the cards show and the briefing's key is made of: never the visit's report.
        .only(
            "briefing_acknowledged_at",
            "briefing_key",
            "visit__starts_at",
            "visit__ends_at",
            "visit__status",
            "visit__checked_in_at",
            "visit__checked_out_at",
            "visit__case__number",
            "visit__case__risk_self_harm",
            "visit__case__risk_violence",
            "visit__case__risk_8050",
            "visit__case__risk_parent_ill",
            "visit__case__person_aware",
            "visit__case__centre__case_number_prefix",
        )
        .order_by("visit__starts_at", "visit_id")
    )
    # What briefing_key reads besides the case: one query for the fortnight's households.
    households = briefing_households({a.visit.case.pk for a in assignments})
    today_rows: list[MyVisit] = []
    to_brief: list[MyVisit] = []
    this_week = 0
    for assignment in assignments:
        visit = assignment.visit
        row = MyVisit(
            visit,
            assignment.has_acknowledged(briefing_key(visit.case, households[visit.case.pk])),
        )
        day = timezone.localdate(visit.starts_at)
        if day == today:
            today_rows.append(row)
        if day < sunday + dt.timedelta(days=7) and not row.called_off:
            this_week += 1
        if day >= today and visit.status in OPEN_STATUSES and not row.acknowledged:
            to_brief.append(row)
    return MyVisits(today_rows, to_brief, this_week, sunday)


@dataclass(frozen=True)
class Duty:
    """A booking of the user's that overlaps today, other than a home visit (those are listed
    with the visits): an ibasho session (`session_id`) or another duty."""

    kind: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    session_id: int | None
    title: str

    @property
    def kind_label(self) -> str:
        return str(BookingKind(self.kind).label)


def _todays_duties(user: User, today: dt.date) -> QuerySet[StaffBooking]:
    """A cancelled session's bookings are gone, so it is no longer a duty."""
    day = DateTimeTZRange(_day_start(today), _day_start(today + dt.timedelta(days=1)), "[)")
    return (
        access.scoped(StaffBooking.objects.filter(user=user), user)
        .exclude(kind=BookingKind.HOME_VISIT)
        .filter(during__overlap=day)
        .order_by("during", "id")
    )


# --- cases ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MyCases:
    silent: list[Case] = field(default_factory=list)  # escalated first, then longest silent
    plans_due: list[Case] = field(default_factory=list)  # with plan_id


def my_cases(user: User, *, today: dt.date | None = None) -> MyCases:
    """The user's cases that have gone silent (reminded or escalated: what the case list's
    "silent" filter shows) and their open cases whose current plan (the latest) is due for
    review. One query; the rows are one counsellor's caseload at most."""
    today = today or timezone.localdate()
    current_plan = SupportPlan.objects.filter(case=OuterRef("pk")).order_by("-created_at", "-id")
    silent = Q(silence_stage__in=SILENT_STAGES)
    due = Q(
        status=CaseStatus.OPEN,
        current_plan_review_on__lte=today + dt.timedelta(days=PLAN_REVIEW_DAYS_AHEAD),
    )
    cases = list(
        access.scoped(Case.objects.filter(primary_counsellor=user), user)
        .annotate(plan_id=Subquery(current_plan.values("pk")[:1]))
        .annotate(plan_due=ExpressionWrapper(due, output_field=BooleanField()))
        .filter(silent | Q(plan_due=True))
        .select_related("centre")
        .only(
            "centre__case_number_prefix",
            "number",
            "status",
            "silence_stage",
            "silence_clock_started_at",
            "last_two_way_contact_at",
            "current_plan_review_on",
        )
        .order_by("id")
    )
    return MyCases(
        silent=sorted(
            (case for case in cases if case.silence_stage in SILENT_STAGES),
            key=lambda case: (
                case.silence_stage != SilenceStage.ESCALATED,
                case.silence_clock_started_at,
            ),
        ),
        plans_due=sorted(
            (case for case in cases if case.plan_due),  # type: ignore[attr-defined]
            key=lambda case: case.current_plan_review_on or today,  # set: the filter read it
        ),
    )


# --- inbox ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnreadItem:
    pk: int
    kind: str
    context: dict[str, Any]
    created_at: dt.datetime


@dataclass(frozen=True)
class Unread:
    latest: list[UnreadItem]  # newest first
    count: int  # all unread, as the badge counts them


def _unread(user: User) -> QuerySet[Notification]:
    """The badge's rows (reminders.selectors.unread_count): in the inbox, not read, not done."""
    return inbox(user).filter(read_at__isnull=True)


# --- duties and inbox: one query ----------------------------------------------------------------


def _as_datetime(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


def duties_and_unread(
    user: User, *, today: dt.date | None = None, limit: int = CARD_LIMIT
) -> tuple[list[Duty], Unread]:
    """Today's duties, the latest unread notifications and their total, in one query: three
    subqueries on the user's own row, which is always there (the page must stay within its
    query budget for a manager, whose layout alone takes eight)."""
    today = today or timezone.localdate()
    duties = _todays_duties(user, today).values(
        json=JSONObject(
            kind="kind",
            starts_at=F("during__startswith"),
            ends_at=F("during__endswith"),
            session_id="session_id",
            theme="session__theme",
            place="session__place",
        )
    )
    latest = _unread(user).values(
        json=JSONObject(pk="id", kind="kind", context="context", created_at="created_at")
    )[:limit]
    total = _unread(user).order_by().values("recipient").annotate(n=Count("id")).values("n")
    row = (
        User.objects.filter(pk=user.pk)
        .annotate(
            my_duties=ArraySubquery(duties),
            my_unread=ArraySubquery(latest),
            my_unread_total=Coalesce(Subquery(total), 0),
        )
        .values("my_duties", "my_unread", "my_unread_total")
        .get()
    )
    return (
        [
            Duty(
                kind=d["kind"],
                starts_at=_as_datetime(d["starts_at"]),
                ends_at=_as_datetime(d["ends_at"]),
                session_id=d["session_id"],
                title=d["theme"] or d["place"] or "",
            )
            for d in row["my_duties"]
        ],
        Unread(
            [
                UnreadItem(n["pk"], n["kind"], n["context"], _as_datetime(n["created_at"]))
                for n in row["my_unread"]
            ],
            row["my_unread_total"],
        ),
    )


# --- the page ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class MyDay:
    today: dt.date
    visits: MyVisits
    duties: list[Duty]
    cases: MyCases
    unread: Unread
    casework: bool  # the silent-case and plan cards: for those who hold cases


def my_day(user: User, *, today: dt.date | None = None) -> MyDay:
    """Everything "my day" shows, for the user themselves. Staff hold no cases of their own,
    so their page has no case cards (and runs no query for them)."""
    today = today or timezone.localdate()
    casework = access.can(user, "plan.edit")
    duties, unread = duties_and_unread(user, today=today)
    return MyDay(
        today=today,
        visits=my_visits(user, today=today),
        duties=duties,
        cases=my_cases(user, today=today) if casework else MyCases(),
        unread=unread,
        casework=casework,
    )
