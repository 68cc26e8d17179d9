"""The case list against its raw-SQL floor (issue 13): first page, a deep page, a filter and
a furigana search, each timed through Django's test client (median and p95 over --runs
requests, the query count) next to the same rows and count fetched by psycopg directly.

    uv run python bench/case_list.py                      # builds the data if absent
    uv run python bench/case_list.py --db tsunagu_bench_cl --runs 30 --reseed

Its own database (default `tsunagu_bench_case_list`, created if missing, migrated; it
refuses the developer's and test databases: it truncates the case tables). The data, built
once by COPY and kept between runs: --centres centres (10) with 8 counsellors each and
--cases cases (100,000) spread evenly, so the first centre, whose counsellor the benchmark
logs in as, holds --cases / --centres of them (10,000). The names come from a small list of
family and given names, so a furigana search matches a realistic share of a centre.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.sweep_db import database_url, django_setup, ensure_database, execute, scalar

FAMILY = [
    ("山田", "やまだ"),
    ("田中", "たなか"),
    ("佐藤", "さとう"),
    ("鈴木", "すずき"),
    ("高橋", "たかはし"),
    ("伊藤", "いとう"),
    ("渡辺", "わたなべ"),
    ("中村", "なかむら"),
    ("小林", "こばやし"),
    ("加藤", "かとう"),
    ("吉田", "よしだ"),
    ("山本", "やまもと"),
    ("佐々木", "ささき"),
    ("松本", "まつもと"),
    ("井上", "いのうえ"),
    ("木村", "きむら"),
    ("林", "はやし"),
    ("斎藤", "さいとう"),
    ("清水", "しみず"),
    ("森", "もり"),
]
GIVEN = [
    ("太郎", "たろう"),
    ("花子", "はなこ"),
    ("健", "けん"),
    ("翔", "しょう"),
    ("美咲", "みさき"),
    ("大輔", "だいすけ"),
    ("陽菜", "ひな"),
    ("蓮", "れん"),
    ("結衣", "ゆい"),
    ("拓海", "たくみ"),
    ("さくら", "さくら"),
    ("悠真", "ゆうま"),
    ("愛", "あい"),
    ("誠", "まこと"),
    ("葵", "あおい"),
    ("直樹", "なおき"),
]
COUNSELLORS_PER_CENTRE = 8
PAGE_SIZE = 25  # cases.views.case_list.PAGE_SIZE
DEEP_PAGE = 200  # rows 4,976–5,000 of a 10,000-case centre
SEARCH = "たなか"  # furigana of 田中: 1 in 20 cases


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="tsunagu_bench_case_list")
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--centres", type=int, default=10)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--reseed", action="store_true", help="rebuild the data")
    return parser.parse_args(argv)


# --- data --------------------------------------------------------------------------------


def seed(args: argparse.Namespace) -> None:
    """10 centres, their counsellors, and the cases by COPY (FREEZE: all-visible rows)."""
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.models import Centre, Role, User, emptying_append_only_tables
    from cases.choices import CaseStatus, Severity, SilenceStage, SupportStage
    from cases.services import normalise_for_search

    started = time.perf_counter()
    with emptying_append_only_tables():  # the users' audit trail goes with them (CASCADE)
        execute("TRUNCATE accounts_centre, accounts_user, cases_case RESTART IDENTITY CASCADE")
    centres = Centre.objects.bulk_create(
        Centre(name=f"ベンチセンター{i:02d}", prefecture="東京都", case_number_prefix=f"C{i:02d}")
        for i in range(1, args.centres + 1)
    )
    password = make_password(None)
    staff = [
        User(
            username=f"bench-{c.pk}-{k}",
            display_name=f"相談員{c.pk}-{k}",
            role=Role.COUNSELLOR,
            password=password,
        )
        for c in centres
        for k in range(COUNSELLORS_PER_CENTRE)
    ]
    User.objects.bulk_create(staff)
    User.centres.through.objects.bulk_create(
        User.centres.through(user_id=u.pk, centre_id=centres[i // COUNSELLORS_PER_CENTRE].pk)
        for i, u in enumerate(staff)
    )
    rng = random.Random(args.seed)
    now = timezone.now()
    statuses = [CaseStatus.OPEN] * 7 + [CaseStatus.PAUSED, CaseStatus.CLOSED, CaseStatus.CLOSED]
    severities = ["", *Severity.values]
    columns = [
        "centre_id",
        "number",
        "family_name",
        "given_name",
        "family_name_kana",
        "given_name_kana",
        "search_text",
        "status",
        "closure_reason",
        "paused_until",
        "closed_at",
        "severity",
        "support_stage",
        "silence_stage",
        "primary_counsellor_id",
        "last_two_way_contact_at",
        "silence_clock_started_at",
        "first_contact_date",
        "created_at",
        "updated_at",
        "risk_self_harm",
        "risk_violence",
        "risk_8050",
        "risk_parent_ill",
        "episode",
        "version",
        "age_band",
        "gender",
        "postal_code",
        "prefecture",
        "municipality",
        "address_line",
        "phone",
        "first_contact_by",
        "person_aware",
    ]
    constant = "\t".join(["1", "1", "unknown", "unanswered", "", "", "", "", "", "family"])
    constant += "\tunknown\n"

    def lines():
        for i in range(args.cases):
            c = i % args.centres
            fam, fam_kana = rng.choice(FAMILY)
            giv, giv_kana = rng.choice(GIVEN)
            status = rng.choice(statuses)
            updated = now - dt.timedelta(minutes=rng.randrange(0, 3 * 365 * 24 * 60))
            contact = updated - dt.timedelta(days=rng.randrange(0, 90))
            owner = staff[c * COUNSELLORS_PER_CENTRE + rng.randrange(COUNSELLORS_PER_CENTRE)]
            stage = rng.choice([SilenceStage.OK] * 8 + [SilenceStage.REMINDED, "escalated"])
            flags = ["t" if rng.random() < p else "f" for p in (0.05, 0.05, 0.1, 0.08)]
            yield "\t".join(
                [
                    str(centres[c].pk),
                    str(i // args.centres + 1),
                    fam,
                    giv,
                    fam_kana,
                    giv_kana,
                    normalise_for_search(fam + giv + fam_kana + giv_kana),
                    status,
                    "goal_met" if status == CaseStatus.CLOSED else "",
                    (updated.date() + dt.timedelta(days=30)).isoformat()
                    if status == CaseStatus.PAUSED
                    else "\\N",
                    updated.isoformat() if status == CaseStatus.CLOSED else "\\N",
                    rng.choice(severities),
                    rng.choice(SupportStage.values),
                    stage,
                    str(owner.pk),
                    contact.isoformat(),
                    contact.isoformat(),
                    (contact.date() - dt.timedelta(days=400)).isoformat(),
                    (updated - dt.timedelta(days=400)).isoformat(),
                    updated.isoformat(),
                    *flags,
                    constant,
                ]
            )

    with transaction.atomic():
        connection.ensure_connection()
        copy_sql = f"COPY cases_case ({', '.join(columns)}) FROM STDIN"
        with connection.connection.cursor() as cursor, cursor.copy(copy_sql) as copy:
            buffer: list[str] = []
            for line in lines():
                buffer.append(line)
                if len(buffer) == 20_000:
                    copy.write("".join(buffer))
                    buffer.clear()
            copy.write("".join(buffer))
        execute(
            "UPDATE accounts_centre ce SET last_case_number = "
            "(SELECT coalesce(max(number), 0) FROM cases_case c WHERE c.centre_id = ce.id)"
        )
    execute("VACUUM ANALYZE cases_case")
    execute("ANALYZE accounts_user")
    print(f"seeded {args.cases:,} cases in {time.perf_counter() - started:.1f} s")


# --- timing ------------------------------------------------------------------------------


def summary(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p95 * 1000


def timed(runs: int, call: Callable[[], object]) -> list[float]:
    call()  # warm: caches, the template loader, the plan cache
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return samples


# The floor: the page's columns (what the table shows, with the centre prefix and the
# counsellor's name joined) and the count, written by hand, run by psycopg directly.
FLOOR_ROWS = """
SELECT c.id, c.number, c.family_name, c.given_name, c.family_name_kana, c.given_name_kana,
       c.status, c.silence_stage, c.support_stage, c.severity, c.risk_self_harm,
       c.risk_violence, c.risk_8050, c.risk_parent_ill, c.last_two_way_contact_at,
       ce.case_number_prefix, u.display_name, u.first_name, u.last_name, u.username
  FROM cases_case c
  JOIN accounts_centre ce ON ce.id = c.centre_id
  LEFT JOIN accounts_user u ON u.id = c.primary_counsellor_id
 WHERE c.centre_id = %(centre)s {where}
 ORDER BY c.updated_at DESC, c.id DESC
 LIMIT 25 OFFSET %(offset)s
