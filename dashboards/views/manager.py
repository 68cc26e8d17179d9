"""The managers' dashboard (/dashboards/centre/): one centre, or all of the user's centres.
Every number is a link to the list behind it; the selectors hold the counting, this module
only turns each number's filter into its link."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from accounts import access
from accounts.access import AuthenticatedHttpRequest
from cases.choices import Severity, SupportStage
from dashboards.replica import reading_from_replica
from dashboards.selectors import manager as selectors
from dashboards.selectors.manager import CaseCounts, DashboardScope, Trends, UpcomingVisits
from dashboards.templatetags.dashboard_tables import Link

SCRIPTS = ["vendor/chartjs/chart.umd.min.js", "js/bar-charts.js"]


def manager_dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    # A centre that is not the user's is a 404 before the role is looked at (no 403 that
    # would confirm it exists).
    scope = selectors.dashboard_scope(request.user, request.GET)
    access.require(request.user, "dashboard.view")
    with reading_from_replica():  # the replica when there is one: seconds behind at most
        counts = selectors.case_counts(scope.centre_ids)
        visits = selectors.upcoming_visits(scope.centre_ids)
        trend = selectors.trends(scope.centre_ids, all_centre_ids=scope.all_centre_ids)
    context = {
        "scope": scope,
        "counts": counts,
        "links": _case_links(scope),
        "caseload": _caseload(scope, counts),
        "visits": visits,
        "visit_links": _visit_links(scope, visits),
        "trend": trend,
        "charts": _charts(scope, trend),
        "scripts": SCRIPTS,
    }
    return render(request, "dashboards/manager.html", context)


def case_list_url(scope: DashboardScope, params: dict[str, Any]) -> str:
    """The case list with exactly these filters. `clear` first drops a name search the user
    may have left in their session, so the list shows what the number counted."""
    return f"{reverse('cases:list')}?{urlencode({**params, **scope.query, 'clear': 1})}"


def _case_links(scope: DashboardScope) -> dict[str, str]:
    return {name: case_list_url(scope, params) for name, params in selectors.case_filters().items()}


class CaseListLinks:
    """The case list's links of one page, built from strings made once a request: the
    path, each filter's `name=value` encoded once, and the scope and `clear` that end every
    link. The caseload's 50 counsellors × 12 cells took a `reverse()` and a `urlencode()`
    each (≈ 15 % of the page's CPU). `url` gives what `case_list_url` gives for the same
    filters in the same order (pinned by a test)."""

    def __init__(self, scope: DashboardScope) -> None:
        self.path = reverse("cases:list")
        self.tail = urlencode({**scope.query, "clear": 1})

    def url(self, *encoded: str) -> str:
        """`encoded`: `urlencode`d filters, in the order `case_list_url` would write them."""
        return f"{self.path}?{'&'.join(encoded)}&{self.tail}"


def _caseload(scope: DashboardScope, counts: CaseCounts) -> dict[str, dict[str, Any]]:
    """Two tables of open cases, counsellor × stage and counsellor × severity: every cell
    and total with its link (counsellor + stage or severity + status=open). Written by
    `{% caseload_rows %}` (dashboards/templatetags/dashboard_tables.py)."""
    stages = [(value, label, value) for value, label in SupportStage.choices]
    severities = [
        (value, label, selectors.severity_param(value))
        for value, label in [*Severity.choices, ("", _("未評価"))]
    ]
    links = CaseListLinks(scope)
    return {
        "stage": _table(links, counts, "support_stage", stages, counts.stage_totals),
        "severity": _table(links, counts, "severity", severities, counts.severity_totals),
    }


def _table(
    links: CaseListLinks,
    counts: CaseCounts,
    param: str,
    columns: list[tuple[str, Any, str]],  # (value, label, the filter's value)
    totals: dict[str, int],
) -> dict[str, Any]:
    open_cases = urlencode(selectors.case_filters()["open"])
    encoded = [(value, urlencode({param: arg})) for value, _label, arg in columns]
    rows: list[tuple[selectors.CaseloadRow, list[Link], Link]] = []
    for row in counts.rows:
        person = urlencode({"counsellor": selectors.counsellor_param(row.counsellor_id)})
        values = row.by_stage if param == "support_stage" else row.by_severity
        cells = [
            (values.get(value, 0), links.url(open_cases, person, column))
            for value, column in encoded
        ]
        rows.append((row, cells, (row.total, links.url(open_cases, person))))
    return {
        "headers": [label for _value, label, _arg in columns],
        "rows": rows,
        "footer": [
            (totals.get(value, 0), links.url(open_cases, column)) for value, column in encoded
        ],
        "total": (counts.total, links.url(open_cases)),
    }


def _visit_links(scope: DashboardScope, visits: UpcomingVisits) -> dict[str, Any]:
    """The visits calendar's weeks the coming seven days fall in (one or two)."""
    suffix = f"?{urlencode(scope.query)}" if scope.query else ""
    weeks: list[tuple[dt.date, str]] = []
    for day in (visits.first_day, visits.last_day):
        url = reverse("outreach:visit_calendar_week", args=[day.year, day.month, day.day])
        sunday = day - dt.timedelta(days=(day.weekday() + 1) % 7)
        if not weeks or weeks[-1][0] != sunday:
            weeks.append((sunday, url + suffix))
    return {"weeks": weeks, "safety": reverse("outreach:visit_safety")}


def _charts(scope: DashboardScope, trend: Trends) -> list[dict[str, Any]]:
    """The four trends, each drawn by static/js/bar-charts.js and tabled beside it;
    a month of new cases links to the case list of that month, a month of the ibasho to its
    session calendar (the closest list there is); contacts and family classes have none."""

    def ibasho_month(month: dt.date) -> str:
        return reverse("outreach:calendar", args=[month.year, month.month])

    def opened(month: dt.date) -> str:
        return case_list_url(scope, {"opened": f"{month:%Y-%m}"})

    specs: list[tuple[str, str, list[tuple[str, str, str]], Any, bool]] = [
        (
            "new_cases",
            _("新規ケース数"),
            [("new_cases", _("新規ケース"), "#0d6efd")],
            opened,
            False,
        ),
        ("contacts", _("相談件数（延べ）"), [("contacts", _("相談件数"), "#6f42c1")], None, False),
        (
            "ibasho",
            _("居場所の利用（延べ人数）"),
            [
                ("ibasho_named", _("ケースの本人"), "#198754"),
                ("ibasho_walk_ins", _("ニックネームの来所者"), "#20c997"),
            ],
            ibasho_month,
            True,
        ),
        (
            "family_class",
            _("家族教室・家族会の出席（延べ人数）"),
            [("family_class", _("出席"), "#fd7e14")],
            None,
            False,
        ),
    ]
    charts = []
    for key, title, datasets, link, stacked in specs:
        series = [trend.monthly(name) for name, _label, _colour in datasets]
        rows = [
            {
                "month": month,
                "counts": [s[index].count for s in series],
                "total": sum(s[index].count for s in series),
                "url": link(month) if link else None,
            }
            for index, month in enumerate(trend.months)
        ]
        charts.append(
            {
                "key": key,
                "json_id": f"chart-{key}-data",
                "title": title,
                "columns": [label for _name, label, _colour in datasets],
                "rows": rows,
                "data": selectors.chart_data(trend, datasets, stacked=stacked),
            }
        )
    return charts
