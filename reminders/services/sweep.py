"""The silence sweep: reminders and escalations for every open case that has gone silent."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Role
from cases.choices import CaseStatus, SilenceStage
from cases.models import CASE_NUMBER_MIN_DIGITS, CASE_OWNER_ROLES
from cases.services import cases_resume_expired_pauses
from reminders.models import SILENCE_HEARTBEAT, AlertStage, NotificationChannel, SweepHeartbeat
from reminders.notification_texts import SILENCE_KINDS
from reminders.services import outbox

# A ceiling per sweeping connection, so that a bug can never turn the sweep into an endless
# loop (5M due cases at the default batch of 2,500).
MAX_SWEEP_BATCHES = 2000

# One statement per batch: lock due open cases (skipping rows another sweep or a contact holds),
# advance each from the stage this statement read (compare and swap), insert one alert per
# case, stage and silence episode, and queue its notifications. A lost race does nothing.
# Shaped for the planner: the update joins the locked batch by primary key, and every later
# step reads the rows the one before returned, never the table again (see bench/README.md).
#
# It repeats two rules that are defined in Python, for speed: when the next check is due
# (`Case.next_silence_check_at`) and who may own a case (`cases.models.case_owners`). Their
# values (the choices, the roles) come in as parameters, never literals, and
# tests/reminders/test_sweep_agrees.py runs both definitions on the same cases.
_SWEEP_BATCH_SQL = """
WITH due AS (
    SELECT c.id, c.silence_stage
      FROM cases_case c
     WHERE c.status = %(open)s AND c.next_check_at <= %(now)s
       AND c.silence_stage IN (%(ok)s, %(reminded)s)
     ORDER BY c.next_check_at
     LIMIT %(batch)s
       FOR UPDATE OF c SKIP LOCKED
), advanced AS (
    UPDATE cases_case c
       SET silence_stage = CASE c.silence_stage WHEN %(ok)s THEN %(reminded)s
                                                ELSE %(escalated)s END,
           next_check_at = CASE c.silence_stage
               WHEN %(ok)s THEN GREATEST(
                   c.silence_clock_started_at + make_interval(days =>
                       COALESCE(c.followup_interval_days, ce.followup_interval_days)
                       + COALESCE(c.escalation_grace_days, ce.escalation_grace_days)),
                   -- a late sweep still gives the counsellor the whole grace period
                   %(now)s::timestamptz + make_interval(days =>
                       COALESCE(c.escalation_grace_days, ce.escalation_grace_days)))
               ELSE NULL END
      FROM due, accounts_centre ce
     WHERE c.id = due.id AND c.silence_stage = due.silence_stage AND ce.id = c.centre_id
 RETURNING c.id, c.centre_id, c.silence_stage AS stage, c.silence_clock_started_at,
           c.primary_counsellor_id,
           -- as Case.case_number ("K-0042", "K-12345"): lpad alone would cut 12345 to 1234
           ce.case_number_prefix || '-'
               || lpad(c.number::text, GREATEST(%(number_digits)s, length(c.number::text)), '0')
               AS case_number
), alerts AS (
    INSERT INTO reminders_casealert (case_id, centre_id, stage, clock_started_at, days_silent,
                                     created_at)
    SELECT id, centre_id, stage, silence_clock_started_at,
           floor(extract(epoch FROM (%(now)s - silence_clock_started_at)) / 86400)::int,
           %(now)s
      FROM advanced
        ON CONFLICT (case_id, stage, clock_started_at) DO NOTHING
 RETURNING id, case_id, stage, days_silent
), targets AS (
    SELECT a.id AS alert_id, a.case_id, a.stage, a.days_silent, adv.centre_id,
           adv.case_number, counsellor.id AS counsellor_id
      FROM alerts a
      JOIN advanced adv ON adv.id = a.case_id
      -- only someone who may still own the case (cases.models.case_owners); otherwise
      -- nobody owns it
      LEFT JOIN accounts_user counsellor
             ON counsellor.id = adv.primary_counsellor_id AND counsellor.is_active
            AND counsellor.role = ANY(%(owner_roles)s)
            AND EXISTS (SELECT 1 FROM accounts_user_centres uc
                         WHERE uc.user_id = counsellor.id AND uc.centre_id = adv.centre_id)
), managers AS (
    SELECT uc.centre_id, uc.user_id
      FROM accounts_user_centres uc
      JOIN accounts_user u ON u.id = uc.user_id
     WHERE u.role = %(manager)s AND u.is_active
), recipients AS (
    -- the responsible counsellor hears first; managers on escalation, or when nobody owns it
    SELECT t.*, t.counsellor_id AS user_id FROM targets t WHERE t.counsellor_id IS NOT NULL
    UNION ALL
    SELECT t.*, m.user_id
      FROM targets t
      JOIN managers m ON m.centre_id = t.centre_id
     WHERE (t.stage = %(escalated)s OR t.counsellor_id IS NULL)
       AND m.user_id IS DISTINCT FROM t.counsellor_id
    UNION ALL
    -- a centre without an active manager: the system administrators, so no alert is lost
    SELECT t.*, a.id
      FROM targets t
      JOIN accounts_user a ON a.role = %(admin)s AND a.is_active
     WHERE (t.stage = %(escalated)s OR t.counsellor_id IS NULL)
       AND t.centre_id NOT IN (SELECT centre_id FROM managers)
), queued AS (
    -- No ON CONFLICT: these alerts were inserted by this very statement, so their
    -- notifications cannot exist yet. In-app notifications arrive as they are written.
    INSERT INTO reminders_notification
           (recipient_id, centre_id, case_id, alert_id, channel, kind, context, dedupe_key,
            subject, body, created_at, next_attempt_at, sent_at, attempts, last_error)
    SELECT r.user_id, r.centre_id, r.case_id, r.alert_id, ch.channel,
           CASE r.stage WHEN %(reminded)s THEN %(kind_reminded)s ELSE %(kind_escalated)s END,
           jsonb_build_object('case_id', r.case_id, 'case_number', r.case_number,
                              'days', r.days_silent,
                              'owner', r.user_id IS NOT DISTINCT FROM r.counsellor_id),
           'alert:' || r.alert_id, '', '', %(now)s, %(now)s,
           CASE ch.channel WHEN %(in_app)s THEN %(now)s::timestamptz END, 0, ''
      FROM recipients r CROSS JOIN (VALUES (%(email)s), (%(in_app)s)) AS ch(channel)
 RETURNING 1
)
SELECT (SELECT count(*) FROM due) AS due,
       (SELECT count(*) FROM alerts WHERE stage = %(reminded)s) AS reminded,
       (SELECT count(*) FROM alerts WHERE stage = %(escalated)s) AS escalated,
       (SELECT count(*) FROM queued) AS notifications
