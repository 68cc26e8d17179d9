"""The daily disposal of cases past their retention period (records.retention): a thin task
that calls the service. Idempotent: a case disposed of (or held) is not due any more, so a
second run, or one overlapping it, does nothing to it."""

from __future__ import annotations

from celery import shared_task

PURGE_TASK = "records.purge_expired"


@shared_task(name=PURGE_TASK, ignore_result=True)
def purge_expired() -> int:
    from records import retention

    return len(retention.purge_expired(dry_run=False).disposed)
