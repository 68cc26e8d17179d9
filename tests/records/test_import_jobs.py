"""The job's bookkeeping without a worker process: one claim at a time (a stalled worker is
taken over and can never write again), the periodic resume, the files kept only while
needed, the tasks, the demo."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.conf import settings
from django.utils import timezone

from cases.models import Case
from records import services, tasks
from records.demo import seed_demo_imports
from records.models import ImportFile, ImportJob, ImportMapping, ImportStatus
from records.services import imports
from tests.records.fixtures import csv_bytes
from tests.records.import_helpers import (  # noqa: F401 (a fixture)
    alice_named_in_the_book,
    dry_run,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("alice_named_in_the_book")]

BOOK = [["No.", "氏名", "初回相談日", "初回相談者", "担当者"]] + [
    [str(i), f"山田 {i}郎", "2024/4/1", "母", "alice"] for i in range(1, 8)
]


def confirmed(centre, by) -> ImportJob:
    job = dry_run(centre, by, "cases", csv_bytes(BOOK))
    return services.import_confirm(
        job=job,
        by=by,
        file_hash=job.file_hash,
        fingerprint=job.checked_fingerprint,
        skip_invalid=False,
    )


def test_one_worker_at_a_time_and_a_stalled_one_is_taken_over(centre_a, mallory):
    job = confirmed(centre_a, mallory)
    now = timezone.now()
    first = imports._claim(job.pk, now)
    assert first is not None
    assert imports._claim(job.pk, now + dt.timedelta(seconds=5)) is None  # still alive
    second = imports._claim(job.pk, now + imports.STALE_AFTER + dt.timedelta(seconds=1))
    assert second is not None and second != first
    job.refresh_from_db()
    with pytest.raises(imports.LostClaim):  # the first worker wakes up: it may not write
        imports._write_chunk(job, first, imports._planner(job, dry_run=False), [], by=mallory)
    assert not Case.objects.exists()


def test_a_run_of_a_job_someone_else_holds_or_that_is_done_does_nothing(centre_a, mallory):
    job = confirmed(centre_a, mallory)
    assert imports._claim(job.pk, timezone.now()) is not None
    assert services.import_run(job_id=job.pk) == "not claimed"
    assert not Case.objects.exists()
    ImportJob.objects.filter(pk=job.pk).update(claim_token=None, status=ImportStatus.QUEUED)
    assert services.import_run(job_id=job.pk) == ImportStatus.DONE
    assert services.import_run(job_id=job.pk) == "not claimed"
    assert Case.objects.count() == 7


def test_a_resumed_import_writes_each_row_once(centre_a, mallory, monkeypatch):
    """Chunks of two rows: the run dies after two chunks (as a killed worker would: its
    chunk in flight rolled back), and the next run goes on from row 5."""
    monkeypatch.setattr(imports, "CHUNK_ROWS", 2)
    job = confirmed(centre_a, mallory)
    real = imports._write_chunk
    calls = []

    def dies_on_the_third(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise SystemExit("the worker is killed")
        return real(*args, **kwargs)

    monkeypatch.setattr(imports, "_write_chunk", dies_on_the_third)
    with pytest.raises(SystemExit):
        services.import_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.rows_written, Case.objects.count()) == (ImportStatus.WRITING, 4, 4)
    monkeypatch.setattr(imports, "_write_chunk", real)
    later = timezone.now() + imports.STALE_AFTER + dt.timedelta(seconds=1)
    assert services.import_run(job_id=job.pk, now=later) == ImportStatus.DONE
    job.refresh_from_db()
    assert (job.rows_written, job.created, Case.objects.count()) == (7, 7, 7)
    assert sorted(Case.objects.values_list("number", flat=True)) == list(range(1, 8))


def test_the_periodic_resume_publishes_stalled_and_unannounced_jobs(centre_a, mallory):
    stalled = confirmed(centre_a, mallory)
    imports._claim(stalled.pk, timezone.now() - imports.STALE_AFTER * 1.5)
    with mock.patch.object(imports.current_app, "send_task") as send:
        assert services.imports_resume_stalled(now=timezone.now()) == [stalled.pk]
        assert send.call_args.kwargs["args"] == [stalled.pk]
        assert services.imports_resume_stalled(now=timezone.now() - imports.STALE_AFTER) == []


def test_files_are_kept_only_while_needed(centre_a, mallory):
    job = confirmed(centre_a, mallory)
    services.import_run(job_id=job.pk)
    assert not ImportFile.objects.filter(job=job).exists()  # done: deleted at once
    waiting = dry_run(centre_a, mallory, "cases", csv_bytes(BOOK[:2]))
    assert ImportFile.objects.filter(job=waiting).exists()
    assert services.import_files_purge(now=timezone.now()) == 0
    assert services.import_files_purge(now=timezone.now() + imports.FILE_RETENTION * 2) == 1
    waiting.refresh_from_db()
    assert waiting.status == ImportStatus.CANCELLED


def test_the_tasks_call_the_services_and_are_on_the_beat(centre_a, mallory):
    job = confirmed(centre_a, mallory)
    assert tasks.run_import.apply(args=[job.pk]).get() == ImportStatus.DONE
    assert tasks.run_import.acks_late and tasks.run_import.reject_on_worker_lost
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {tasks.resume_imports.name, tasks.purge_import_files.name} <= scheduled


def test_the_log_line_names_no_value_of_the_file(centre_a, mallory, caplog):
    job = confirmed(centre_a, mallory)
    with caplog.at_level("INFO", logger="records.services.imports"):
        services.import_run(job_id=job.pk)
    text = caplog.text
    assert f"import #{job.pk} done" in text and "created=7" in text
    assert "山田" not in text and job.file_name not in text


def test_the_demo_imports_the_samples_once(centre_a, mallory):
    assert seed_demo_imports(centre=centre_a) == 2
    assert seed_demo_imports(centre=centre_a) == 0
    assert ImportJob.objects.filter(status=ImportStatus.DONE).count() == 2
    assert set(ImportMapping.objects.values_list("name", flat=True)) == {
        "見本の台帳（ケース）",
        "見本の相談記録",
    }
    assert Case.objects.filter(centre=centre_a).count() == 3
