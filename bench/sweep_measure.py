"""Measurements of the silence sweep benchmark: the timed sweep (through the sweep's public
hooks only), what it left in the database, the naive per-case loop, and EXPLAIN of one batch.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import math
import time
from dataclasses import asdict
from typing import Any

from bench.sweep_db import execute
from bench.sweep_report import fmt_seconds
from bench.sweep_seed import People, seed_cases

# --- the sweep ---------------------------------------------------------------------------


def timed_sweep(now: dt.datetime, batch_size: int, parallel: int) -> dict[str, Any]:
    """One full `sweep_silence()`, every batch on `parallel` connections. Its closing Celery
    publish (one per sweep, whatever its size) is replaced by a counter: publishing would
    put a task on the developer's Redis queue."""
    from reminders.services import sweep_silence

    publishes: list[int] = []
    started = time.perf_counter()
    result = sweep_silence(
        now=now,
        batch_size=batch_size,
        parallel=parallel,
        announce_delivery=lambda: publishes.append(1),
    )
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        **result.counts(),
        # The batch statements alone, as the sweep timed them on every connection.
        "batch_seconds": [round(s, 4) for s in result.batch_seconds],
        "delivery_publishes_stubbed": len(publishes),
    }


def database_counts(now: dt.datetime) -> dict[str, int]:
    from cases.choices import CaseStatus

    row = execute(
        """
        SELECT (SELECT count(*) FROM reminders_casealert),
               (SELECT count(*) FROM reminders_notification),
               (SELECT count(*) FROM cases_case
                 WHERE status = %(open)s AND next_check_at <= %(now)s)
        """,
        {"now": now, "open": CaseStatus.OPEN.value},
    )[0]
    return {"alerts": row[0], "notifications": row[1], "still_due": row[2]}


def outcome_digest(case_ids: list[int]) -> str:
    """A fingerprint of what happened to these cases: stage, next check, alert and every
    notification (recipient, channel, kind, context...). Equal digests after the sweep and
    after the naive loop mean both did the same work."""
    rows = execute(
        """
        SELECT c.id, c.silence_stage, c.next_check_at, c.updated_at, c.version,
               a.stage, a.clock_started_at, a.days_silent, a.created_at, a.centre_id,
               (SELECT string_agg(concat_ws('|', n.recipient_id, n.channel, n.kind,
                                            n.context::text, n.dedupe_key = 'alert:' || a.id,
                                            n.centre_id, n.case_id, n.created_at,
                                            n.next_attempt_at, n.sent_at, n.attempts,
                                            n.subject, n.body),
                                  ',' ORDER BY n.recipient_id, n.channel)
                  FROM reminders_notification n WHERE n.alert_id = a.id)
          FROM cases_case c LEFT JOIN reminders_casealert a ON a.case_id = c.id
         WHERE c.id = ANY(%s)
         ORDER BY c.id, a.stage
        """,
        [case_ids],
    )
    return hashlib.sha256(repr(rows).encode()).hexdigest()


# --- the naive loop ----------------------------------------------------------------------


