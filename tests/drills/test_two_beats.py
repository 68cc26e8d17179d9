"""Two beat processes started by mistake: each periodic task runs twice at the same moment
(two threads, each with its own database connection, released together by a barrier). The
result must be what one run leaves (idempotent, claimed with locks or compare-and-swap), and
a later third run changes nothing."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from tests.drills.beat import BEAT_ENTRIES, mail_to_files
from tests.drills.periodic import Context, drill_for, received_message_ids, task_of
from tests.services_for_drills import RedisServer


def run_at_once(work: Callable[[], Any], times: int = 2) -> list[Any]:
    barrier = threading.Barrier(times)
    results: list[Any] = [None] * times
    errors: list[BaseException] = []

    def one(index: int) -> None:
        try:
            connection.ensure_connection()  # connected before the start line
            barrier.wait(timeout=30)
            results[index] = work()
        except BaseException as exc:  # reported by the test, not lost in the thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a run never finished"
    if errors:
        raise errors[0]
    return results


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("entry", BEAT_ENTRIES)
def test_a_periodic_task_run_by_two_beats_at_once_does_the_work_of_one(
    entry: str, private_redis: RedisServer, drill_context: Context
) -> None:
    drill = drill_for(entry)
    expected = drill.prepare(drill_context)
    task = task_of(entry)
    with mail_to_files(drill_context):
        results = run_at_once(task)
        if drill.follow_up is not None:
            drill.follow_up(drill_context)
        assert drill.outcome(drill_context) == expected, f"two runs at once: {results}"
        task()  # the next tick of either beat
        if drill.follow_up is not None:
            drill.follow_up(drill_context)
        assert drill.outcome(drill_context) == expected
    received = received_message_ids(drill_context.mail_dir)
    assert len(received) == len(set(received)), "an e-mail went out twice"
