"""The centre's statistics for a month or a fiscal year: the page, a print-friendly page and
the CSV/XLSX exports, all from one report (dashboards.statistics) and one form. A centre that
is not the user's is a 404 (decided first); a role that may not see statistics gets a 403.
Every export is on the audit trail, one event per centre it covers."""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import urlencode

from accounts import access
from accounts.access import AuthenticatedHttpRequest
from accounts.models import Centre
from accounts.services import audit_export, client_ip
from accounts.spreadsheets import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE
from dashboards import exports
from dashboards.forms.statistics import ALL_CENTRES, StatisticsForm, default_data
from dashboards.replica import reading_from_replica
from dashboards.statistics import Report, statistics_report


def _user_centres(request: AuthenticatedHttpRequest) -> list[Centre]:
    """The user's centres; a centre asked for that is not one of them does not exist."""
    centres = list(access.user_centres(request.user).order_by("name", "id"))
    asked = request.GET.get("centre", ALL_CENTRES)
    if not centres or (asked != ALL_CENTRES and asked not in {str(c.pk) for c in centres}):
        raise Http404
    access.require(request.user, "statistics.view")
    return centres


def _form_and_report(
    request: AuthenticatedHttpRequest,
) -> tuple[StatisticsForm, Report | None]:
    centres = _user_centres(request)
    today = timezone.localdate()
    data = {**default_data(centres, today), **request.GET.dict()}
    form = StatisticsForm(data, centres=centres, today=today)
    if not form.is_valid():
        return form, None
    with reading_from_replica():  # the replica when there is one: seconds behind at most
        return form, statistics_report(form.chosen_centres(), form.chosen_period())


def _page(request: AuthenticatedHttpRequest, template: str) -> HttpResponse:
    form, report = _form_and_report(request)
    context = {
        "form": form,
        "report": report,
        "query": urlencode(form.query()) if report else "",
    }
    return render(request, template, context, status=200 if report else 400)


def statistics(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _page(request, "dashboards/statistics.html")


def statistics_print(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _page(request, "dashboards/statistics_print.html")


def _export(
    request: AuthenticatedHttpRequest,
    write: Callable[[Report], bytes],
    extension: str,
    content_type: str,
) -> HttpResponse:
    form, report = _form_and_report(request)
    if report is None:
        return render(request, "dashboards/statistics.html", {"form": form}, status=400)
    content = write(report)
    with transaction.atomic():
        for centre in report.centres:
            audit_export(
                user=request.user,
                centre=centre,
                ip=client_ip(request),
                details=["statistics", report.period.slug, extension],
            )
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = (
        f'attachment; filename="{exports.file_name(report, extension)}"'
    )
    return response


def statistics_csv(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _export(request, exports.csv_bytes, "csv", CSV_CONTENT_TYPE)


def statistics_xlsx(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _export(request, exports.xlsx_bytes, "xlsx", XLSX_CONTENT_TYPE)