"""

# The statement writes a case's silence stage into CaseAlert.stage: the two must agree.
assert {SilenceStage.REMINDED.value, SilenceStage.ESCALATED.value} == set(AlertStage.values)


# A batch statement costs more than PostgreSQL's JIT threshold, yet compiling it (over a
# second) would cost more than running it: JIT pays off only for long analytical queries.
# (Inside a caller's transaction the setting lasts until that ends: harmless, it only ever
# costs speed.) Run before each batch statement, and by the benchmark before its EXPLAIN.
SWEEP_BATCH_SETTINGS = "SET LOCAL jit = off"


def sweep_batch_statement(*, now: dt.datetime, batch_size: int) -> tuple[str, dict[str, Any]]:
    """The statement one sweep batch runs, with its parameters (the benchmark explains it)."""
    return _SWEEP_BATCH_SQL, {
        "now": now,
        "batch": batch_size,
        "open": CaseStatus.OPEN.value,
        "ok": SilenceStage.OK.value,
        "reminded": SilenceStage.REMINDED.value,
        "escalated": SilenceStage.ESCALATED.value,
        "owner_roles": [str(role) for role in CASE_OWNER_ROLES],
        "manager": Role.MANAGER.value,
        "admin": Role.ADMIN.value,
        "email": NotificationChannel.EMAIL.value,
        "in_app": NotificationChannel.IN_APP.value,
        "kind_reminded": SILENCE_KINDS[SilenceStage.REMINDED],
        "kind_escalated": SILENCE_KINDS[SilenceStage.ESCALATED],
        "number_digits": CASE_NUMBER_MIN_DIGITS,
    }


@dataclass
class SweepResult:
    resumed: int = 0
    due: int = 0
    reminded: int = 0
    escalated: int = 0
    notifications: int = 0
    batches: int = 0
    # How long each batch statement took, in seconds (the benchmark reports them).
    batch_seconds: list[float] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {k: v for k, v in asdict(self).items() if k != "batch_seconds"}


def _sweep_batches(
    *, now: dt.datetime, batch_size: int, result: SweepResult, lock: threading.Lock
) -> None:
    sql, params = sweep_batch_statement(now=now, batch_size=batch_size)
    for _batch in range(MAX_SWEEP_BATCHES):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(SWEEP_BATCH_SETTINGS)
            started = time.perf_counter()
            cursor.execute(sql, params)
            seconds = time.perf_counter() - started
            due, reminded, escalated, queued = cursor.fetchone()
        with lock:
            result.batches += 1
            result.due += due
            result.reminded += reminded
            result.escalated += escalated
            result.notifications += queued
            result.batch_seconds.append(seconds)
        if due < batch_size:
            return


def _sweep_batches_in_thread(**kwargs: Any) -> None:
    try:
        _sweep_batches(**kwargs)
    finally:
        connection.close()  # the thread's own connection


def sweep_silence(
    *,
    now: dt.datetime | None = None,
    batch_size: int | None = None,
    parallel: int = 1,
    announce_delivery: Callable[[], None] | None = None,
) -> SweepResult:
    """Raise reminders and escalations for every silent open case. Safe to run concurrently
    and repeatedly: each case, stage and silence episode alerts once.

    With `parallel` > 1 that many connections sweep side by side (SKIP LOCKED hands each a
    different share of the due cases), using the cores of the database server. Inside an
    open transaction the sweep stays on the caller's connection: other connections could not
    see what the caller has not committed. `announce_delivery` replaces the Celery publish
    that asks a worker to deliver the queued e-mails (the benchmark counts it instead)."""
    now = now or timezone.now()
    batch_size = batch_size or settings.SWEEP_BATCH_SIZE
    started = time.monotonic()
    SweepHeartbeat.objects.update_or_create(
        name=SILENCE_HEARTBEAT, defaults={"last_started_at": now}
    )
    result = SweepResult(resumed=cases_resume_expired_pauses(today=timezone.localdate(now)))
    lock = threading.Lock()
    work = {"now": now, "batch_size": batch_size, "result": result, "lock": lock}
    if parallel <= 1 or connection.in_atomic_block:
        _sweep_batches(**work)  # type: ignore[arg-type]
    else:
        threads = [
            threading.Thread(target=_sweep_batches_in_thread, kwargs=work) for _ in range(parallel)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    SweepHeartbeat.objects.filter(name=SILENCE_HEARTBEAT).update(
        last_completed_at=timezone.now(),
        last_duration_ms=int((time.monotonic() - started) * 1000),
        last_result=result.counts(),
    )
    if result.notifications:
        (announce_delivery or outbox.enqueue_delivery)()
    return result
