"""The case list: one page of a centre's cases, filtered, in the order of an index.

Cheap to render on purpose (issue 13, docs/performance.md "Case list"): the filter form is
plain markup (accounts.plain_forms), each row's labels are looked up in dicts built
once a request instead of `get_FOO_display` and `gettext` per cell, and a page's rows are
found by their ids first (an index-only read, however deep the page) and then joined."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from accounts import access
from accounts.access import AuthenticatedHttpRequest, permission_required
from cases import selectors
from cases.choices import CaseStatus, Severity, SilenceStage, SupportStage
from cases.filters import HEALTH_RISK_FILTERS, RISK_FILTERS, CaseFilter
from cases.models import Case

PAGE_SIZE = 25
SEARCH_SESSION_KEY = "case_search"


class IdFirstPaginator(Paginator):
    """A page's ids first, from the list's index alone (`OFFSET` over index entries, not
    over joined rows), then those rows with their centre and counsellor: a deep page costs
    what the first one does, plus skipping index entries."""

    def __init__(self, queryset: QuerySet[Case], per_page: int) -> None:
        super().__init__(queryset, per_page)
        self.queryset = queryset

    def page(self, number: Any) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        ids = self.queryset.values("pk")[bottom : bottom + self.per_page]
        return Page(list(self.queryset.filter(pk__in=ids)), number, self)


@dataclass(frozen=True)
class CaseRow:
    case: Case
    status: str
    silence: str
    stage: str
    severity: str
    risks: list[str]


def case_rows(cases: Sequence[Case], *, health: bool = False) -> list[CaseRow]:
    """Each row's labels from dicts built once (translated in the request's language). The
    self-harm flag is health data: only with `health` (the role's case.view_health), never
    even as "a risk is recorded" (issue 15: the list shows no health data to staff)."""
    status = {value: str(label) for value, label in CaseStatus.choices}
    silence = {value: str(label) for value, label in SilenceStage.choices}
    stage = {value: str(label) for value, label in SupportStage.choices}
    severity = {value: str(label) for value, label in Severity.choices}
    risks = [
        (field, str(label))
        for key, (field, label) in RISK_FILTERS.items()
        if health or key not in HEALTH_RISK_FILTERS
    ]
    return [
        CaseRow(
            case=case,
            status=status.get(case.status, case.status),
            silence=silence.get(case.silence_stage, "") if case.is_silent else "",
            stage=stage.get(case.support_stage, case.support_stage),
            severity=severity.get(case.severity, case.severity),
            risks=[label for field, label in risks if getattr(case, field)],
        )
        for case in cases
    ]


@permission_required("case.view")
def case_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The search text may be a name, so it never travels in the URL (access logs, history):
    the form is POSTed, the text kept in the session, and the other filters stay in the URL."""
    if request.method == "POST" or "q" in request.GET or "clear" in request.GET:
        source = request.POST if request.method == "POST" else request.GET
        # Only the POSTed form sets the text: a link with ?q= (e.g. sent by someone) only
        # loses it from the address, and "clear" only forgets it.
        if "clear" in source:
            request.session.pop(SEARCH_SESSION_KEY, None)
        elif request.method == "POST":
            request.session[SEARCH_SESSION_KEY] = source.get("q", "")
        kept = source.copy()
        for name in ("q", "csrfmiddlewaretoken", "page", "clear"):
            kept.pop(name, None)
        url = reverse("cases:list")
        return redirect(f"{url}?{kept.urlencode()}" if kept else url)
    data = request.GET.copy()
    data["q"] = request.session.get(SEARCH_SESSION_KEY, "")
    health = access.can(request.user, "case.view_health")
    case_filter = CaseFilter(
        data,
        queryset=selectors.case_list_queryset(request.user),
        centres=list(access.user_centres(request.user)),
        health=health,
    )
    page = IdFirstPaginator(case_filter.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filter": case_filter,
        "page": page,
        "rows": case_rows(list(page), health=health),
        "query": query.urlencode(),
    }
    return render(request, "cases/list.html", context)
