"""The export of the centre's book (cases, contact log, family members) as CSV or XLSX, for
the roles that oversee a centre. A centre that is not the user's is a 404, decided before the
role check (403). Every export is on the audit trail: its shape, format and number of rows,
never a value."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import render

from accounts import access
from accounts.access import AuthenticatedHttpRequest
from accounts.services import audit_export, client_ip
from accounts.spreadsheets import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE
from records import exports
from records.forms.export import ExportForm


def export_page(request: AuthenticatedHttpRequest) -> HttpResponse | StreamingHttpResponse:
    user = request.user
    centres = list(access.user_centres(user).order_by("name", "id"))
    asked = request.POST.get("centre", "")
    if not centres or (asked and asked not in {str(centre.pk) for centre in centres}):
        raise Http404  # another centre's book: it does not exist for this user
    access.require(user, "records.export")
    sensitive_allowed = exports.may_export_sensitive(user)
    form = ExportForm(
        request.POST if request.method == "POST" else None,
        centres=centres,
        sensitive_allowed=sensitive_allowed,
    )
    if request.method == "POST" and form.is_valid():
        export = exports.Export(
            centre=form.chosen_centre(),
            shape=exports.SHAPES[form.cleaned_data["shape"]],
            user=user,
            with_sensitive=form.cleaned_data.get("with_sensitive", False),
        )
        return _download(request, export, form.cleaned_data["file_format"])
    status = 400 if request.method == "POST" else 200
    return render(request, "records/export.html", {"form": form}, status=status)


def _download(
    request: AuthenticatedHttpRequest, export: exports.Export, file_format: str
) -> HttpResponse | StreamingHttpResponse:
    audit_export(
        user=request.user,
        centre=export.centre,
        ip=client_ip(request),
        details=[
            f"shape:{export.shape.key}",
            f"format:{file_format}",
            f"rows:{export.count()}",
            *(["sensitive_columns"] if export.has_sensitive_columns else []),
        ],
    )
    response: HttpResponse | StreamingHttpResponse
    if file_format == exports.XLSX:
        response = FileResponse(exports.xlsx_file(export), content_type=XLSX_CONTENT_TYPE)
    else:  # streamed as it is read: a large centre is never held in memory
        response = StreamingHttpResponse(exports.csv_lines(export), content_type=CSV_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{export.file_name(file_format)}"'
    return response
