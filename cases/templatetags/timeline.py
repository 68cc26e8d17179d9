"""`{% timeline_rows timeline %}`: the case page's timeline rows (cases.selectors.case_timeline)
written in Python, not by the template language.

A case with 2,000 contacts shows up to 300 rows of each kind; in the template each row cost
about sixteen variable resolutions, escapes and tag renders (≈ 60 % of the page's CPU,
docs/performance.md "Case page"). Here each row is a few escaped strings joined. The markup
is the one `templates/cases/_timeline.html` had: an `<article class="timeline-item kind-…">`
per row, the same classes and test ids, every value escaped."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.template.defaultfilters import linebreaksbr
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from accounts.markup import escape
from cases.selectors import TimelineItem

register = template.Library()


def _words() -> dict[str, str]:
    """The fixed words, translated once a page and escaped once."""
    return {
        "one_way": escape(_("一方向")),
        "status": escape(_("状態")),
        "assessment": escape(_("アセスメント")),
        "total": escape(_("合計")),
        "cutoff": escape(_("カットオフ以上")),
        "milestone": escape(_("小さな一歩")),
        "assignment": escape(_("担当者の変更")),
        "referral": escape(_("つなぎ")),
    }


def _who(item: TimelineItem) -> str:
    return f'<small class="text-body-secondary">· {escape(item.who)}</small>'


def _body(item: TimelineItem, words: dict[str, str], health: bool) -> str:
    o: Any = item.obj
    kind = item.kind
    if kind == "contact":  # the contact is the dict the query read (many rows)
        parts = [f"<div><strong>{escape(item.title)}</strong> · {escape(item.summary)}"]
        if not o["two_way"]:
            parts.append(f' <span class="badge text-bg-light border">{words["one_way"]}</span>')
        if o["duration_minutes"]:
            parts.append(f' <small class="text-body-secondary">{escape(item.duration)}</small>')
        parts.append(f" {_who(item)}</div>")
        if o["note"]:
            parts.append(f'<div class="mt-1">{linebreaksbr(o["note"], autoescape=True)}</div>')
        if o["next_action"]:
            parts.append(f'<div class="small mt-1">➡ {escape(o["next_action"])}</div>')
        return "".join(parts)
    if kind == "status":
        note = f'<div class="small">{escape(o.note)}</div>' if o.note else ""
        return (
            f"<div><strong>{words['status']}:</strong> {escape(item.summary)} {_who(item)}</div>"
            + note
        )
    if kind == "assessment":
        if not health:  # health data (cases.access.can_see_health): that it exists, no score
            return f"<div><strong>{words['assessment']}:</strong> {escape(item.summary)}</div>"
        cutoff = (
            f' <span class="badge text-bg-warning">{words["cutoff"]}</span>'
            if o.above_cutoff
            else ""
        )
        return (
            f"<div><strong>{words['assessment']}:</strong> {escape(item.summary)} "
            f"{words['total']} {escape(o.total_score)}{cutoff}</div>"
        )
    if kind == "milestone":
        return f"<div><strong>🌱 {words['milestone']}:</strong> {escape(o.description)}</div>"
    if kind == "assignment":
        reason = f'<div class="small">{escape(o.reason)}</div>' if o.reason else ""
        return (
            f'<div data-testid="timeline-assignment"><strong>{words["assignment"]}:</strong> '
            f"{escape(item.summary)} {_who(item)}</div>{reason}"
        )
    if kind == "referral":
        return f"<div><strong>{words['referral']}:</strong> {escape(item.summary)}</div>"
    # A branch of an app above (cases.hooks.TimelineBranch): its title, and its summary as a
    # link to its page.
    summary = str(escape(item.summary))
    if item.url:
        summary = f'<a href="{escape(item.url)}">{summary}</a>'
    return f"<div><strong>{escape(item.title)}:</strong> {summary}</div>"


@register.simple_tag
def timeline_rows(timeline: Iterable[TimelineItem] | None, *, health: bool = False) -> SafeString:
    """`health`: the viewer may see assessment scores (cases.access.can_see_health); without
    it an assessment shows its instrument and date only."""
    words = _words()
    rows = [
        f'<article class="timeline-item kind-{escape(item.kind)}">'
        f'<div class="small text-body-secondary">{escape(item.when)}</div>'
        f"{_body(item, words, health)}</article>"
        for item in timeline or ()
    ]
    return mark_safe("\n".join(rows))  # noqa: S308 (every value above is escaped)
