"""What `outreach` adds to the case page through the hooks of `cases` (cases/hooks.py): the
ibasho panel, with the first visit ever as a milestone and the person's monthly attendance,
and the home visits panel, with the upcoming and recent visits and a button to plan one."""

from __future__ import annotations

from typing import Any

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts import access
from accounts.access import AuthenticatedHttpRequest
from cases.hooks import CasePanel
from cases.models import Case
from outreach.selectors.case_panel import ibasho_summary
from outreach.selectors.visits import case_visits


def ibasho_panel_context(request: AuthenticatedHttpRequest, case: Case) -> dict[str, Any] | None:
    """Nothing when the person never came. One query (the visits aggregated by month)."""
    if not access.can(request.user, "ibasho.view"):
        return None
    summary = ibasho_summary(case)
    if summary is None:
        return None
    return {
        "ibasho": summary,
        # What static/js/bar-charts.js draws; the table beside it carries the same numbers.
        "ibasho_trend": {
            "labels": [date_format(m.month, "YEAR_MONTH_FORMAT") for m in summary.months],
            "datasets": [
                {
                    "label": _("来所回数"),
                    "values": [m.visits for m in summary.months],
                    "color": "#198754",
                }
            ],
            "stacked": False,
        },
    }


IBASHO_PANEL = CasePanel(
    key="ibasho",
    template="outreach/_ibasho_panel.html",
    context=ibasho_panel_context,
    scripts=("vendor/chartjs/chart.umd.min.js", "js/bar-charts.js"),
)


def visits_panel_context(request: AuthenticatedHttpRequest, case: Case) -> dict[str, Any] | None:
    """Shown to everyone who sees visits, also before the first one (with the button to plan
    it). One query: the open visits and the latest ended ones together."""
    if not access.can(request.user, "visit.view"):
        return None
    return {"home_visits": case_visits(case)}


VISITS_PANEL = CasePanel(
    key="visits",
    template="outreach/visits/_case_panel.html",
    context=visits_panel_context,
)
