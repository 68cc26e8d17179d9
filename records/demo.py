"""Demo imports for `manage.py seed_demo`: the sample case book and its consultation log (the
files a user downloads from the import page, records/samples/) imported into a centre by its
manager, with the case book's column mapping saved. Idempotent: a sample already imported
into the centre is not imported again."""

from __future__ import annotations

import hashlib
from pathlib import Path

from django.db.models import Q

from accounts.models import Centre, Role, User
from records import services
from records.models import ImportJob, ImportStatus, Shape

SAMPLES = Path(__file__).resolve().parent / "samples"
DEMO = ((Shape.CASES, "見本の台帳（ケース）"), (Shape.CONTACTS, "見本の相談記録"))


def seed_demo_imports(*, centre: Centre) -> int:
    """Import the samples into the centre; returns how many imports were made now."""
    manager = (
        User.objects.filter(centres=centre, is_active=True)
        .filter(Q(role=Role.MANAGER) | Q(role=Role.ADMIN))
        .order_by("pk")
        .first()
    )
    if manager is None:
        return 0
    made = 0
    for shape, mapping_name in DEMO:
        data = (SAMPLES / f"{shape}.csv").read_bytes()
        done = ImportJob.objects.filter(
            centre=centre, file_hash=hashlib.sha256(data).hexdigest(), status=ImportStatus.DONE
        )
        if done.exists():
            continue
        job = services.import_upload(
            centre=centre,
            by=manager,
            shape=shape,
            file_name=f"{shape}.csv",
            data=data,
            language="ja",
        )
        job = services.import_set_mapping(
            job=job,
            by=manager,
            sheet=job.sheet,
            header_row=job.header_row,
            columns={int(index): key for index, key in job.columns.items()},
            save_as=mapping_name,
        )
        services.import_run(job_id=job.pk)
        job.refresh_from_db()
        job = services.import_confirm(
            job=job,
            by=manager,
            file_hash=job.file_hash,
            fingerprint=job.checked_fingerprint,
            skip_invalid=True,
        )
        services.import_run(job_id=job.pk)
        made += 1
    return made
