"""The pages against their raw-SQL floor, on `manage.py seed_scale` data (issue 13): what
`make bench` runs, writing bench/results.md.

    make bench                                                   # 100k cases, then the load test
    uv run python bench/pages.py --db tsunagu_bench_scale --cases 100000 --runs 30
    uv run python bench/pages.py --db tsunagu_bench_national --cases 1500000 --no-load

Its own database (`--db`, created and migrated if missing; `seed_scale --cases N` run into it
when it has no cases yet, ≈ 4 minutes for 100k). Each page is requested through Django's test
client (the whole middleware stack, DEBUG off, templates cached as in production) by the user
who would open it: a counsellor of the first centre for the case list, "my day" and the case
page of a case with 2,000 contacts; that centre's manager for the dashboard and a fiscal year
of statistics, and a user of every centre for the statistics of all of them. Per page: the
query count, median and p95 of --runs requests, this process's CPU per request, and the floor:

- the case list: the same 25 rows (centre and counsellor joined) and the count, written by
  hand (bench/case_list.py's FLOOR_ROWS), run by psycopg;
- every other page: the page's own SELECT statements, captured from one request, replayed by
  psycopg with their rows fetched (no Django in between). Their ratio is what Django (ORM,
  templates, middleware) adds; whether the SQL itself is good is what the absolute targets
  judge (dashboard ≤ 300 ms, statistics ≤ 1 s, case page ≤ 150 ms).

The results go into bench/results.md, a section per data size (a run replaces its own), and,
unless --no-load, bench/load.py's load test against gunicorn follows and writes its section.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.case_list import FLOOR_COUNT, FLOOR_ROWS, PAGE_SIZE
from bench.sweep_db import database_url, django_setup, ensure_database, scalar

RESULTS = Path(__file__).resolve().parent / "results.md"
DEEP_PAGE = 200  # rows 4,976–5,000 of a 10,000-case centre
SEARCH = "まつもと"  # furigana of 松本, one of cases.demo's family names: 1 in 20 cases
TARGETS = {
    "case list: first page": "≤ 2× floor",
    "case list: deep page": "≤ 2× floor",
    "case list: open + silent": "≤ 2× floor",
    "case list: furigana search": "≤ 2× floor",
    "case page (2,000 contacts)": "≤ 150 ms",
    "manager dashboard": "≤ 300 ms, ≤ 2× floor",
    "my day": "≤ 150 ms",
    "statistics: fiscal year, one centre": "≤ 1 s",
    "statistics: fiscal year, all centres": "≤ 1 s",
}


@dataclass
class Scenario:
    name: str
    user: Any
    url: str
    search: str = ""
    floor: Callable[[Any], None] | None = None  # hand-written floor; else the page's SELECTs


@dataclass
class Measured:
    name: str
    queries: int
    page: list[float]
    cpu: list[float]
    floor: list[float]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="tsunagu_bench_scale")
    parser.add_argument("--cases", type=int, default=100_000, help="seed_scale size if empty")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--only", help="run the scenarios whose name contains this")
    parser.add_argument("--skip", help="leave out the scenarios whose name contains this")
    parser.add_argument(
        "--slowest", type=int, default=0, help="print each page's N slowest statements"
    )
    parser.add_argument("--no-load", action="store_true", help="skip bench/load.py")
    parser.add_argument("--load-users", type=int, default=50)
    parser.add_argument("--load-minutes", type=float, default=5)
    parser.add_argument("--out", type=Path, default=RESULTS)
    return parser.parse_args(argv)


# --- the people and the pages ------------------------------------------------------------


def scenarios() -> list[Scenario]:
    from django.db.models import Count
    from django.urls import reverse

    from accounts.models import Centre, Role, User
    from cases.models import Case
    from dashboards.forms.statistics import ALL_CENTRES
    from dashboards.statistics import fiscal_year_of

    centre = Centre.objects.order_by("id").first()
    assert centre is not None, "no centre: is this a seed_scale database?"
    heavy = (
        Case.objects.filter(centre=centre, status="open", primary_counsellor__isnull=False)
        .annotate(n=Count("contacts"))
        .order_by("-n", "id")
        .select_related("primary_counsellor")
        .first()
    )
    assert heavy is not None
    counsellor = heavy.primary_counsellor
    manager = User.objects.filter(centres=centre, role=Role.MANAGER).order_by("id").first()
    assert manager is not None
    # A user of every centre, for the statistics across them (an administrator's view).
    everywhere, _ = User.objects.get_or_create(
        username="bench-every-centre",
        defaults={"role": Role.MANAGER, "display_name": "ベンチ 全センター"},
    )
    everywhere.centres.set(Centre.objects.all())
    fiscal_year = fiscal_year_of(dt.date.today()) - 1  # the last complete one
    statistics_url = reverse("dashboards:statistics")
    year = f"period=fiscal_year&fiscal_year={fiscal_year}"
    case_list = reverse("cases:list")
    return [
        Scenario("case list: first page", counsellor, case_list, floor=list_floor(centre.pk)),
        Scenario(
            "case list: deep page",
            counsellor,
            f"{case_list}?page={DEEP_PAGE}",
            floor=list_floor(centre.pk, page=DEEP_PAGE),
        ),
        Scenario(
            "case list: open + silent",
            counsellor,
            f"{case_list}?status=open&silent=true",
            floor=list_floor(
                centre.pk,
                where="AND c.status = 'open' AND c.silence_stage IN ('reminded', 'escalated')",
            ),
        ),
        Scenario(
            "case list: furigana search",
            counsellor,
            case_list,
            search=SEARCH,
            floor=list_floor(centre.pk, where=f"AND c.search_text LIKE '%%{SEARCH}%%'"),
        ),
        Scenario(
            "case page (2,000 contacts)", counsellor, reverse("cases:detail", args=[heavy.pk])
        ),
        Scenario("manager dashboard", manager, reverse("dashboards:manager")),
        Scenario("my day", counsellor, reverse("dashboards:my_day")),
        Scenario(
            "statistics: fiscal year, one centre",
            manager,
            f"{statistics_url}?{year}&centre={centre.pk}",
        ),
        Scenario(
            "statistics: fiscal year, all centres",
            everywhere,
            f"{statistics_url}?{year}&centre={ALL_CENTRES}",
        ),
    ]


def list_floor(centre: int, *, where: str = "", page: int = 1) -> Callable[[Any], None]:
    params = {"centre": centre, "offset": (page - 1) * PAGE_SIZE}
    rows_sql, count_sql = FLOOR_ROWS.format(where=where), FLOOR_COUNT.format(where=where)

    def floor(raw: Any) -> None:
        raw.execute(rows_sql, params).fetchall()
        raw.execute(count_sql, params).fetchone()

    return floor


def replay_floor(statements: list[tuple[str, Any]]) -> Callable[[Any], None]:
    """The page's reads, replayed: its SELECTs (and WITH … SELECT) with their parameters."""
    reads = [
        (sql, params)
        for sql, params in statements
        if re.match(r"^[\s(]*(SELECT|WITH)\b", sql, re.IGNORECASE)
    ]

    def floor(raw: Any) -> None:
        for sql, params in reads:
            raw.execute(sql, params).fetchall()
        raw.rollback()

    return floor


