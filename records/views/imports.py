"""Importing a centre's spreadsheets (managers and administrators, "records.import"): upload,
choose how the file is read and which column goes where, see the dry run's report, confirm
that very report. A large file is checked and written by a worker; its page shows the
progress, polled with htmx. Another centre's import is a 404 before any 403."""

from __future__ import annotations

from pathlib import Path

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import access
from accounts.access import AuthenticatedHttpRequest, permission_required
from accounts.services import client_ip
from accounts.spreadsheets import CSV_CONTENT_TYPE, csv_text
from cases.views.helpers import apply_errors
from records import services
from records.forms.imports import ColumnsForm, ConfirmForm, ReadAsForm, UploadForm
from records.importing import selectors
from records.models import ImportJob, ImportStatus, Shape

PAGE_SIZE = 20
ISSUES_PAGE_SIZE = 100
SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def _job(request: AuthenticatedHttpRequest, pk: int) -> ImportJob:
    job = selectors.job_for(request.user, pk)
    access.require(request.user, "records.import")
    return job


@permission_required("records.import")
def import_home(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Upload a file; the centre's imports so far; the saved mappings; the sample files."""
    centres = list(access.user_centres(request.user).order_by("name", "id"))
    form = UploadForm(request.POST or None, request.FILES or None, centres=centres)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = services.import_upload(
                centre=form.chosen_centre,
                by=request.user,
                shape=form.cleaned_data["shape"],
                file_name=upload.name,
                data=upload.read(),
                language=get_language(),
            )
        except ValidationError as error:
            apply_errors(form, ValidationError({"file": error.messages}))
        else:
            return redirect("records:import_columns", pk=job.pk)
    page = Paginator(selectors.jobs_for(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "mappings": list(selectors.mappings_for(request.user)),
        "shapes": Shape.choices,
    }
    return render(request, "records/import/home.html", context, status=400 if form.errors else 200)


def import_columns(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """How the file is read (its sheet, its header row) and where each column goes; posting
    the columns starts the dry run."""
    job = _job(request, pk)
    if job.status not in (ImportStatus.UPLOADED, ImportStatus.CHECKED, ImportStatus.FAILED):
        return redirect("records:import_job", pk=job.pk)
    read_as = ReadAsForm(request.POST if "reread" in request.POST else None, job=job)
    columns = ColumnsForm(request.POST if "check" in request.POST else None, job=job)
    status = 200
    try:
        if read_as.is_bound and read_as.is_valid():
            services.import_read_as(
                job=job,
                sheet=read_as.cleaned_data["sheet"] or job.sheet,
                header_row=read_as.cleaned_data["header_row"],
            )
            return redirect("records:import_columns", pk=job.pk)
        if columns.is_bound and columns.is_valid():
            job = services.import_set_mapping(
                job=job,
                by=request.user,
                sheet=job.sheet,
                header_row=job.header_row,
                columns=columns.columns(),
                save_as=columns.cleaned_data["save_as"],
                language=get_language(),
            )
            services.import_start(job)
            return redirect("records:import_job", pk=job.pk)
    except ValidationError as error:
        apply_errors(columns if columns.is_bound else read_as, error)
    if read_as.errors or columns.errors:
        status = 400
    preview = selectors.preview(job)
    rows = [
        (field, [row[index] for row in preview])
        for index, field in enumerate(columns.column_fields())
    ]
    context = {"job": job, "read_as": read_as, "columns": columns, "rows": rows}
    return render(request, "records/import/columns.html", context, status=status)


def import_job(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The job as it stands: its progress while a worker has it, else its report (and the
    confirmation of a dry run)."""
    job = _job(request, pk)
    page = Paginator(selectors.issues_of(job), ISSUES_PAGE_SIZE).get_page(request.GET.get("page"))
    confirm = ConfirmForm(
        initial={"file_hash": job.file_hash, "fingerprint": job.checked_fingerprint}
    )
    context = {"job": job, "issues": page, "page": page, "confirm": confirm}
    return render(request, "records/import/job.html", context)


def import_progress(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The progress bar, polled by the page; once the job has stopped running, the page is
    reloaded (htmx's HX-Refresh) to show the report."""
    job = _job(request, pk)
    response = render(request, "records/import/_progress.html", {"job": job})
    if not job.is_running:
        response["HX-Refresh"] = "true"
    return response


@require_POST
def import_confirm(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    form = ConfirmForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, _("確認したファイルと違います。もう一度アップロードして確認してください。")
        )
        return redirect("records:import_job", pk=job.pk)
    try:
        job = services.import_confirm(
            job=job,
            by=request.user,
            file_hash=form.cleaned_data["file_hash"],
            fingerprint=form.cleaned_data["fingerprint"],
            skip_invalid=form.cleaned_data["skip_invalid"],
            language=get_language(),
            ip=client_ip(request),
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        services.import_start(job)
    return redirect("records:import_job", pk=job.pk)


@require_POST
def import_recheck(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    try:
        job = services.import_recheck(job=job, by=request.user, language=get_language())
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        services.import_start(job)
    return redirect("records:import_job", pk=job.pk)


@require_POST
def import_cancel(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    try:
        services.import_cancel(job=job, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("records:import_job", pk=job.pk)
    messages.success(request, _("取り込みを取り消しました。ファイルは削除しました。"))
    return redirect("records:import_home")


def import_issues_csv(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The rows that can't be imported, as a CSV Excel opens (UTF-8 with a BOM): row number,
    column, reason. No cell of the file is in it."""
    job = _job(request, pk)
    rows = [
        [_("行"), _("列"), _("理由")],
        *selectors.issues_of(job).values_list("line", "column", "reason"),
    ]
    response = HttpResponse(csv_text(rows), content_type=CSV_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-rows.csv"'
    return response


@permission_required("records.import")
def import_sample(request: AuthenticatedHttpRequest, shape: str) -> FileResponse:
    """A sample file of each shape, to start a centre's book from (or to compare with)."""
    if shape not in Shape.values:
        raise Http404
    path = SAMPLES / f"{shape}.csv"
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=f"tsunagu-{shape}-sample.csv",
        content_type=CSV_CONTENT_TYPE,
    )


@require_POST
def mapping_delete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    mapping = selectors.mapping_for(request.user, pk)
    access.require(request.user, "records.import")
    mapping.delete()
    messages.success(request, _("保存した対応付けを削除しました。"))
    return redirect("records:import_home")
