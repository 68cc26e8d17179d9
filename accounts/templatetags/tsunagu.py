"""Date filters for Japanese display: 2026年11月24日 and the 和暦 (令和8年11月24日)."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone, translation
from django.utils.formats import date_format

register = template.Library()

# (first day of the era, name). 令和 began 2019-05-01.
ERAS = [
    (dt.date(2019, 5, 1), "令和"),
    (dt.date(1989, 1, 8), "平成"),
    (dt.date(1926, 12, 25), "昭和"),
    (dt.date(1912, 7, 30), "大正"),
    (dt.date(1868, 10, 23), "明治"),
]


def _as_local_date(value: dt.date | dt.datetime) -> dt.date:
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.date()
    return value


@register.filter
def jdate(value: dt.date | dt.datetime | None) -> str:
    """2026年11月24日 in Japanese, 24 Nov 2026 in English; local (Asia/Tokyo) date."""
    if not value:
        return ""
    day = _as_local_date(value)
    if translation.get_language() == "ja":
        return f"{day.year}年{day.month}月{day.day}日"
    return date_format(day, "j M Y")


@register.filter
def jdatetime(value: dt.datetime | None) -> str:
    if not value:
        return ""
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return f"{jdate(local)} {local:%H:%M}"


@register.filter
def wareki(value: dt.date | dt.datetime | None) -> str:
    """Japanese era date, e.g. 令和8年11月24日 (the first year of an era is 元年)."""
    if not value:
        return ""
    day = _as_local_date(value)
    for start, name in ERAS:
        if day >= start:
            year = day.year - start.year + 1
            year_text = "元" if year == 1 else str(year)
            return f"{name}{year_text}年{day.month}月{day.day}日"
    return jdate(day)