def naive_sweep(now: dt.datetime, limit: int) -> dict[str, Any]:
    """What the sweep does, the obvious way: one transaction per due case through the ORM and
    the models' own rules (`Case.next_silence_check_at`, `case_owners`). Load and lock the
    case, advance its stage, save it, create its alert and one notification per recipient
    and channel. Plain create() (no get_or_create), so it is not penalised for the duplicate
    checks the SQL gets from ON CONFLICT."""
    from django.db import transaction

    from accounts.models import Role, User
    from cases.models import Case, CaseStatus, SilenceStage, case_owners
    from reminders.models import CaseAlert, Notification, NotificationChannel
    from reminders.notification_texts import SILENCE_KINDS

    channels = (NotificationChannel.EMAIL, NotificationChannel.IN_APP)
    started = time.perf_counter()
    ids = list(
        Case.objects.filter(status=CaseStatus.OPEN, next_check_at__lte=now)
        .order_by("next_check_at", "id")
        .values_list("id", flat=True)[:limit]
    )
    alerts = notifications = 0
    for case_id in ids:
        with transaction.atomic():
            case = (
                Case.objects.select_for_update(of=("self",))
                .select_related("centre")
                .get(pk=case_id)
            )
            if (
                case.status != CaseStatus.OPEN
                or case.next_check_at is None
                or case.next_check_at > now
                or case.silence_stage == SilenceStage.ESCALATED
            ):
                continue
            clock = case.silence_clock_started_at
            if case.silence_stage == SilenceStage.OK:
                case.silence_stage = SilenceStage.REMINDED
            else:
                case.silence_stage = SilenceStage.ESCALATED
            case.next_check_at = case.next_silence_check_at(reminded_at=now)
            case.save(update_fields=["silence_stage", "next_check_at"])
            alert = CaseAlert.objects.create(
                case=case,
                centre_id=case.centre_id,
                stage=case.silence_stage,
                clock_started_at=clock,
                days_silent=math.floor((now - clock).total_seconds() / 86400),
                created_at=now,
            )
            alerts += 1
            owner_id = case.primary_counsellor_id
            if owner_id and not case_owners(case.centre_id).filter(pk=owner_id).exists():
                owner_id = None  # no longer someone who may own it: nobody owns it
            recipients = [owner_id] if owner_id else []
            if case.silence_stage == SilenceStage.ESCALATED or not recipients:
                recipients += [
                    pk
                    for pk in User.objects.filter(
                        role=Role.MANAGER, is_active=True, centres=case.centre_id
                    ).values_list("pk", flat=True)
                    if pk not in recipients
                ]
            for user_id in recipients:
                context = {
                    "case_id": case.pk,
                    "case_number": case.case_number,
                    "days": alert.days_silent,
                    "owner": user_id == owner_id,
                }
                for channel in channels:
                    Notification.objects.create(
                        recipient_id=user_id,
                        centre_id=case.centre_id,
                        case=case,
                        alert=alert,
                        channel=channel,
                        kind=SILENCE_KINDS[case.silence_stage],
                        context=context,
                        dedupe_key=f"alert:{alert.pk}",
                        created_at=now,
                        next_attempt_at=now,
                        sent_at=now if channel == NotificationChannel.IN_APP else None,
                    )
                    notifications += 1
    return {
        "seconds": time.perf_counter() - started,
        "cases": len(ids),
        "alerts": alerts,
        "notifications": notifications,
    }


# --- explain -----------------------------------------------------------------------------


def explain_batch(now: dt.datetime, batch_size: int) -> str:
    from django.db import transaction

    from reminders.services import SWEEP_BATCH_SETTINGS, sweep_batch_statement

    sql, params = sweep_batch_statement(now=now, batch_size=batch_size)
    with transaction.atomic():
        # Foreign keys are DEFERRABLE INITIALLY DEFERRED (Django's default): their checks
        # would run at COMMIT, unseen. Immediate, EXPLAIN reports them as "Trigger for ...".
        # (The sweep's inserts have none left; this shows it if one comes back.)
        execute("SET CONSTRAINTS ALL IMMEDIATE")
        execute(SWEEP_BATCH_SETTINGS)  # as the sweep runs each batch
        plan = execute("EXPLAIN (ANALYZE, BUFFERS, VERBOSE OFF) " + sql, params)
        transaction.set_rollback(True)
    return "\n".join(line for (line,) in plan)


# --- the runs ----------------------------------------------------------------------------


