"""The disposal log (APPI): which cases of the user's centres had their personal data
blanked after the retention period, when, under which rule and by whom; listed and exported
as CSV for the roles that oversee a centre. It holds case numbers and dates, never a name.
An export is on the audit trail (its number of rows, never a value)."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import access
from accounts.access import AuthenticatedHttpRequest, permission_required
from accounts.models import Centre, User
from accounts.services import audit_export, client_ip
from accounts.spreadsheets import CSV_CONTENT_TYPE, csv_text
from accounts.templatetags.tsunagu import jdate, jdatetime
from cases.models import DisposalRecord

PAGE_SIZE = 50


def disposal_records_for(user: User) -> QuerySet[DisposalRecord]:
    return access.scoped(DisposalRecord.objects.all(), user).select_related("centre", "by")


@permission_required("records.disposal_view")
def disposal_log(request: AuthenticatedHttpRequest) -> HttpResponse:
    page = Paginator(disposal_records_for(request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "records/disposal_log.html", {"page": page})


def _counts_text(counts: dict[str, int]) -> str:
    return "; ".join(f"{kind}={n}" for kind, n in sorted(counts.items()) if n)


def _csv_rows(records: Iterable[DisposalRecord]) -> Iterable[list[str]]:
    yield [
        _("センター"),
        _("ケース番号"),
        _("初回相談日"),
        _("終結日"),
        _("廃棄日時"),
        _("根拠"),
        _("実行者"),
        _("実行の方法"),
        _("消去した件数"),
    ]
    for record in records:
        yield [
            record.centre.name,
            record.case_number,
            jdate(record.opened_on),
            jdate(record.closed_at),
            jdatetime(record.disposed_at),
            record.rule,
            str(record.by) if record.by else _("定期処理"),
            record.get_source_display(),
            _counts_text(record.counts),
        ]


@permission_required("records.disposal_view")
def disposal_log_csv(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The whole log of the user's centres, as a CSV Excel opens (UTF-8 with a BOM)."""
    records = list(disposal_records_for(request.user))
    for centre in Centre.objects.filter(pk__in=access.centre_ids(request.user)):
        audit_export(
            user=request.user,
            centre=centre,
            ip=client_ip(request),
            details=[
                "shape:disposal_log",
                "format:csv",
                f"rows:{sum(1 for r in records if r.centre_id == centre.pk)}",
            ],
        )
    response = HttpResponse(csv_text(_csv_rows(records)), content_type=CSV_CONTENT_TYPE)
    name = f"disposal-log-{timezone.localdate():%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
