"""A Celery worker SIGKILLed during each periodic task of the beat schedule: nothing lost,
nothing duplicated, e-mail resends keep their Message-ID.

The worker is our child process (its own Redis too), killed by its PID. To kill it *during*
the task, the drill locks a table the task writes late (from another connection): the task
blocks inside its transaction, having written what comes before (shown from pg_locks); the
worker dies; the orphaned database backend rolls back. Delivery is killed instead when an
e-mail has reached the mail server and its row is not yet marked sent. The next beat tick
(the task run again here) must leave exactly what one clean run leaves.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings

from config.celery import app as celery_app
from tests.celery_worker import Worker
from tests.drills.beat import BEAT_ENTRIES, mail_to_files
from tests.drills.periodic import DRILLS, Context, drill_for, received_message_ids, task_of
from tests.services_for_drills import (
    PATIENCE,
    RedisServer,
    backend_alive,
    pg_connect,
    table_locked,
    tables_written_by,
    wait_for,
    wait_for_blocked_backends,
)

MAIL_DELAY = 0.3  # seconds per e-mail on the doomed worker: a wide window for the kill


def test_every_periodic_task_has_a_drill_and_every_drill_a_periodic_task() -> None:
    assert set(DRILLS) == set(settings.CELERY_BEAT_SCHEDULE)


@pytest.mark.worker
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("entry", BEAT_ENTRIES)
def test_a_worker_killed_during_the_periodic_task_loses_and_duplicates_nothing(
    entry: str, private_redis: RedisServer, drill_context: Context
) -> None:
    drill = drill_for(entry)
    expected = drill.prepare(drill_context)
    before = drill.outcome(drill_context)
    task = task_of(entry)
    worker = Worker(
        broker_url=private_redis.url,
        hostname=f"doomed-{entry}",
        concurrency=1,
        extra_env={
            "TEST_MAIL_DIR": str(drill_context.mail_dir),
            "TEST_MAIL_DELAY": str(MAIL_DELAY),
        },
    )
    written_before_kill: set[str] = set()
    try:
        worker.start(timeout=PATIENCE)
        with pg_connect() as monitor:
            if drill.kill_when is not None:
                celery_app.send_task(task.name)
                wait_for(
                    lambda: drill.kill_when(drill_context),  # type: ignore[misc]
                    timeout=PATIENCE,
                    what=f"{entry}: the moment to kill",
                    every=0.005,
                )
                worker.kill()
            else:
                with table_locked(*drill.block_on):
                    celery_app.send_task(task.name)
                    pids = wait_for_blocked_backends(
                        monitor, what=f"{entry} to reach {drill.block_on}"
                    )
                    for pid in pids:
                        written_before_kill |= tables_written_by(monitor, pid)
                    worker.kill()
                # The lock released, the orphaned backends find their client gone: rollback.
                wait_for(
                    lambda: not any(backend_alive(monitor, pid) for pid in pids),
                    timeout=PATIENCE,
                    what=f"{entry}: the dead worker's database backends to end",
                )
    finally:
        worker.kill()

    at_kill = drill.outcome(drill_context)
    if drill.single_statement:
        assert at_kill in (before, expected), f"{entry}: one statement, all or nothing"
    else:
        assert at_kill != expected, f"{entry}: the kill must land before the task is done"

    # The next beat tick (for delivery: after the dead worker's claims have expired).
    with mail_to_files(drill_context, claim_timeout=dt.timedelta(0)):
        task()
        if drill.follow_up is not None:
            drill.follow_up(drill_context)
    outcome = drill.outcome(drill_context)
    print(f"\n{entry}: wrote {sorted(written_before_kill)} before the kill; {at_kill} -> {outcome}")
    assert outcome == expected

    if entry == "deliver-notifications":
        received = received_message_ids(drill_context.mail_dir)
        resent = len(received) - len(set(received))
        # At most the one e-mail in flight on the one-process worker went out twice, and
        # under its own Message-ID (no stranger: outcome["strangers"] == 0).
        assert resent <= worker.concurrency
