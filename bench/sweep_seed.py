"""Seeding for the silence sweep benchmark: the people (ORM), then the open cases by COPY.

The data depends only on the arguments (`--seed` among them): every re-seed is the same data,
so the sweep and the naive loop see the same cases. See bench/README.md, "What it does".
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from bench.sweep_db import execute, scalar

FOLLOWUP_DAYS = 30  # the centres' defaults (accounts.Centre); cases inherit them
GRACE_DAYS = 7
MINUTE = dt.timedelta(minutes=1)
DAY_MINUTES = 24 * 60


# --- people ------------------------------------------------------------------------------


@dataclass
class People:
    centre_ids: list[int]
    counsellors: dict[int, list[int]]  # centre id -> counsellor ids
    managers: dict[int, list[int]]  # centre id -> manager ids


def create_people(args: argparse.Namespace) -> People:
    """Centres, counsellors and managers via the ORM, on an emptied database."""
    from django.contrib.auth.hashers import make_password

    from accounts.models import Centre, Role, User, emptying_append_only_tables

    with emptying_append_only_tables():  # the users' audit trail goes with them (CASCADE)
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


def constant_columns() -> dict[str, str]:
    """Every other NOT NULL column of cases_case, with the one value all seeded cases share
    (COPY text: "f" is false). created_at and updated_at, the benchmark's "now", are added
    in CaseRows."""
    from cases.choices import (
        AgeBand,
        CaseStatus,
        FirstContactBy,
        Gender,
        PersonAware,
        SupportStage,
    )

    return {
        "status": CaseStatus.OPEN.value,
        "episode": "1",
        "version": "1",
        "family_name": "",
        "given_name": "",
        "family_name_kana": "",
        "given_name_kana": "",
        "search_text": "",
        "age_band": AgeBand.UNKNOWN.value,
        "gender": Gender.UNANSWERED.value,
        "postal_code": "",
        "prefecture": "",
        "municipality": "",
        "address_line": "",
        "phone": "",
        "first_contact_by": FirstContactBy.FAMILY.value,
        "severity": "",
        "support_stage": SupportStage.FAMILY.value,
        "closure_reason": "",
        "risk_self_harm": "f",
        "risk_violence": "f",
        "risk_8050": "f",
        "risk_8050_unverified": "f",
        "risk_parent_ill": "f",
        "person_aware": PersonAware.UNKNOWN.value,
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
        constant = dict(constant_columns(), created_at=self.stamp(0), updated_at=self.stamp(0))
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
        from cases.choices import SilenceStage

        ok, reminded = SilenceStage.OK.value, SilenceStage.REMINDED.value
        escalated = SilenceStage.ESCALATED.value
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
                    stage, clock = reminded, next_check - followup - grace
                    self.due_to_escalate += 1
                    recipients = (owner is not None) + managers_of[c]
                else:
                    stage, clock = ok, next_check - followup
                    self.due_to_remind += 1
                    recipients = 1 if owner is not None else managers_of[c]
                self.due_order.append((next_check, i + 1, 2 * recipients))
            else:
                roll = rng.random()
                if roll < 0.85:  # reminder not due yet
                    next_check = rng.randrange(1, followup)
                    stage, clock = ok, next_check - followup
                elif roll < 0.95:  # reminded, escalation not due yet
                    next_check = rng.randrange(1, grace)
                    stage, clock = reminded, next_check - followup - grace
                else:  # escalated: nothing more to check
                    next_check = None
                    stage, clock = escalated, -rng.randrange(followup + grace, 4 * followup)
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
