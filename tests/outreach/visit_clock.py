"""The home-visit tests' shared clock: a Monday morning in Tokyo, days counted from it, and
a visit planned on that morning (the notice period counts from when a visit is planned)."""

from __future__ import annotations

import datetime as dt

import time_machine

from outreach import services
from outreach.models import HomeVisit

TOKYO = dt.timezone(dt.timedelta(hours=9))
NOW = dt.datetime(2026, 11, 2, 9, 0, tzinfo=TOKYO)  # a Monday morning


def on(days: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    """`days` after NOW's day, at hour:minute in Tokyo."""
    return dt.datetime.combine(
        NOW.date() + dt.timedelta(days=days), dt.time(hour, minute), tzinfo=TOKYO
    )


def at(moment: dt.datetime) -> time_machine.travel:
    return time_machine.travel(moment, tick=False)


def planned(case, by, staff, *, days: int = 14, hour: int = 10) -> HomeVisit:
    """A one-hour visit `days` ahead, planned at NOW."""
    starts_at = on(days, hour)
    with at(NOW):
        return services.visit_plan(
            case=case,
            by=by,
            starts_at=starts_at,
            ends_at=starts_at + dt.timedelta(hours=1),
            purpose="近況をうかがう",
            staff=staff,
        )
