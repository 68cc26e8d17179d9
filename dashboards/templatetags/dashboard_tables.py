"""`{% caseload_rows %}`, `{% caseload_footer %}`, `{% upcoming_visit_rows %}` and
`{% trend_rows %}`: the managers' dashboard's big tables written in Python, not by the template language, as the case
page's timeline is (cases/templatetags/timeline.py).

At 100k cases the caseload is 50 counsellors × 12 linked cells in two tables, the coming
week some 100 visits and the trends four tables of twelve months; in the template every cell cost several variable resolutions, an
`{% if %}` and escapes, every visit row a `{% url %}`, a `get_status_display()`, a
`{% blocktranslate %}` and lazy labels (docs/performance.md "The dashboard's Python and its
caseload statement"). Here the fixed words are translated once a table, and each row is a few
escaped strings joined. The markup is the one the templates had: a link with `data-count` per
number, the same classes and `data-row` / `data-unannounced` / `data-unbriefed` marks."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from accounts.markup import escape
from accounts.templatetags.tsunagu import jdatetime
from outreach.models import VisitStatus
from outreach.selectors.calendar import VisitItem

register = template.Library()


Link = tuple[int, str]  # a number and the URL of the list of exactly those records


def _link(link: Link) -> str:
    count, url = link
    return f'<a href="{escape(url)}" data-count="{count}">{count}</a>'


def _cell(link: Link) -> str:
    """A zero is not a link (an empty list), as before: shown greyed."""
    if not link[0]:
        return '<td class="text-end"><span class="text-body-secondary">0</span></td>'
    return f'<td class="text-end">{_link(link)}</td>'


@register.simple_tag
def caseload_rows(table: dict[str, Any]) -> SafeString:
    """The body of a caseload table: a row per counsellor (the unassigned cases last)."""
    unassigned = f'<span class="text-body-secondary">{escape(_("未割当"))}</span>'
    rows = []
    for row, cells, total in table["rows"]:
        name = escape(row.name) if row.counsellor_id else unassigned
        rows.append(
            f'<tr><th scope="row" class="fw-normal">{name}</th>'
            f"{''.join(_cell(cell) for cell in cells)}"
            f'<td class="text-end fw-bold">{_link(total)}</td></tr>'
        )
    return mark_safe("\n".join(rows))  # noqa: S308 (every value above is escaped)


@register.simple_tag
def caseload_footer(table: dict[str, Any]) -> SafeString:
    """The totals' cells (every one a link, a zero too: the footer is always complete)."""
    cells = [*table["footer"], table["total"]]
    return mark_safe(  # noqa: S308 (every value is escaped by _link)
        "".join(f'<td class="text-end fw-bold">{_link(cell)}</td>' for cell in cells)
    )


# A number no visit id reaches, replaced by each row's id: one reverse() a table.
_PK_MARK = "2147483647"


@register.simple_tag
def upcoming_visit_rows(items: Iterable[VisitItem], show_centre: bool) -> SafeString:
    """The coming week's visits, a row each: the numbers above the table link here and count
    these rows by their marks (every visit; not announced; briefing not complete)."""
    detail = reverse("outreach:visit_detail", args=[int(_PK_MARK)])
    statuses = {value: escape(label) for value, label in VisitStatus.choices}
    unannounced = f'<span class="badge text-bg-danger">{escape(_("未予告"))}</span> '
    briefing = _("ブリーフィング %(done)s/%(all)s")
    nothing = '<span class="text-body-secondary">—</span>'
    rows = []
    for item in items:
        visit = item.visit
        marks = (" data-unannounced" if item.unannounced else "") + (
            " data-unbriefed" if item.unbriefed else ""
        )
        url = detail.replace(_PK_MARK, str(visit.pk))
        centre = f"<td>{escape(visit.centre.name)}</td>" if show_centre else ""
        staff = "、".join(escape(str(person)) for person in item.staff)
        todo = unannounced if item.unannounced else ""
        if item.unbriefed:
            done = escape(briefing % {"done": item.briefed, "all": len(item.staff)})
            todo += f'<span class="badge text-bg-warning">{done}</span>'
        rows.append(
            f'<tr data-row="visit"{marks}><td>{escape(jdatetime(visit.starts_at))}</td>'
            f'<td><a href="{escape(url)}">{escape(item.case_number)}</a></td>{centre}'
            f"<td>{staff}</td><td>{statuses.get(visit.status, escape(visit.status))}</td>"
            f"<td>{todo or nothing}</td></tr>"
        )
    return mark_safe("\n".join(rows))  # noqa: S308 (every value above is escaped)


@register.simple_tag
def trend_rows(chart: dict[str, Any]) -> SafeString:
    """A trend's table body, a row per month (dashboards.views.manager._charts): a month's
    count links to its list where there is one; the new cases' links carry `data-count`
    (their list has exactly that many rows)."""
    counted = ' data-count="{}"' if chart["key"] == "new_cases" else ""
    key = escape(chart["key"])
    rows = []
    for row in chart["rows"]:
        url = escape(row["url"]) if row["url"] else ""
        cells = "".join(
            f'<td class="text-end"><a href="{url}"{counted.format(count)}>{count}</a></td>'
            if url and count
            else f'<td class="text-end">{count}</td>'
            for count in row["counts"]
        )
        month = row["month"]
        rows.append(
            f'<tr data-testid="trend-{key}-{month:%Y-%m}"><th scope="row" class="fw-normal">'
            f"{escape(date_format(month, 'YEAR_MONTH_FORMAT'))}</th>{cells}</tr>"
        )
    return mark_safe("\n".join(rows))  # noqa: S308 (every value above is escaped or a number)
