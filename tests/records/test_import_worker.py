"""A 50,000-row consultation log imported by a real Celery worker: the dry run and the import
run as tasks whose progress the page can read as they go; the worker is SIGKILLed mid-way
(a process this test started, killed by its PID), and the import resumes on another worker
exactly where the last committed chunk left it: every contact once, none twice."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from django.db.models import Count, F

from accounts.models import AuditAction, AuditEvent, Role
from cases.models import ContactEntry
from records import services
from records.models import ImportedKey, ImportFile, ImportJob, ImportStatus
from records.services.imports import CHUNK_ROWS, STALE_AFTER
from tests.celery_worker import Worker
from tests.factories import CentreFactory, UserFactory, make_cases
from tests.records.fixtures import contact_rows, csv_bytes
from tests.services_for_drills import RedisServer, celery_broker, wait_for

ROWS = 50_000
KILL_AFTER = 8 * CHUNK_ROWS  # rows written when the worker is killed


@pytest.fixture
def private_redis(transactional_db: None) -> Iterator[RedisServer]:
    """A Redis of this test's own: the message the killed worker leaves unacknowledged
    never reaches anyone else's queue."""
    server = RedisServer()
    server.start()
    try:
        with celery_broker(server.url):
            yield server
    finally:
        server.kill()


def job_now(pk: int) -> ImportJob:
    return ImportJob.objects.get(pk=pk)


@pytest.mark.worker
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_50000_row_import_on_a_worker_killed_midway_resumes_exactly(private_redis):
    centre = CentreFactory(name="大規模取込センター", case_number_prefix="B")
    manager = UserFactory(role=Role.MANAGER, centre=centre)
    cases = make_cases(centre, manager, 40)
    data = csv_bytes(
        contact_rows([c.case_number for c in cases], ROWS, start=dt.datetime(2019, 4, 1, 9, 0))
    )
    job = services.import_upload(
        centre=centre, by=manager, shape="contacts", file_name="log.csv", data=data, language="ja"
    )
    job = services.import_set_mapping(
        job=job,
        by=manager,
        sheet=job.sheet,
        header_row=job.header_row,
        columns={int(k): v for k, v in job.columns.items()},
    )
    first = Worker(broker_url=private_redis.url, hostname="doomed", concurrency=1)
    second = Worker(broker_url=private_redis.url, hostname="survivor", concurrency=1)
    try:
        first.start()
        # The dry run is a task too; its progress is readable while it runs.
        services.import_start(job)
        seen_checked: set[int] = set()

        def checked() -> bool:
            current = job_now(job.pk)
            seen_checked.add(current.rows_checked)
            return current.status == ImportStatus.CHECKED

        wait_for(checked, timeout=180, what="the dry run", every=0.2)
        job = job_now(job.pk)
        assert (job.rows_total, job.planned_created, job.planned_invalid) == (ROWS, ROWS, 0)
        assert any(0 < value < ROWS for value in seen_checked), "progress seen mid-way"
        assert not ContactEntry.objects.exists()

        services.import_confirm(
            job=job,
            by=manager,
            file_hash=job.file_hash,
            fingerprint=job.checked_fingerprint,
            skip_invalid=False,
        )
        services.import_start(job)
        wait_for(
            lambda: job_now(job.pk).rows_written >= KILL_AFTER,
            timeout=240,
            what=f"{KILL_AFTER} rows written",
            every=0.05,
        )
        first.kill()
        at_kill = job_now(job.pk)
        written = ContactEntry.objects.count()
        # Whole chunks only: the bookkeeping committed with its records, the chunk in
        # flight rolled back with the worker's connection.
        assert at_kill.status == ImportStatus.WRITING
        assert (
            written == at_kill.rows_written == ImportedKey.objects.filter(shape="contacts").count()
        )
        assert 0 < written < ROWS and written % CHUNK_ROWS == 0

        # Time passes: the job's heartbeat is stale, the periodic resume publishes it again.
        ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=F("heartbeat_at") - STALE_AFTER)
        second.start()
        assert services.imports_resume_stalled() == [job.pk]
        seen_written: list[int] = []

        def done() -> bool:
            current = job_now(job.pk)
            seen_written.append(current.rows_written)
            return current.status == ImportStatus.DONE

        wait_for(done, timeout=300, what="the import to finish", every=0.2)
    finally:
        first.kill()
        second.stop()

    job = job_now(job.pk)
    assert (job.created, job.updated, job.unchanged, job.skipped) == (ROWS, 0, 0, 0)
    assert job.attempts == 3  # the dry run, the killed run, the resumed run
    assert seen_written == sorted(seen_written) and seen_written[0] >= written
    assert ContactEntry.objects.count() == ROWS
    duplicates = (
        ContactEntry.objects.values("case", "occurred_at", "channel", "counterpart")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    assert not duplicates.exists()
    assert ImportedKey.objects.filter(shape="contacts").count() == ROWS
    assert (
        AuditEvent.objects.filter(action=AuditAction.CREATE, model="cases.contactentry").count()
        == ROWS
    )
    assert not ImportFile.objects.filter(job=job).exists()  # the file is gone with the job
