"""What the import pages read: the centre's imports, a job's rows that can't be imported, its
saved mappings, and the first rows of the file for the mapping screen."""

from __future__ import annotations

from itertools import islice
from typing import Any

from django.db.models import QuerySet

from accounts import access
from accounts.models import User
from records.importing import reading
from records.importing.normalise import Invalid, cell_text
from records.models import ImportFile, ImportIssue, ImportJob, ImportMapping

PREVIEW_ROWS = 3


def jobs_for(user: User) -> QuerySet[ImportJob]:
    """The imports of the user's centres, newest first (who uploaded and confirmed each)."""
    return (
        access.scoped(ImportJob.objects.all(), user)
        .select_related("centre", "created_by", "confirmed_by")
        .defer("headers", "columns", "sheet_names")
        .order_by("-created_at", "-id")
    )


def job_for(user: User, pk: Any) -> ImportJob:
    """One import of the user's centres (another centre's is a 404)."""
    queryset = ImportJob.objects.select_related("centre", "created_by", "confirmed_by", "mapping")
    return access.get_for_user(queryset, user, pk)


def issues_of(job: ImportJob) -> QuerySet[ImportIssue]:
    return ImportIssue.objects.filter(job=job).order_by("line", "id")


def mappings_for(user: User) -> QuerySet[ImportMapping]:
    return (
        access.scoped(ImportMapping.objects.all(), user)
        .select_related("centre")
        .order_by("centre__name", "shape", "name")
    )


def mapping_for(user: User, pk: Any) -> ImportMapping:
    return access.get_for_user(ImportMapping.objects.all(), user, pk)


def preview(job: ImportJob) -> list[list[str]]:
    """The first data rows under the headers, cell by cell, for choosing the columns."""
    content = ImportFile.objects.filter(job=job).values_list("content", flat=True).first()
    if content is None:
        return []
    data = bytes(content)
    opened = reading.Opened(job.file_kind, job.encoding, job.sheet_names or [""])  # type: ignore[arg-type]
    try:
        rows = (
            cells
            for number, cells in reading.rows(data, opened, sheet=job.sheet)
            if number > job.header_row
        )
        first = list(islice(rows, PREVIEW_ROWS))
    except Invalid:
        return []
    width = len(job.headers)
    return [[cell_text(cell) for cell in (cells + [None] * width)[:width]] for cells in first]
