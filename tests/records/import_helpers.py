"""Running an import the way the pages do, for the import tests."""

from __future__ import annotations

from typing import Any

import pytest

from accounts.models import Centre, User
from records import services
from records.models import ImportJob


@pytest.fixture
def alice_named_in_the_book(alice: User) -> User:
    """alice, as the centre's books name her: by her display name, or her login. (A test
    module uses it with `pytest.mark.usefixtures`, after importing it.)"""
    alice.display_name = "相談員アリス"
    alice.save(update_fields=["display_name"])
    return alice


def dry_run(
    centre: Centre,
    by: User,
    shape: str,
    data: bytes,
    *,
    name: str = "book.csv",
    columns: dict[int, str] | None = None,
    sheet: str | None = None,
    header_row: int | None = None,
) -> ImportJob:
    """Upload, keep the suggested columns (or the given ones), run the dry run."""
    job = services.import_upload(
        centre=centre, by=by, shape=shape, file_name=name, data=data, language="ja"
    )
    if sheet is not None or header_row is not None:
        job = services.import_read_as(job=job, sheet=sheet or job.sheet, header_row=header_row)
    job = services.import_set_mapping(
        job=job,
        by=by,
        sheet=job.sheet,
        header_row=job.header_row,
        columns=columns if columns is not None else {int(k): v for k, v in job.columns.items()},
        language="ja",
    )
    services.import_run(job_id=job.pk)
    job.refresh_from_db()
    return job


def confirm(job: ImportJob, by: User, *, skip_invalid: bool = False) -> ImportJob:
    services.import_confirm(
        job=job,
        by=by,
        file_hash=job.file_hash,
        fingerprint=job.checked_fingerprint,
        skip_invalid=skip_invalid,
    )
    services.import_run(job_id=job.pk)
    job.refresh_from_db()
    return job


def issues(job: ImportJob) -> list[tuple[int, str, str]]:
    return list(job.issues.values_list("line", "column", "reason"))


def counts(job: ImportJob, prefix: str = "planned_") -> dict[str, Any]:
    names = ("created", "updated", "unchanged", "invalid" if prefix else "skipped")
    return {name: getattr(job, prefix + name) for name in names}
