"""Benchmark of the silence sweep (`reminders.services.sweep_silence`).

Seeds a dedicated database with many open cases, a fraction of them due, times one full
sweep, times a naive per-case ORM loop doing the same work on the same data, and
optionally shows that the sweep's cost follows the number of due cases, not open ones.
See bench/README.md. Run with `make bench-sweep` or `uv run python bench/sweep.py --help`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import math
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = Path(__file__).resolve().parent / "results"
SETTINGS_MODULE = "config.settings.local"
# The developer's database and the cluster's own: the benchmark truncates tables, so it
# refuses to run against them (and against any test database).
PROTECTED_DATABASES = {"tsunagu", "postgres", "template0", "template1"}

FOLLOWUP_DAYS = 30  # the centres' defaults (accounts.Centre); cases inherit them
GRACE_DAYS = 7
MINUTE = dt.timedelta(minutes=1)
DAY_MINUTES = 24 * 60


# --- arguments ---------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark the silence sweep against a naive per-case ORM loop.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--cases", type=int, default=1_000_000, help="open cases to seed")
    parser.add_argument(
        "--due-fraction", type=float, default=0.05, help="share of the open cases that are due"
    )
    parser.add_argument(
        "--naive-limit",
        type=int,
        default=5000,
        help="due cases the naive loop processes (the rest is extrapolated); 0 skips it",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="timed sweeps (each on freshly seeded data); the median is reported",
    )
    parser.add_argument(
        "--scaling",
        action="store_true",
        help="also time the sweep at each of --scaling-points (open:due pairs)",
    )
    parser.add_argument(
        "--scaling-points",
        default="200000:10000,1000000:10000,1000000:50000",
        help="comma-separated open:due pairs for --scaling",
    )
    parser.add_argument(
        "--batch-size", type=int, default=None, help="default: settings.SWEEP_BATCH_SIZE"
    )
    parser.add_argument(
        "--parallel",
        type=int,
        default=None,
        help="connections sweeping side by side (default: settings.SWEEP_PARALLELISM)",
    )
    parser.add_argument("--centres", type=int, default=50)
    parser.add_argument("--counsellors", type=int, default=5, help="counsellors per centre")
    parser.add_argument("--managers", type=int, default=1, help="managers per centre")
    parser.add_argument(
        "--escalation-share",
        type=float,
        default=0.3,
        help="share of the due cases already reminded (this sweep escalates them)",
    )
    parser.add_argument(
        "--unowned-share", type=float, default=0.02, help="share of cases with no counsellor"
    )
    parser.add_argument("--seed", type=int, default=20261125, help="random seed of the data")
    parser.add_argument("--db", default="tsunagu_bench", help="the benchmark's own database")
    parser.add_argument(
        "--explain",
        action="store_true",
        help="seed, print EXPLAIN (ANALYZE, BUFFERS) of one sweep batch (rolled back), exit",
    )
    parser.add_argument("--no-json", action="store_true", help="do not write bench/results/")
    args = parser.parse_args(argv)
    if not 0 <= args.due_fraction <= 1:
        parser.error("--due-fraction must be between 0 and 1")
    if args.cases < 1 or args.centres < 1 or args.counsellors < 1 or args.managers < 0:
        parser.error("--cases, --centres and --counsellors must be positive")
    if args.centres > 999:
        parser.error("--centres must be at most 999 (case number prefixes are 4 characters)")
    args.points = parse_points(parser, args.scaling_points)
    return args


def parse_points(parser: argparse.ArgumentParser, text: str) -> list[tuple[int, int]]:
    points = []
    for item in text.split(","):
        try:
            open_text, due_text = item.split(":")
            point = (int(open_text), int(due_text))
        except ValueError:
            parser.error(f"bad scaling point {item!r}: expected open:due, e.g. 1000000:50000")
        if not 0 <= point[1] <= point[0]:
            parser.error(f"bad scaling point {item!r}: due must be between 0 and open")
        points.append(point)
    return points


# --- the benchmark's own database --------------------------------------------------------


def database_url(name: str) -> str:
    host = os.environ.get("PGHOST", "127.0.0.1")
    port = os.environ.get("PGPORT", "5432")
    user = os.environ.get("PGUSER", "postgres")
    return f"postgres://{user}@{host}:{port}/{name}"


def ensure_database(name: str) -> None:
    """Create the benchmark database when missing (CREATE DATABASE, as createdb does)."""
    import psycopg
    from psycopg import sql

    if name in PROTECTED_DATABASES or name.startswith("test"):
        sys.exit(f"refusing to use database {name!r}: the benchmark truncates its tables")
    with psycopg.connect(database_url("postgres"), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            print(f"creating database {name}")
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def django_setup(name: str) -> None:
    """Point Django at the benchmark database before anything reads the settings."""
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
    os.environ["DATABASE_URL"] = database_url(name)
    # DEBUG would record every query in memory and slow the naive loop down unfairly.
    os.environ["DEBUG"] = "false"
    sys.path.insert(0, str(ROOT))

    import django
    from django.core.management import call_command
    from django.db import connection

    django.setup()
    if connection.settings_dict["NAME"] != name:
        sys.exit(f"Django is connected to {connection.settings_dict['NAME']!r}, not {name!r}")
    call_command("migrate", interactive=False, verbosity=0)


def execute(sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> list[tuple]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


def scalar(sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> Any:
    return execute(sql, params)[0][0]


# --- people ------------------------------------------------------------------------------


@dataclass
class People:
    centre_ids: list[int]
    counsellors: dict[int, list[int]]  # centre id -> counsellor ids
    managers: dict[int, list[int]]  # centre id -> manager ids


def create_people(args: argparse.Namespace) -> People:
    """Centres, counsellors and managers via the ORM, on an emptied database."""
    from django.contrib.auth.hashers import make_password

    from accounts.models import Centre, Role, User

    execute(
        "TRUNCATE accounts_centre, accounts_user, cases_case, reminders_casealert, "
        "reminders_notification, reminders_sweepheartbeat RESTART IDENTITY CASCADE"
    )
    centres = Centre.objects.bulk_create(
        Centre(
            name=f"ベンチセンター{i:03d}",
            prefecture="東京都",
            case_number_prefix=f"B{i:02d}",
            followup_interval_days=FOLLOWUP_DAYS,
            escalation_grace_days=GRACE_DAYS,
        )
        for i in range(1, args.centres + 1)
    )
    password = make_password(None)  # unusable: nobody logs in to the benchmark database
    users: list[tuple[User, Centre]] = []
    for centre in centres:
        for k in range(1, args.counsellors + 1):
            user = User(
                username=f"bench-{centre.pk}-counsellor-{k}",
                email=f"c{k}.centre{centre.pk}@bench.invalid",
                role=Role.COUNSELLOR,
                password=password,
            )
            users.append((user, centre))
        for k in range(1, args.managers + 1):
            user = User(
                username=f"bench-{centre.pk}-manager-{k}",
                email=f"m{k}.centre{centre.pk}@bench.invalid",
                role=Role.MANAGER,
                password=password,
            )
            users.append((user, centre))
    User.objects.bulk_create([user for user, _centre in users])
    User.centres.through.objects.bulk_create(
        User.centres.through(user_id=user.pk, centre_id=centre.pk) for user, centre in users
    )
    people = People(centre_ids=[c.pk for c in centres], counsellors={}, managers={})
    for user, centre in users:
        group = people.counsellors if user.role == Role.COUNSELLOR else people.managers
        group.setdefault(centre.pk, []).append(user.pk)
    return people


# --- seeding -----------------------------------------------------------------------------

# Filled per row, in this order; every other NOT NULL column gets the constant below.
VARYING_COLUMNS = (
    "centre_id",
    "number",
    "primary_counsellor_id",
    "silence_clock_started_at",
    "next_check_at",
    "silence_stage",
    "first_contact_date",
)
CONSTANT_COLUMNS = {
    "status": "open",
    "episode": "1",
    "version": "1",
    "family_name": "",
    "given_name": "",
    "family_name_kana": "",
    "given_name_kana": "",
    "search_text": "",
    "age_band": "unknown",
    "gender": "unanswered",
    "postal_code": "",
    "prefecture": "",
    "municipality": "",
    "address_line": "",
    "phone": "",
    "first_contact_by": "family",
    "severity": "",
    "support_stage": "family",
    "closure_reason": "",
    "risk_self_harm": "f",
    "risk_violence": "f",
    "risk_8050": "f",
    "risk_parent_ill": "f",
    "person_aware": "unknown",
    # created_at and updated_at: the benchmark's "now", added in seed_cases
}


@dataclass
class Seeded:
    open: int
    due: int
    due_to_remind: int  # stage ok -> reminded
    due_to_escalate: int  # stage reminded -> escalated
    unowned: int
    expected_notifications: int
    seconds: float
    copy_seconds: float
    analyze_seconds: float
    # The naive loop's first cases (its ORDER BY), with the notifications each should queue.
    naive_ids: list[int] = field(default_factory=list, repr=False)
    naive_expected_notifications: int = 0


def check_columns(columns: Sequence[str]) -> None:
    """Fail loudly if a migration added a NOT NULL column the seeding does not fill."""
    required = {
        name
        for (name,) in execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = 'cases_case' AND is_nullable = 'NO' "
            "AND column_default IS NULL AND is_identity = 'NO'"
        )
    }
    missing = required - set(columns) - {"id"}
    if missing:
        sys.exit(f"cases_case has NOT NULL columns the benchmark does not fill: {sorted(missing)}")


class CaseRows:
    """The seeded cases as COPY text lines, deterministic for a given --seed. Case i (from 0)
    gets id i + 1 (the table is truncated with RESTART IDENTITY), centre i mod centres, a
    random counsellor of that centre (or none), and a silence stage and next check: due
    cases up to 10 days overdue, at random places in the table; the rest due within the
    next 30 days, or escalated already (no next check)."""

    def __init__(
        self,
        args: argparse.Namespace,
        people: People,
        now: dt.datetime,
        *,
        open_cases: int,
        due_cases: int,
    ) -> None:
        self.args, self.people, self.now = args, people, now
        self.open_cases, self.due_cases = open_cases, due_cases
        self.stamps: dict[int, str] = {}
        constant = dict(CONSTANT_COLUMNS, created_at=self.stamp(0), updated_at=self.stamp(0))
        self.columns = (*VARYING_COLUMNS, *constant)
        self.tail = "\t".join(constant.values()) + "\n"
        self.unowned = self.due_to_remind = self.due_to_escalate = 0
        self.due_order: list[tuple[int, int, int]] = []  # (next check, id, notifications)

    def stamp(self, minutes: int) -> str:
        """`now + minutes` as a COPY literal, memoised (there are few distinct values)."""
        text = self.stamps.get(minutes)
        if text is None:
            text = self.stamps[minutes] = (self.now + minutes * MINUTE).isoformat()
        return text

    def lines(self) -> Iterator[str]:
        args, stamp, tail = self.args, self.stamp, self.tail
        rng = random.Random(args.seed)
        centre_ids = self.people.centre_ids
        n_centres = len(centre_ids)
        counsellors_of = [self.people.counsellors[cid] for cid in centre_ids]
        managers_of = [len(self.people.managers.get(cid, [])) for cid in centre_ids]
        due_set = set(rng.sample(range(self.open_cases), self.due_cases))
        followup = FOLLOWUP_DAYS * DAY_MINUTES
        grace = GRACE_DAYS * DAY_MINUTES
        for i in range(self.open_cases):
            c = i % n_centres
            owner: int | None = None
            if rng.random() >= args.unowned_share:
                staff = counsellors_of[c]
                owner = staff[rng.randrange(len(staff))]
            else:
                self.unowned += 1
            next_check: int | None
            if i in due_set:
                next_check = -rng.randrange(1, 10 * DAY_MINUTES)  # up to 10 days overdue
                if rng.random() < args.escalation_share:
                    stage, clock = "reminded", next_check - followup - grace
                    self.due_to_escalate += 1
                    recipients = (owner is not None) + managers_of[c]
                else:
                    stage, clock = "ok", next_check - followup
                    self.due_to_remind += 1
                    recipients = 1 if owner is not None else managers_of[c]
                self.due_order.append((next_check, i + 1, 2 * recipients))
            else:
                roll = rng.random()
                if roll < 0.85:  # reminder not due yet
                    next_check = rng.randrange(1, followup)
                    stage, clock = "ok", next_check - followup
                elif roll < 0.95:  # reminded, escalation not due yet
                    next_check = rng.randrange(1, grace)
                    stage, clock = "reminded", next_check - followup - grace
                else:  # escalated: nothing more to check
                    next_check = None
                    stage, clock = "escalated", -rng.randrange(followup + grace, 4 * followup)
            clock_stamp = stamp(clock)
            yield (
                f"{centre_ids[c]}\t{i // n_centres + 1}\t"
                f"{'\\N' if owner is None else owner}\t{clock_stamp}\t"
                f"{'\\N' if next_check is None else stamp(next_check)}\t{stage}\t"
                f"{clock_stamp[:10]}\t{tail}"
            )


def seed_cases(
    args: argparse.Namespace,
    people: People,
    now: dt.datetime,
    *,
    open_cases: int,
    due_cases: int,
    naive_limit: int = 0,
) -> Seeded:
    """Empty the case, alert and notification tables and COPY `open_cases` open cases into
    cases_case, `due_cases` of them due. The same arguments give the same data, so the
    sweep and the naive loop see the same cases."""
    from django.db import connection, transaction

    started = time.perf_counter()
    data = CaseRows(args, people, now, open_cases=open_cases, due_cases=due_cases)
    columns = data.columns
    check_columns(columns)

    copy_sql = f"COPY cases_case ({', '.join(columns)}) FROM STDIN WITH (FREEZE)"
    copy_started = time.perf_counter()
    with transaction.atomic():
        # One transaction: a failure leaves the previous data (and every index) in place.
        execute(
            "TRUNCATE cases_case, reminders_casealert, reminders_notification, "
            "reminders_sweepheartbeat RESTART IDENTITY CASCADE"
        )
        # Bulk-load tricks, all undone at commit or rollback: the rows reference existing
        # centres and users by construction, so the (deferred) foreign-key checks are
        # skipped; the secondary indexes are dropped and rebuilt from their own definitions
        # after the load, which is much faster than maintaining them row by row.
        if scalar("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"):
            execute("SET LOCAL session_replication_role = replica")
        execute("SET LOCAL maintenance_work_mem = '256MB'")
        secondary = execute(
            """
            SELECT i.relname, pg_get_indexdef(x.indexrelid)
              FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
             WHERE x.indrelid = 'cases_case'::regclass
               AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = x.indexrelid)
            """
        )
        for name, _definition in secondary:
            execute(f"DROP INDEX {connection.ops.quote_name(name)}")
        # Truncated in this transaction, so COPY FREEZE writes the rows frozen and all-visible:
        # the sweep meets the table as a vacuumed one, not as a fresh load.
        connection.ensure_connection()
        with connection.connection.cursor() as cursor, cursor.copy(copy_sql) as copy:
            buffer: list[str] = []
            for line in data.lines():
                buffer.append(line)
                if len(buffer) == 50_000:
                    copy.write("".join(buffer))
                    buffer.clear()
            if buffer:
                copy.write("".join(buffer))
        for _name, definition in secondary:
            execute(definition)
        execute(
            "UPDATE accounts_centre ce SET last_case_number = "
            "(SELECT coalesce(max(number), 0) FROM cases_case c WHERE c.centre_id = ce.id)"
        )
    copy_seconds = time.perf_counter() - copy_started
    analyze_started = time.perf_counter()
    execute(
        "ANALYZE cases_case, reminders_casealert, reminders_notification, accounts_centre, "
        "accounts_user, accounts_user_centres"
    )
    seeded = Seeded(
        open=open_cases,
        due=due_cases,
        due_to_remind=data.due_to_remind,
        due_to_escalate=data.due_to_escalate,
        unowned=data.unowned,
        expected_notifications=sum(n for _minute, _id, n in data.due_order),
        seconds=time.perf_counter() - started,
        copy_seconds=copy_seconds,
        analyze_seconds=time.perf_counter() - analyze_started,
    )
    due_order = sorted(data.due_order)
    seeded.naive_ids = [case_id for _minute, case_id, _n in due_order[:naive_limit]]
    seeded.naive_expected_notifications = sum(n for _minute, _id, n in due_order[:naive_limit])
    # Write the seeded pages out now, so a checkpoint does not land in the timed section.
    execute("CHECKPOINT")
    return seeded


# --- the sweep ---------------------------------------------------------------------------


@contextmanager
def delivery_stubbed() -> Iterator[list[int]]:
    """`sweep_silence` ends with one `enqueue_delivery()` (an on_commit Celery publish).
    The benchmark replaces it with a counter: it is one call per sweep whatever the size,
    and publishing would put a task on the developer's Redis queue."""
    from reminders import services

    calls: list[int] = []
    original = services.enqueue_delivery
    services.enqueue_delivery = lambda: calls.append(1)  # type: ignore[assignment]
    try:
        yield calls
    finally:
        services.enqueue_delivery = original  # type: ignore[assignment]


