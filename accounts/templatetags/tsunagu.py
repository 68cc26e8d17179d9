"""Date filters for Japanese display: 2026年11月24日 and the 和暦 (令和8年11月24日)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.utils import timezone, translation
from django.utils.formats import date_format

from accounts.plain_forms import controls
from accounts.wareki import format_date as format_wareki

register = template.Library()


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
def isotime(value: dt.datetime | None) -> str:
    """A `<time datetime>` value: the local time to the second with its offset
    (2026-12-01T09:30:00+09:00). Django's `date:'c'` writes microseconds, which HTML refuses
    there (the Nu checker of the browser tests)."""
    if not value:
        return ""
    return timezone.localtime(value).replace(microsecond=0).isoformat()


@register.filter
def wareki(value: dt.date | dt.datetime | None) -> str:
    """Japanese era date, e.g. 令和8年11月24日 (the first year of an era is 元年); before 明治,
    the plain date."""
    if not value:
        return ""
    day = _as_local_date(value)
    return format_wareki(day) or jdate(day)


@register.simple_tag(takes_context=True)
def render_panel(context: Any, panel: dict[str, Any]) -> str:
    """A case page panel from another app (cases.hooks): its template, with its own context
    on top of the page's."""
    template = context.template.engine.get_template(panel["template"])
    with context.push(**panel):
        return template.render(context)


@register.inclusion_tag("_controls.html")
def plain_form(form: Any) -> dict[str, Any]:
    """`{% plain_form form %}`: the form's fields as plain Bootstrap markup
    (accounts.plain_forms), where crispy's template chain is too slow for the page."""
    return {"form": form, "controls": controls(form)}
