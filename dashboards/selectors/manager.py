"""Reads for the managers' dashboard. Whatever the centre holds, the page costs four queries
of its own (three for a manager of one centre): the centres to choose from, the open cases
grouped by counsellor, stage and severity with their warning counts, the visits of the coming
week with their staff, and one UNION ALL of every other count (the monthly trends, failed
notifications, missing check-outs).

Each number comes with the filter that lists exactly those records: the case list's filters
(cases/filters.py) for everything about cases, and the page the number is shown on (the
visits of the coming week are listed on the dashboard itself, as no visit list filters them).
The tests follow every link and count the rows."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any, cast

from django.core.cache import caches
from django.db.models import (
    CharField,
    Count,
    DateField,
    Max,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import TruncMonth
from django.http import Http404
from django.utils import timezone
from django.utils.formats import date_format

from accounts import access
from accounts.models import Centre, User
from cases.choices import CaseStatus, Severity, SilenceStage, SupportStage
from cases.filters import (
    CONTINGENCY_MISSING,
    PLAN_REVIEW_OVERDUE,
    SEVERITY_NONE,
    STATUS_ACTIVE,
    plan_review_overdue,
)
from cases.models import Case, ContactEntry
from cases.selectors import user_from_json, user_names
from families.models import AttendanceStatus, ProgrammeAttendance
from outreach.models import HomeVisit, IbashoAttendance, VisitAssignment, VisitStatus
from outreach.selectors.calendar import VisitItem, visit_item
from outreach.selectors.case_panel import month_starts
from outreach.services.visits import briefing_households
from reminders.models import Notification

UPCOMING_DAYS = 7
TREND_MONTHS = 12
# Visits still ahead: what must be announced and briefed before they may go ahead.
_AHEAD = (VisitStatus.PLANNED, VisitStatus.ANNOUNCED, VisitStatus.CONFIRMED)


# --- which centres ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DashboardScope:
    """The centres the numbers cover: the one asked for (`?centre=`), or all of the user's."""

    centre_ids: list[int]  # what is counted
    all_centre_ids: list[int]  # the user's centres
    chosen: int | None  # the centre asked for, if any
    centres: list[Centre]  # the user's centres to choose from (loaded only when several)

    @property
    def several_centres(self) -> bool:
        return len(self.centres) > 1

    @property
    def query(self) -> dict[str, int]:
        """Carried on by every link: a user of one centre sees nothing else anyway."""
        return {"centre": self.chosen} if self.several_centres and self.chosen else {}

    @property
    def shows_every_centre(self) -> bool:
        """Several centres' records side by side: lists name each record's centre."""
        return self.several_centres and not self.chosen

    @property
    def chosen_centre(self) -> Centre | None:
        return next((c for c in self.centres if c.pk == self.chosen), None)


def dashboard_scope(user: User, params: Mapping[str, str]) -> DashboardScope:
    """A centre that is not the user's, or not a number, is a 404 (never a 403: that would
    confirm it exists). One query (the user's centres), a second when they have several."""
    ids = sorted(access.centre_ids(user))
    if not ids:
        raise Http404
    chosen: int | None = None
    if params.get("centre"):
        try:
            chosen = int(params["centre"])
        except ValueError as exc:
            raise Http404 from exc
        if chosen not in ids:
            raise Http404
    centres = list(access.user_centres(user).order_by("id")) if len(ids) > 1 else []
    return DashboardScope(
        centre_ids=[chosen] if chosen else ids, all_centre_ids=ids, chosen=chosen, centres=centres
    )


# --- the cases ---------------------------------------------------------------------------------


@dataclass
class CaseloadRow:
    counsellor_id: int | None  # None: no counsellor assigned
    name: str
    by_stage: dict[str, int] = field(default_factory=dict)
    by_severity: dict[str, int] = field(default_factory=dict)
    total: int = 0
    silent: int = 0


@dataclass(frozen=True)
class CaseCounts:
    rows: list[CaseloadRow]
    stage_totals: dict[str, int]
    severity_totals: dict[str, int]
    total: int
    reminded: int
    escalated: int
    plan_overdue: int
    households_8050: int
    missing_contingency: int

    @property
    def silent(self) -> int:
        return self.reminded + self.escalated