def run_sweeps(
    args: argparse.Namespace,
    people: People,
    now: dt.datetime,
    *,
    due: int,
    batch_size: int,
    parallel: int,
) -> tuple[dict[str, Any], dict[str, bool]]:
    """Seed, sweep once (or --repeat times, median), sweep again with nothing due."""
    runs = []
    for run in range(args.repeat):
        seeded = seed_cases(
            args, people, now, open_cases=args.cases, due_cases=due, naive_limit=args.naive_limit
        )
        print(
            f"seeded {seeded.open:,} cases ({seeded.due:,} due) in {fmt_seconds(seeded.seconds)}"
            f" (COPY {fmt_seconds(seeded.copy_seconds)}, ANALYZE "
            f"{fmt_seconds(seeded.analyze_seconds)})"
        )
        sweep = timed_sweep(now, batch_size, parallel)
        sweep.update(database_counts(now))
        print(
            f"sweep {run + 1}/{args.repeat}: {fmt_seconds(sweep['seconds'])}, "
            f"{sweep['due']:,} due, {sweep['batches']} batches"
        )
        runs.append(sweep)
    # The data of the last run stays in place for the checks below.
    last = runs[-1]
    sweep = sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]
    idle = timed_sweep(now, batch_size, parallel)  # again, with nothing left to do
    sweep["outcome_digest"] = outcome_digest(seeded.naive_ids) if seeded.naive_ids else ""
    checks = {
        "one alert per due case": last["alerts"] == last["due"] == seeded.due,
        "notifications as expected": last["notifications"] == seeded.expected_notifications,
        "nothing left due": last["still_due"] == 0,
        "second sweep does nothing": idle["due"] == 0 and idle["notifications"] == 0,
    }
    result = {
        "seed": {k: v for k, v in asdict(seeded).items() if k != "naive_ids"},
        "sweep": sweep,
        "sweep_runs_seconds": [r["seconds"] for r in runs],
        "idle_sweep": idle,
    }
    return result, checks


def run_naive(
    args: argparse.Namespace, people: People, now: dt.datetime, *, due: int, sweep: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, bool]]:
    """Re-seed the same data and run the naive loop over the first --naive-limit due cases."""
    seeded = seed_cases(
        args, people, now, open_cases=args.cases, due_cases=due, naive_limit=args.naive_limit
    )
    print(
        f"re-seeded in {fmt_seconds(seeded.seconds)}; naive loop over "
        f"{len(seeded.naive_ids):,} of {seeded.due:,} due cases..."
    )
    naive = naive_sweep(now, args.naive_limit)
    per_case = naive["seconds"] / max(naive["cases"], 1)
    full = per_case * seeded.due
    checks = {
        "naive: notifications as expected": (
            naive["notifications"] == seeded.naive_expected_notifications
        ),
        # Same stage, next check, alert and notifications (recipient, channel, kind, context)
        # for the cases both processed.
        "naive and sweep outcomes identical": (
            outcome_digest(seeded.naive_ids) == sweep["outcome_digest"]
        ),
    }
    result = {
        **naive,
        "seconds_per_case": per_case,
        "full_due_seconds": full,
        "extrapolated": naive["cases"] < seeded.due,
        "speedup": full / sweep["seconds"],
        "reseed_seconds": seeded.seconds,
    }
    return result, checks


def run_scaling(
    args: argparse.Namespace,
    people: People,
    now: dt.datetime,
    *,
    batch_size: int,
    parallel: int,
    main_point: tuple[int, int, dict[str, Any], dict[str, Any]] | None,
) -> tuple[list[dict[str, Any]], dict[str, bool]]:
    """One sweep per (open, due) point on fresh data: its time follows the due cases."""
    points, checks = [], {}
    for open_cases, due_cases in args.points:
        if main_point and main_point[:2] == (open_cases, due_cases):
            sweep, idle = main_point[2], main_point[3]
            seed_seconds, source = None, "main run"
        else:
            seeded = seed_cases(args, people, now, open_cases=open_cases, due_cases=due_cases)
            sweep = timed_sweep(now, batch_size, parallel)
            sweep.update(database_counts(now))
            idle = timed_sweep(now, batch_size, parallel)
            seed_seconds, source = seeded.seconds, "seeded"
            checks[f"scaling {open_cases:,}/{due_cases:,}: one alert per due case"] = (
                sweep["alerts"] == due_cases and sweep["still_due"] == 0
            )
        points.append(
            {
                "open": open_cases,
                "due": due_cases,
                "source": source,
                "seed_seconds": seed_seconds,
                "idle_seconds": idle["seconds"],
                **sweep,
            }
        )
        print(
            f"scaling: {open_cases:,} open / {due_cases:,} due: {fmt_seconds(sweep['seconds'])}"
            f" ({source})"
        )
    return points, checks
