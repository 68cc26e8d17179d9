"""The ibasho on the case page: the first visit ever (a milestone), how often the person came
and a per-month trend. One aggregate query, whatever the number of visits."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.postgres.aggregates import ArrayAgg
from django.db.models import Count, DateField, Max, Min, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from cases.models import Case
from outreach.models import IbashoAttendance

TREND_MONTHS = 12


@dataclass(frozen=True)
class MonthVisits:
    month: dt.date  # the first day of the month (Asia/Tokyo)
    visits: int


@dataclass(frozen=True)
class IbashoSummary:
    first_visit_at: dt.datetime
    last_visit_at: dt.datetime
    visits: int
    # The last TREND_MONTHS months, the current one last; months without a visit count 0.
    months: list[MonthVisits]
    # Walk-ins linked to the case: the person came under a nickname before.
    walk_in_ids: list[int]


def month_starts(today: dt.date, count: int = TREND_MONTHS) -> list[dt.date]:
    """The first days of the `count` months ending with today's, oldest first."""
    year, month = today.year, today.month
    starts = []
    for _ in range(count):
        starts.append(dt.date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return starts[::-1]


def ibasho_summary(case: Case, *, today: dt.date | None = None) -> IbashoSummary | None:
    """None when the person never came. Months are Tokyo months (the database truncates in
    the project's time zone): a visit at 23:30 on 31 December counts in December."""
    rows = list(
        IbashoAttendance.objects.filter(case=case)
        .annotate(
            month=TruncMonth(
                "arrived_at", output_field=DateField(), tzinfo=timezone.get_default_timezone()
            )
        )
        .values("month")
        .annotate(
            visits=Count("id"),
            first=Min("arrived_at"),
            last=Max("arrived_at"),
            walk_ins=ArrayAgg("walk_in_id", distinct=True, filter=Q(walk_in__isnull=False)),
        )
        .order_by("month")
    )
    if not rows:
        return None
    by_month = {row["month"]: row["visits"] for row in rows}
    today = today or timezone.localdate(timezone=timezone.get_default_timezone())
    return IbashoSummary(
        first_visit_at=min(row["first"] for row in rows),
        last_visit_at=max(row["last"] for row in rows),
        visits=sum(by_month.values()),
        months=[MonthVisits(m, by_month.get(m, 0)) for m in month_starts(today)],
        walk_in_ids=sorted({pk for row in rows for pk in row["walk_ins"] or ()}),
    )