# The columns of the caseload tables: the stages, and the severities with "not yet judged".
STAGES = [value for value, _label in SupportStage.choices]
SEVERITIES = [*(value for value, _label in Severity.choices), ""]


def severity_param(severity: str) -> str:
    return severity or SEVERITY_NONE


def case_counts(centre_ids: list[int], *, today: dt.date | None = None) -> CaseCounts:
    """One GROUP BY counsellor over the centres' open and paused cases: the caseload (open
    cases per counsellor by stage and severity) and, counted in the same pass, the silence
    stages and overdue plan reviews of open cases and the 80/50 households of open and paused
    ones (as families.selectors.cases_8050 counts them, pinned by a test)."""
    today = today or timezone.localdate()
    open_case = Q(status=CaseStatus.OPEN)
    by_stage = {
        f"stage_{stage}": Count("pk", filter=open_case & Q(support_stage=stage)) for stage in STAGES
    }
    by_severity = {
        f"severity_{severity}": Count("pk", filter=open_case & Q(severity=severity))
        for severity in SEVERITIES
    }
    groups = (
        Case.objects.filter(centre_id__in=centre_ids)
        .exclude(status=CaseStatus.CLOSED)
        # A row per counsellor (some fifty), each number a filtered count of it: grouping on
        # status, stage and severity as well made a thousand rows for Python to add up
        # (docs/performance.md "The dashboard's Python and its caseload statement"). The
        # name columns are taken with MAX() (one value per id): one short key to group on.
        .values("primary_counsellor_id")
        .annotate(
            counsellor_username=Max("primary_counsellor__username"),
            counsellor_display_name=Max("primary_counsellor__display_name"),
            counsellor_first_name=Max("primary_counsellor__first_name"),
            counsellor_last_name=Max("primary_counsellor__last_name"),
            n=Count("pk", filter=open_case),
            **by_stage,
            **by_severity,
            reminded=Count("pk", filter=open_case & Q(silence_stage=SilenceStage.REMINDED)),
            escalated=Count("pk", filter=open_case & Q(silence_stage=SilenceStage.ESCALATED)),
            plan_overdue=Count("pk", filter=open_case & plan_review_overdue(today)),
            households_8050=Count("pk", filter=Q(risk_8050=True)),
            missing_contingency=Count(
                "pk", filter=Q(risk_8050=True, contingency_plan__isnull=True)
            ),
        )
        .order_by()
    )
    rows: list[CaseloadRow] = []
    totals: dict[str, int] = defaultdict(int)
    stage_totals: dict[str, int] = dict.fromkeys(STAGES, 0)
    severity_totals: dict[str, int] = dict.fromkeys(SEVERITIES, 0)
    counted: Iterable[Mapping[str, Any]] = groups  # a row per counsellor, the counts by name
    for group in counted:
        for name in ("n", "reminded", "escalated", "plan_overdue"):
            totals[name] += group[name]
        totals["households_8050"] += group["households_8050"]
        totals["missing_contingency"] += group["missing_contingency"]
        if not group["n"]:
            continue  # only paused cases: no caseload row
        row = _caseload_row(group)
        for stage in STAGES:
            if n := group[f"stage_{stage}"]:
                row.by_stage[stage] = n
                stage_totals[stage] += n
        for severity in SEVERITIES:
            if n := group[f"severity_{severity}"]:
                row.by_severity[severity] = n
                severity_totals[severity] += n
        row.total = group["n"]
        row.silent = group["reminded"] + group["escalated"]
        rows.append(row)
    ordered = sorted(rows, key=lambda r: (r.counsellor_id is None, r.name, r.counsellor_id or 0))
    return CaseCounts(
        rows=ordered,
        stage_totals=stage_totals,
        severity_totals=severity_totals,
        total=totals["n"],
        reminded=totals["reminded"],
        escalated=totals["escalated"],
        plan_overdue=totals["plan_overdue"],
        households_8050=totals["households_8050"],
        missing_contingency=totals["missing_contingency"],
    )


