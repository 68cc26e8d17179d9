"""Celery tasks: thin wrappers that load by id and call a service. The import acks late and
is re-queued when its worker process dies; a run that finds its job claimed by a live worker
(or finished) does nothing, so a job published twice runs once."""

from __future__ import annotations

from celery import shared_task

from records import services


@shared_task(
    name=services.imports.RUN_TASK,
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
)
def run_import(job_id: int) -> str:
    return services.import_run(job_id=job_id)


@shared_task(name="records.resume_imports", ignore_result=True)
def resume_imports() -> int:
    """Every minute: imports whose worker died are taken up again where they stopped."""
    return len(services.imports_resume_stalled())


@shared_task(name="records.purge_import_files", ignore_result=True)
def purge_import_files() -> int:
    """Daily: uploaded files are kept only while their import needs them."""
    return services.import_files_purge()


# The daily disposal of cases past their retention period (records.retention). Idempotent: a
# case disposed of (or held) is not due any more, so a second run, or one overlapping it,
# does nothing to it.
PURGE_TASK = "records.purge_expired"


@shared_task(name=PURGE_TASK, ignore_result=True)
def purge_expired() -> int:
    from records import retention

    return len(retention.purge_expired(dry_run=False).disposed)