# --- measuring ---------------------------------------------------------------------------


def slowest(statements: list[tuple[str, Any]], raw: Any, top: int) -> None:
    """Each SELECT of the page timed alone (median of 3), the slowest first."""
    timed = []
    for sql, params in statements:
        if not re.match(r"^[\s(]*(SELECT|WITH)\b", sql, re.IGNORECASE):
            continue
        samples = []
        for _ in range(3):
            started = time.perf_counter()
            raw.execute(sql, params).fetchall()
            samples.append((time.perf_counter() - started) * 1000)
        timed.append((statistics.median(samples), sql, params))
    raw.rollback()
    for ms, sql, params in sorted(timed, key=lambda t: t[0], reverse=True)[:top]:
        print(f"    {ms:8.1f} ms  {sql[:400]}  {str(params)[:200]}")


def measure(scenario: Scenario, runs: int, raw: Any, top: int = 0) -> Measured:
    from django.db import connection

    from cases.views.case_list import SEARCH_SESSION_KEY
    from tests.factories import client_for

    client = client_for(scenario.user)
    session = client.session
    session[SEARCH_SESSION_KEY] = scenario.search
    session.save()

    def get() -> None:
        response = client.get(scenario.url)
        assert response.status_code == 200, (scenario.name, response.status_code)

    for _ in range(3):  # warm: templates compiled, translations loaded, plans cached
        get()
    captured: list[tuple[str, Any]] = []

    def capture(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        captured.append((sql, params))
        return execute(sql, params, many, context)

    # A wrapper, not CaptureQueriesContext: each request resets the connection's query log.
    with connection.execute_wrapper(capture):
        get()
    if top:
        slowest(captured, raw, top)
    page, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        get()
        page.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    floor_call = scenario.floor or replay_floor(captured)
    for _ in range(3):
        floor_call(raw)
    floor = []
    for _ in range(runs):
        started = time.perf_counter()
        floor_call(raw)
        floor.append((time.perf_counter() - started) * 1000)
    return Measured(scenario.name, len(captured), page, cpu, floor)


# --- reporting ---------------------------------------------------------------------------


def table(results: list[Measured]) -> list[str]:
    lines = [
        "| page | queries | median | p95 | CPU/request | floor median | floor p95 "
        "| ratio (medians) | target |",
        "|---|--:|--:|--:|--:|--:|--:|--:|---|",
    ]
    for m in results:
        page_median, floor_median = statistics.median(m.page), statistics.median(m.floor)
        lines.append(
            f"| {m.name} | {m.queries} | {page_median:.1f} ms | {percentile(m.page, 0.95):.1f} ms "
            f"| {statistics.median(m.cpu):.1f} ms | {floor_median:.1f} ms "
            f"| {percentile(m.floor, 0.95):.1f} ms | {page_median / floor_median:.1f}× "
            f"| {TARGETS.get(m.name, '')} |"
        )
    return lines


def machine() -> str:
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return (
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"{scalar('SHOW server_version')} (shared_buffers {scalar('SHOW shared_buffers')}), "
        f"load average {load}"
    )


def data_size() -> str:
    counts = {
        "centres": "accounts_centre",
        "cases": "cases_case",
        "contacts": "cases_contactentry",
        "visits": "outreach_homevisit",
        "ibasho attendances": "outreach_ibashoattendance",
        "family members": "families_familymember",
    }
    return ", ".join(
        f"{scalar(f'SELECT count(*) FROM {table}'):,} {name}"  # our own table names
        for name, table in counts.items()
    )


def kept_rows(path: Path, key: str, results: list[Measured]) -> list[str]:
    """A run of some pages (`--only`, `--skip`) keeps the other pages' rows of the previous
    run of its section, marked as such, rather than dropping them."""
    if not path.exists():
        return []
    match = re.search(
        re.escape(f"<!-- {key} -->") + "(.*?)" + re.escape(f"<!-- /{key} -->"),
        path.read_text(),
        flags=re.S,
    )
    measured = {m.name for m in results}
    kept = []
    for line in match.group(1).splitlines() if match else []:
        cells = [cell.strip() for cell in line.split("|")]
        if len(cells) < 3 or cells[1] in ("page", "") or cells[1].startswith("-"):
            continue
        name = cells[1].removesuffix(EARLIER)
        if name not in measured:
            kept.append(line.replace(f"| {cells[1]} |", f"| {name}{EARLIER} |", 1))
    return kept


EARLIER = " (earlier run)"


def write_section(path: Path, key: str, body: str) -> None:
    """Replace this run's section of the results file (or add it), keeping the others."""
    start, end = f"<!-- {key} -->", f"<!-- /{key} -->"
    text = (
        path.read_text()
        if path.exists()
        else "# Benchmark results\n\n`make bench` writes this file (bench/pages.py, bench/load.py).\n"
    )
    section = f"{start}\n{body.rstrip()}\n{end}"
    if start in text:
        text = re.sub(
            re.escape(start) + ".*?" + re.escape(end), lambda _: section, text, flags=re.S
        )
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    path.write_text(text)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    ensure_database(args.db)
    django_setup(args.db)

    import psycopg
    from django.conf import settings
    from django.core.management import call_command
    from django.test.utils import override_settings

    if not scalar("SELECT count(*) FROM cases_case"):
        call_command("seed_scale", cases=args.cases)
    # The test client's host, and plain static files (no collectstatic manifest needed).
    override_settings(
        ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"],
        STORAGES={
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
    ).enable()
    size = data_size()
    print(size)
    results = []
    with psycopg.connect(database_url(args.db)) as raw:
        for scenario in scenarios():
            if (args.only and args.only not in scenario.name) or (
                args.skip and args.skip in scenario.name
            ):
                continue
            results.append(measure(scenario, args.runs, raw, args.slowest))
            print(table(results)[-1], flush=True)
    cases = scalar("SELECT count(*) FROM cases_case")
    body = "\n".join(
        [
            f"## Pages at {cases:,} cases ({dt.date.today():%Y-%m-%d})",
            "",
            f"Data: {size}. Machine: {machine()}. {args.runs} requests a page "
            "through Django's test client; the floor is the same result by psycopg directly "
            "(bench/pages.py says which SQL).",
            "",
            *table(results),
            *kept_rows(args.out, f"pages:{cases}", results),
        ]
    )
    write_section(args.out, f"pages:{cases}", body)
    print(f"written to {args.out}")
    if not args.no_load:
        from bench import load

        load_results = load.run_load(db=args.db, users=args.load_users, minutes=args.load_minutes)
        write_section(args.out, f"load:{cases}", load.markdown(load_results))


if __name__ == "__main__":
    main()