def _caseload_row(group: Mapping[str, Any]) -> CaseloadRow:
    if group["primary_counsellor_id"] is None:
        return CaseloadRow(counsellor_id=None, name="")
    # Named as everywhere else (User.__str__), from the columns the grouping already read.
    user = User(
        username=group["counsellor_username"],
        display_name=group["counsellor_display_name"],
        first_name=group["counsellor_first_name"],
        last_name=group["counsellor_last_name"],
    )
    return CaseloadRow(counsellor_id=group["primary_counsellor_id"], name=str(user))


# The case list's filter behind each number (the dashboard adds ?centre= when it is scoped).
OPEN = {"status": CaseStatus.OPEN.value}


def counsellor_param(counsellor_id: int | None) -> str:
    return "null" if counsellor_id is None else str(counsellor_id)


def case_filters() -> dict[str, dict[str, str]]:
    return {
        "open": OPEN,
        "silent": {**OPEN, "silent": "true"},
        "reminded": {**OPEN, "silence_stage": SilenceStage.REMINDED.value},
        "escalated": {**OPEN, "silence_stage": SilenceStage.ESCALATED.value},
        "plan_overdue": {**OPEN, "plan_review": PLAN_REVIEW_OVERDUE},
        "households_8050": {"status": STATUS_ACTIVE, "risk": "8050"},
        "missing_contingency": {
            "status": STATUS_ACTIVE,
            "risk": "8050",
            "contingency": CONTINGENCY_MISSING,
        },
    }


# --- the visits of the coming week -------------------------------------------------------------


@dataclass(frozen=True)
class UpcomingVisits:
    items: list[VisitItem]
    first_day: dt.date
    last_day: dt.date

    @property
    def unannounced(self) -> int:
        return sum(1 for item in self.items if item.unannounced)

    @property
    def unbriefed(self) -> int:
        return sum(1 for item in self.items if item.unbriefed)


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


# What the table and the calendar's rule (visit_item, briefing_key, checkout_overdue) read of
# the visits, and of their staff. A row per assignment with its visit, case and user built
# six model instances per row (some 1,200 a request at 100k cases, half of them copies of the
# same visit): now the visits are read once each, and the staff as plain values made into
# one user per person (docs/performance.md, "The dashboard's visits"). A column read later
# would be a query per visit: the query-count test at 1× and 20× catches it.
_UPCOMING_VISIT_COLUMNS = (
    "status",
    "starts_at",
    "ends_at",
    "checked_out_at",
    "centre__name",
    "centre__safety_checkout_grace_minutes",
    "case__number",
    "case__person_aware",
    "case__risk_self_harm",
    "case__risk_violence",
    "case__risk_8050",
    "case__risk_parent_ill",
    "case__centre__case_number_prefix",
)


def _upcoming_staff(visit_ids: list[int]) -> dict[int, list[VisitAssignment]]:
    """Each visit's staff (by name, as the calendar lists them), from plain values: an
    assignment with just what `has_acknowledged` reads, and one user per person, named from
    their name columns (cases.selectors.user_from_json)."""
    staff: dict[int, list[VisitAssignment]] = {visit_id: [] for visit_id in visit_ids}
    users: dict[int, User] = {}
    rows = (
        VisitAssignment.objects.filter(visit_id__in=visit_ids)
        .order_by("user__display_name", "user_id")
        .values(
            "visit_id", "briefing_acknowledged_at", "briefing_key", "user_id", **user_names("user")
        )
    )
    for row in rows:
        values: dict[str, Any] = dict(row)
        user = users.get(values["user_id"])
        if user is None:  # an assignment always has its user: never None here
            user = users[values["user_id"]] = cast(User, user_from_json(values, "user"))
        staff[values["visit_id"]].append(
            VisitAssignment(
                visit_id=values["visit_id"],
                user=user,
                briefing_acknowledged_at=values["briefing_acknowledged_at"],
                briefing_key=values["briefing_key"],
            )
        )
    return staff