# Connections sweeping side by side; set from --parallel in main().
PARALLEL = 1


def timed_sweep(now: dt.datetime, batch_size: int) -> dict[str, Any]:
    from django.db import connection

    from reminders import services

    batch_seconds: list[float] = []

    def time_batches(run: Callable, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return run(sql, params, many, context)
        finally:
            if sql == services._SWEEP_BATCH_SQL:
                batch_seconds.append(time.perf_counter() - started)

    # Each sweeping thread has its own connection: time the statements on every one of them.
    sweep_batches = services._sweep_batches

    def timed_batches(**kwargs: Any) -> None:
        with connection.execute_wrapper(time_batches):
            sweep_batches(**kwargs)

    services._sweep_batches = timed_batches  # type: ignore[assignment]
    try:
        with delivery_stubbed() as publishes:
            started = time.perf_counter()
            result = services.sweep_silence(now=now, batch_size=batch_size, parallel=PARALLEL)
            seconds = time.perf_counter() - started
    finally:
        services._sweep_batches = sweep_batches  # type: ignore[assignment]
    return {
        "seconds": seconds,
        **asdict(result),
        "batch_seconds": [round(s, 4) for s in batch_seconds],
        "delivery_publishes_stubbed": len(publishes),
    }


def database_counts(now: dt.datetime) -> dict[str, int]:
    row = execute(
        """
        SELECT (SELECT count(*) FROM reminders_casealert),
               (SELECT count(*) FROM reminders_notification),
               (SELECT count(*) FROM cases_case
                 WHERE status = 'open' AND next_check_at <= %(now)s)
        """,
        {"now": now},
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
    """What the sweep does, the obvious way: one transaction per due case through the ORM.
    Load and lock the case, advance its stage, save it, create its alert and one notification
    per recipient and channel. Plain create() (no get_or_create), so it is not penalised
    for the duplicate checks the SQL gets from ON CONFLICT."""
    from django.db import transaction

    from accounts.models import Role, User
    from cases.models import Case, CaseStatus, SilenceStage
    from reminders.models import CaseAlert, Notification, NotificationChannel

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
                .select_related("centre", "primary_counsellor")
                .get(pk=case_id)
            )
            if (
                case.status != CaseStatus.OPEN
                or case.next_check_at is None
                or case.next_check_at > now
                or case.silence_stage == SilenceStage.ESCALATED
            ):
                continue
            centre = case.centre
            interval = dt.timedelta(
                days=centre.followup_interval_days
                if case.followup_interval_days is None
                else case.followup_interval_days
            )
            grace = dt.timedelta(
                days=centre.escalation_grace_days
                if case.escalation_grace_days is None
                else case.escalation_grace_days
            )
            clock = case.silence_clock_started_at
            if case.silence_stage == SilenceStage.OK:
                case.silence_stage = SilenceStage.REMINDED
                case.next_check_at = max(clock + interval + grace, now + grace)
            else:
                case.silence_stage = SilenceStage.ESCALATED
                case.next_check_at = None
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
            counsellor = case.primary_counsellor
            owner = (
                counsellor
                if counsellor
                and counsellor.is_active
                and counsellor.role in (Role.COUNSELLOR, Role.MANAGER)
                and counsellor.centres.filter(pk=case.centre_id).exists()
                else None
            )
            recipients = [owner.pk] if owner else []
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
                    "owner": owner is not None and user_id == owner.pk,
                }
                for channel in channels:
                    Notification.objects.create(
                        recipient_id=user_id,
                        centre_id=case.centre_id,
                        case=case,
                        alert=alert,
                        channel=channel,
                        kind=f"silence_{case.silence_stage}",
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

    from reminders import services

    with transaction.atomic():
        # Foreign keys are DEFERRABLE INITIALLY DEFERRED (Django's default): their checks
        # would run at COMMIT, unseen. Immediate, EXPLAIN reports them as "Trigger for ...".
        # (The sweep's inserts have none left; this shows it if one comes back.)
        execute("SET CONSTRAINTS ALL IMMEDIATE")
        execute("SET LOCAL jit = off")  # as services._sweep_batches
        plan = execute(
            "EXPLAIN (ANALYZE, BUFFERS, VERBOSE OFF) " + services._SWEEP_BATCH_SQL,
            {"now": now, "batch": batch_size},
        )
        transaction.set_rollback(True)
    return "\n".join(line for (line,) in plan)


# --- reporting ---------------------------------------------------------------------------


def print_table(title: str, rows: Sequence[tuple[str, Any]]) -> None:
    width = max(len(label) for label, _value in rows)
    print(f"\n{title}\n{'-' * len(title)}")
    for label, value in rows:
        print(f"  {label:<{width}}  {value}")


def fmt_seconds(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms" if seconds < 10 else f"{seconds:,.1f} s"


def environment(batch_size: int) -> dict[str, Any]:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    except OSError:
        commit = ""
    return {
        "loadavg_at_start": os.getloadavg(),
        "git_commit": commit,
        "python": platform.python_version(),
        "postgresql": scalar("SHOW server_version"),
        "shared_buffers": scalar("SHOW shared_buffers"),
        "synchronous_commit": scalar("SHOW synchronous_commit"),
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
        "sweep_batch_size": batch_size,
        "sweep_parallelism": PARALLEL,
    }


def write_json(payload: dict[str, Any]) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    path = RESULTS_DIR / f"sweep-{stamp}.json"
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False, default=str) + "\n")
    return path


