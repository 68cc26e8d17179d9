"""Validators the apps share."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:  # django-stubs-ext is a development dependency: for the type only
    from django_stubs_ext import StrOrPromise

# Ibasho sessions and family courses are planned from 2000 until two years ahead: a typo in
# the year (9999, 2062 for 2026) is refused with a clear message instead of booking staff for
# decades (or overflowing the calendar's arithmetic).
EARLIEST_DAY = dt.date(2000, 1, 1)
YEARS_AHEAD = 2


def latest_plannable_day(today: dt.date | None = None) -> dt.date:
    today = today or timezone.localdate()
    try:
        return today.replace(year=today.year + YEARS_AHEAD)
    except ValueError:  # 29 February
        return today.replace(year=today.year + YEARS_AHEAD, day=28)


@deconstructible
class PlannableDay:
    """A date, or a moment's Tokyo day, from `EARLIEST_DAY` to `YEARS_AHEAD` years from today
    (compared as instants, so that a moment at the edge of the calendar never overflows)."""

    def __init__(self, message: StrOrPromise | None = None) -> None:
        self.message = message  # in the words of the form it is on; the rule is the same

    def __call__(self, value: dt.date | dt.datetime) -> None:
        earliest, latest = EARLIEST_DAY, latest_plannable_day()
        if isinstance(value, dt.datetime):
            start = timezone.make_aware(dt.datetime.combine(earliest, dt.time.min))
            end = timezone.make_aware(dt.datetime.combine(latest, dt.time.max))
            inside = start <= value <= end
        else:
            inside = earliest <= value <= latest
        if not inside:
            raise ValidationError(
                self.message or _("日付は%(earliest)sから%(latest)sまでの間にしてください。"),
                code="out_of_range",
                params={"earliest": f"{earliest:%Y-%m-%d}", "latest": f"{latest:%Y-%m-%d}"},
            )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PlannableDay) and other.message == self.message

    def __hash__(self) -> int:
        return hash((PlannableDay, self.message))