def upcoming_visits(centre_ids: list[int], *, today: dt.date | None = None) -> UpcomingVisits:
    """The visits still ahead from today to six days on (Tokyo days), with what is still to
    do, judged as the visits calendar judges it (outreach.selectors.calendar.visit_item).
    Three queries: the visits with their case, their staff, and the households of those
    cases."""
    today = today or timezone.localdate()
    last_day = today + dt.timedelta(days=UPCOMING_DAYS - 1)
    visits = list(
        HomeVisit.objects.filter(
            centre_id__in=centre_ids,
            status__in=_AHEAD,
            starts_at__gte=_day_start(today),
            starts_at__lt=_day_start(last_day + dt.timedelta(days=1)),
        )
        .select_related("case__centre", "centre")
        .only(*_UPCOMING_VISIT_COLUMNS)
        .order_by("starts_at", "id")
    )
    staff = _upcoming_staff([visit.pk for visit in visits])
    # The briefing's facts include the household.
    households = briefing_households(visit.case_id for visit in visits)
    items = []
    for visit in visits:
        # What prefetch_related("assignments") would have stored: the calendar's one rule
        # then reads it without another query.
        visit._prefetched_objects_cache = {"assignments": staff[visit.pk]}  # type: ignore[attr-defined]
        items.append(visit_item(visit, households[visit.case_id]))
    return UpcomingVisits(items=items, first_day=today, last_day=last_day)


# --- every other count, in one statement ---------------------------------------------------------


@dataclass(frozen=True)
class MonthCount:
    month: dt.date  # the first day of a Tokyo month
    count: int


@dataclass(frozen=True)
class Trends:
    months: list[dt.date]
    series: dict[str, dict[dt.date, int]]
    failed_notifications: int
    missing_checkouts: int

    def monthly(self, name: str) -> list[MonthCount]:
        counts = self.series.get(name, {})
        return [MonthCount(month, counts.get(month, 0)) for month in self.months]


def _month(expression: str) -> TruncMonth:
    return TruncMonth(expression, output_field=DateField(), tzinfo=timezone.get_default_timezone())


def _monthly(queryset: QuerySet[Any], name: str, month: TruncMonth) -> QuerySet[Any]:
    return (
        queryset.annotate(series=Value(name, output_field=CharField()), month=month)
        .values("series", "month")
        .annotate(n=Count("*"))  # not the id: the contacts are counted from an index alone
        .order_by()
    )


def _month_by_month(
    queryset: QuerySet[Any], name: str, field_name: str, months: list[dt.date], end: dt.date
) -> list[QuerySet[Any]]:
    """`_monthly` for a big series (a centre's contacts: 87,000 a year at 100k cases): one
    COUNT(*) per month over its index range, instead of truncating every row's time to its
    Tokyo month to group on it (twelve months of one centre 46 → 15 ms)."""
    return [
        queryset.filter(
            **{f"{field_name}__gte": _day_start(first), f"{field_name}__lt": _day_start(following)}
        )
        .annotate(
            series=Value(name, output_field=CharField()),
            month=Value(first, output_field=DateField()),
        )
        .values("series", "month")
        .annotate(n=Count("*"))
        .order_by()
        for first, following in pairwise([*months, end])
    ]


def _total(queryset: QuerySet[Any], name: str) -> QuerySet[Any]:
    return (
        queryset.annotate(
            series=Value(name, output_field=CharField()),
            month=Value(None, output_field=DateField()),
        )
        .values("series", "month")
        .annotate(n=Count("pk"))
        .order_by()
    )


# The complete months of the trends (all but the current one) hardly change: only an entry
# dated back into them does. They are kept per web process for PAST_MONTHS_SECONDS, so a busy
# dashboard reads only the current month (one month's rows instead of twelve); the current
# month and the "now" totals are always read live. docs/performance.md, "The dashboard".
PAST_MONTHS_CACHE = "dashboards"
PAST_MONTHS_SECONDS = 600


def _past_months_key(centre_ids: list[int], first: dt.date, current: dt.date) -> str:
    return f"trends:{','.join(map(str, sorted(centre_ids)))}:{first:%Y%m}:{current:%Y%m}"