"""
FLOOR_COUNT = "SELECT count(*) FROM cases_case c WHERE c.centre_id = %(centre)s {where}"

SCENARIOS = [
    # name, query string, session search text, extra floor condition, page
    ("first page", "", "", "", 1),
    ("deep page", f"page={DEEP_PAGE}", "", "", DEEP_PAGE),
    (
        "filter: open + silent",
        "status=open&silent=true",
        "",
        "AND c.status = 'open' AND c.silence_stage IN ('reminded', 'escalated')",
        1,
    ),
    ("furigana search", "", SEARCH, f"AND c.search_text LIKE '%%{SEARCH}%%'", 1),
]


def run(args: argparse.Namespace) -> None:
    import psycopg
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import override_settings
    from django.urls import reverse

    from accounts.models import Centre, User
    from cases.views.case_list import SEARCH_SESSION_KEY

    # The test client's host, and plain static files (no collectstatic manifest needed).
    override_settings(
        ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"],
        STORAGES={
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
    ).enable()
    centre = Centre.objects.order_by("id").first()
    assert centre is not None
    in_centre = scalar("SELECT count(*) FROM cases_case WHERE centre_id = %s", [centre.pk])
    user = User.objects.filter(centres=centre).order_by("id").first()
    assert user is not None
    client = Client()
    client.force_login(user)
    url = reverse("cases:list")
    load = os.getloadavg()[0]
    print(
        f"{scalar('SELECT count(*) FROM cases_case'):,} cases, {in_centre:,} in the user's "
        f"centre; {args.runs} requests each; load average {load:.2f}\n"
    )
    header = (
        f"| {'scenario':<22} | queries | page median | page p95 | floor median | floor p95 "
        "| ratio (medians) |"
    )
    print(header)
    print("|" + "|".join("-" * (len(part) + 0) for part in header.split("|")[1:-1]) + "|")
    with psycopg.connect(database_url(connection.settings_dict["NAME"])) as raw:
        for name, query, search, where, page in SCENARIOS:
            session = client.session
            session[SEARCH_SESSION_KEY] = search
            session.save()
            target = f"{url}?{query}" if query else url

            def get(target: str = target) -> None:
                response = client.get(target)
                assert response.status_code == 200, response.status_code

            # Counted by a wrapper: the request_started signal empties connection.queries.
            captured: list[str] = []

            def count(execute, sql, *rest, captured=captured):  # type: ignore[no-untyped-def]
                captured.append(sql)
                return execute(sql, *rest)

            with connection.execute_wrapper(count):
                get()
            page_times = timed(args.runs, get)
            params = {"centre": centre.pk, "offset": (page - 1) * PAGE_SIZE}
            rows_sql, count_sql = FLOOR_ROWS.format(where=where), FLOOR_COUNT.format(where=where)

            def floor(rows_sql: str = rows_sql, count_sql: str = count_sql, params=params) -> None:  # type: ignore[no-untyped-def]
                raw.execute(rows_sql, params).fetchall()
                raw.execute(count_sql, params).fetchone()

            floor_times = timed(args.runs, floor)
            page_med, page_p95 = summary(page_times)
            floor_med, floor_p95 = summary(floor_times)
            print(
                f"| {name:<22} | {len(captured):>7} | {page_med:>8.1f} ms | {page_p95:>5.1f} ms "
                f"| {floor_med:>9.1f} ms | {floor_p95:>6.1f} ms | {page_med / floor_med:>14.1f}× |"
            )
    cpu = timed(args.runs, lambda: client.get(url))
    process = time.process_time()
    for _ in range(args.runs):
        client.get(url)
    per_page = (time.process_time() - process) / args.runs * 1000
    print(
        f"\nfirst page: {per_page:.1f} ms of this process's CPU per request "
        f"(wall median {summary(cpu)[0]:.1f} ms)"
    )


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    ensure_database(args.db)
    django_setup(args.db)
    if args.reseed or scalar("SELECT count(*) FROM cases_case") < args.cases:
        seed(args)
    run(args)


if __name__ == "__main__":
    main()