# --- main --------------------------------------------------------------------------------


TARGET_SECONDS = 3.0  # 1M open / 50k due
TARGET_SPEEDUP = 50.0


def sweep_section(
    args: argparse.Namespace, people: People, now: dt.datetime, due: int, batch_size: int
) -> tuple[dict[str, Any], list[tuple[str, Any]], dict[str, bool], Seeded]:
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
        sweep = timed_sweep(now, batch_size)
        sweep.update(database_counts(now))
        print(
            f"sweep {run + 1}/{args.repeat}: {fmt_seconds(sweep['seconds'])}, "
            f"{sweep['due']:,} due, {sweep['batches']} batches"
        )
        runs.append(sweep)
    # The data of the last run stays in place for the checks below.
    last = runs[-1]
    sweep = sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]
    idle = timed_sweep(now, batch_size)  # again, with nothing left to do
    sweep["outcome_digest"] = outcome_digest(seeded.naive_ids) if seeded.naive_ids else ""
    checks = {
        "one alert per due case": last["alerts"] == last["due"] == seeded.due,
        "notifications as expected": last["notifications"] == seeded.expected_notifications,
        "nothing left due": last["still_due"] == 0,
        "second sweep does nothing": idle["due"] == 0 and idle["notifications"] == 0,
    }
    statements = sum(sweep["batch_seconds"])
    result = {
        "seed": {k: v for k, v in asdict(seeded).items() if k != "naive_ids"},
        "sweep": sweep,
        "sweep_runs_seconds": [r["seconds"] for r in runs],
        "idle_sweep": idle,
    }
    wall = fmt_seconds(sweep["seconds"])
    if len(runs) > 1:
        wall += f" (median of {len(runs)}: {', '.join(fmt_seconds(r['seconds']) for r in runs)})"
    rows: list[tuple[str, Any]] = [
        ("open cases", f"{seeded.open:,}"),
        (
            "due cases",
            f"{seeded.due:,} ({seeded.due_to_remind:,} to remind, "
            f"{seeded.due_to_escalate:,} to escalate)",
        ),
        ("cases without counsellor", f"{seeded.unowned:,}"),
        (
            "seed time",
            f"{fmt_seconds(seeded.seconds)} (COPY {fmt_seconds(seeded.copy_seconds)}, "
            f"ANALYZE {fmt_seconds(seeded.analyze_seconds)})",
        ),
        ("SWEEP wall time", wall),
        (
            f"  batch statements ({PARALLEL} connection{'s' if PARALLEL > 1 else ''})",
            f"{sweep['batches']} x {batch_size:,}: median "
            f"{fmt_seconds(statistics.median(sweep['batch_seconds'] or [0]))}, max "
            f"{fmt_seconds(max(sweep['batch_seconds'] or [0]))}, sum {fmt_seconds(statements)}",
        ),
        (
            "  rest (COMMITs, heartbeat)",
            fmt_seconds(sweep["seconds"] - statements)
            if PARALLEL == 1
            else "(with several connections the statements overlap)",
        ),
        (
            "  due / reminded / escalated",
            f"{sweep['due']:,} / {sweep['reminded']:,} / {sweep['escalated']:,}",
        ),
        ("  alerts created", f"{sweep['alerts']:,}"),
        (
            "  notifications created",
            f"{sweep['notifications']:,} (expected {seeded.expected_notifications:,})",
        ),
        ("  per due case", f"{sweep['seconds'] / max(sweep['due'], 1) * 1e6:,.0f} µs"),
        ("  delivery publish", f"stubbed ({sweep['delivery_publishes_stubbed']} call)"),
        ("second sweep, nothing due", fmt_seconds(idle["seconds"])),
    ]
    return result, rows, checks, seeded