def trends(
    centre_ids: list[int], *, all_centre_ids: list[int], today: dt.date | None = None
) -> Trends:
    """New cases (by the month of first contact, as the case list's `opened` filter), contacts
    (every entry of the log: 延件数), ibasho attendance (named and walk-ins, by the session's
    start) and
    family-class attendance (attended, by the session's start) per Tokyo month over the last
    twelve months, and the failed notifications and missing check-outs now. Those two are
    counted over all the user's centres (`all_centre_ids`), as the pages they link to (the
    escalations page, the safety page and its banner) list them. One statement; the complete
    months come from the cache when they are there (PAST_MONTHS_CACHE)."""
    today = today or timezone.localdate()
    months = month_starts(today, TREND_MONTHS)
    end = dt.date(today.year + today.month // 12, today.month % 12 + 1, 1)
    current = months[-1]
    cache = caches[PAST_MONTHS_CACHE]
    key = _past_months_key(centre_ids, months[0], current)
    past: dict[str, dict[dt.date, int]] | None = cache.get(key)
    start = current if past is not None else months[0]
    start_at, end_at = _day_start(start), _day_start(end)
    # By the month of the session, as the statistics count them and the calendar each month
    # links to lists them: a centre's sessions of the months, then each one's attendances
    # from an index (by arrival, every centre's attendances of the months were scanned).
    ibasho = IbashoAttendance.objects.filter(
        session__centre_id__in=centre_ids,
        session__starts_at__gte=start_at,
        session__starts_at__lt=end_at,
    )
    parts = [
        _monthly(
            Case.objects.filter(
                centre_id__in=centre_ids,
                first_contact_date__gte=start,
                first_contact_date__lt=end,
            ),
            "new_cases",
            TruncMonth("first_contact_date", output_field=DateField()),
        ),
        *_month_by_month(
            ContactEntry.objects.filter(centre_id__in=centre_ids),
            "contacts",
            "occurred_at",
            [month for month in months if month >= start],
            end,
        ),
        _monthly(ibasho.filter(case__isnull=False), "ibasho_named", _month("session__starts_at")),
        # A walk-in's attendance has no case, so a nickname (attendance_of_someone): said
        # outright, the planner reads each session's walk-ins from walk_in_once_per_session
        # instead of every centre's attendances without a case.
        _monthly(
            ibasho.filter(case__isnull=True, walk_in__isnull=False),
            "ibasho_walk_ins",
            _month("session__starts_at"),
        ),
        _monthly(
            ProgrammeAttendance.objects.filter(
                session__programme__centre_id__in=centre_ids,
                status=AttendanceStatus.ATTENDED,
                session__starts_at__gte=start_at,
                session__starts_at__lt=end_at,
            ),
            "family_class",
            _month("session__starts_at"),
        ),
        _total(
            Notification.objects.filter(centre_id__in=all_centre_ids, failed_at__isnull=False),
            "failed",
        ),
        # As outreach.selectors.visits counts them for the safety banner and page.
        _total(
            HomeVisit.objects.filter(
                centre_id__in=all_centre_ids,
                status=VisitStatus.IN_PROGRESS,
                checked_out_at__isnull=True,
                checkout_alerted_at__isnull=False,
            ),
            "missing_checkouts",
        ),
    ]
    first, *others = parts
    series: dict[str, dict[dt.date, int]] = defaultdict(dict)
    totals: dict[str, int] = {}
    for row in first.union(*others, all=True):
        if row["month"] is None:
            totals[row["series"]] = row["n"]
        elif row["n"]:  # a month counted by _month_by_month may be empty: as if not grouped
            series[row["series"]][row["month"]] = row["n"]
    if past is None:
        past = {
            name: {month: n for month, n in counts.items() if month < current}
            for name, counts in series.items()
        }
        cache.set(key, past, PAST_MONTHS_SECONDS)
    else:
        for name, counts in past.items():
            series[name].update(counts)
    return Trends(
        months=months,
        series=dict(series),
        failed_notifications=totals.get("failed", 0),
        missing_checkouts=totals.get("missing_checkouts", 0),
    )


def chart_data(
    trend: Trends, datasets: Iterable[tuple[str, str, str]], *, stacked: bool = False
) -> dict[str, Any]:
    """What static/js/bar-charts.js draws: labels and (label, colour, values) series."""
    return {
        "labels": [date_format(month, "YEAR_MONTH_FORMAT") for month in trend.months],
        "stacked": stacked,
        "datasets": [
            {"label": label, "color": colour, "values": [m.count for m in trend.monthly(name)]}
            for name, label, colour in datasets
        ],
    }