def naive_section(
    args: argparse.Namespace,
    people: People,
    now: dt.datetime,
    due: int,
    sweep: dict[str, Any],
) -> tuple[dict[str, Any], list[tuple[str, Any]], dict[str, bool]]:
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
    extrapolated = naive["cases"] < seeded.due
    speedup = full / sweep["seconds"]
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
        "extrapolated": extrapolated,
        "speedup": speedup,
        "reseed_seconds": seeded.seconds,
    }
    label = "EXTRAPOLATED linearly" if extrapolated else "measured"
    rows: list[tuple[str, Any]] = [
        ("re-seed time", fmt_seconds(seeded.seconds)),
        (
            "NAIVE loop, measured",
            f"{fmt_seconds(naive['seconds'])} for {naive['cases']:,} due cases "
            f"({per_case * 1000:.2f} ms per case; {naive['alerts']:,} alerts, "
            f"{naive['notifications']:,} notifications)",
        ),
        (f"NAIVE loop, all {seeded.due:,} due", f"{fmt_seconds(full)} ({label})"),
        ("SPEED-UP (naive / sweep)", f"{speedup:,.0f}x"),
    ]
    return result, rows, checks


def scaling_section(
    args: argparse.Namespace,
    people: People,
    now: dt.datetime,
    batch_size: int,
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
            sweep = timed_sweep(now, batch_size)
            sweep.update(database_counts(now))
            idle = timed_sweep(now, batch_size)
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


def print_scaling(points: list[dict[str, Any]]) -> None:
    title = "Scaling: sweep time follows the due cases, not the open ones"
    print(f"\n{title}\n{'-' * len(title)}")
    print(
        f"  {'open':>10}  {'due':>7}  {'sweep':>9}  {'batches':>7}  {'µs/due':>6}  "
        f"{'alerts':>7}  {'notifications':>13}  {'nothing due':>11}"
    )
    for p in points:
        print(
            f"  {p['open']:>10,}  {p['due']:>7,}  {fmt_seconds(p['seconds']):>9}  "
            f"{p['batches']:>7}  {p['seconds'] / max(p['due'], 1) * 1e6:>6.0f}  "
            f"{p['alerts']:>7,}  {p['notifications']:>13,}  {fmt_seconds(p['idle_seconds']):>11}"
        )
    print("  (nothing due: a second sweep on the same data, with nothing left to do)")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    bench_started = time.perf_counter()
    ensure_database(args.db)
    django_setup(args.db)

    from django.conf import settings
    from django.utils import timezone

    batch_size = args.batch_size or settings.SWEEP_BATCH_SIZE
    global PARALLEL
    PARALLEL = args.parallel or settings.SWEEP_PARALLELISM
    now = timezone.now().replace(second=0, microsecond=0)
    due = round(args.cases * args.due_fraction)
    print(
        f"silence sweep benchmark: database {args.db}, {args.cases:,} open cases, {due:,} due, "
        f"{args.centres} centres x ({args.counsellors} counsellors + {args.managers} "
        f"manager(s)), batch size {batch_size:,}"
    )
    people = create_people(args)

    if args.explain:
        seeded = seed_cases(args, people, now, open_cases=args.cases, due_cases=due)
        print(f"seeded in {fmt_seconds(seeded.seconds)}; one batch, rolled back:\n")
        print(explain_batch(now, batch_size))
        return 0

    env = environment(batch_size)
    if os.getloadavg()[0] > 0.5:
        print(
            f"warning: load average {os.getloadavg()[0]:.2f} before the benchmark: something "
            "else is running, the figures will be noisy"
        )
    payload: dict[str, Any] = {
        "started_at": now.isoformat(),
        "environment": env,
        "parameters": {k: v for k, v in vars(args).items() if k != "points"},
        "delivery": "reminders.services.enqueue_delivery stubbed (counted, not published)",
    }
    result, rows, checks, _seeded = sweep_section(args, people, now, due, batch_size)
    payload.update(result)
    sweep = result["sweep"]
    targets = [
        (
            f"sweep <= {TARGET_SECONDS:g} s at 1M open / 50k due",
            sweep["seconds"] <= TARGET_SECONDS,
        )
    ]
    if args.naive_limit > 0 and due:
        naive, naive_rows, naive_checks = naive_section(args, people, now, due, sweep)
        payload["naive"] = naive
        rows += naive_rows
        checks.update(naive_checks)
        targets.append((f">= {TARGET_SPEEDUP:g}x faster than naive", naive["speedup"] >= 50))
    sweep.pop("outcome_digest", None)
    print_table(
        f"Silence sweep: {args.cases:,} open / {due:,} due "
        f"(PostgreSQL {env['postgresql'].split()[0]}, {env['cpus']} CPUs, "
        f"shared_buffers {env['shared_buffers']})",
        rows,
    )

    if args.scaling:
        main_point = (args.cases, due, sweep, result["idle_sweep"])
        points, scaling_checks = scaling_section(args, people, now, batch_size, main_point)
        payload["scaling"] = points
        checks.update(scaling_checks)
        print_scaling(points)

    payload["checks"] = checks
    payload["total_seconds"] = time.perf_counter() - bench_started
    payload["loadavg_at_end"] = os.getloadavg()
    print("\nCorrectness")
    for name, passed in checks.items():
        print(f"  [{'ok' if passed else 'FAIL'}] {name}")
    if (args.cases, due) == (1_000_000, 50_000):
        payload["targets"] = dict(targets)
        print("Targets")
        for name, met in targets:
            print(f"  [{'met' if met else 'MISSED'}] {name}")
    if not args.no_json:
        print(f"\nresults written to {write_json(payload).relative_to(ROOT)}")
    print(f"total benchmark time {fmt_seconds(payload['total_seconds'])}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
