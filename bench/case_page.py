"""The case page of a case with 2,000 contacts: how long it takes, against its SQL floor.

    uv run python bench/case_page.py                        # its own scratch database
    uv run python bench/case_page.py --requests 50 --contacts 2000
    uv run python bench/case_page.py --database-url postgres://postgres@127.0.0.1:5432/mine

It builds, once, a centre, a counsellor and a case with `--contacts` contacts (plus a few
status changes, assessments, a plan with a milestone reached and a referral, so every kind of
the timeline is there) in the scratch database, migrating it first; a second run finds the
case and reuses it. Then it requests the page with Django's test client (the whole middleware
stack, the counsellor logged in) and reports the median and p95 of `--requests` requests and
the query count, the CPU time of the process per request (steadier than the wall clock on
a busy machine), next to the floor: the same page's SELECT statements (captured from one
request) replayed by psycopg directly, their rows fetched, with no Django in between. The ratio
page / floor is what the Python side (ORM, templates) costs on top of the database.

The settings are config.settings.test (DEBUG off, so templates are cached as in production).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/tsunagu_bench_case_page"
CASE_MARKER = "bench-case-page"  # the case's given name: how a second run finds it


def _ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    server = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(server, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')  # a name we chose, not user input


def _setup_django(url: str) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()
    from django.conf import settings

    # The test client's host; not setup_test_environment(), whose instrumented template
    # rendering would slow the very thing measured.
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]


def _build_case(contacts: int):  # type: ignore[no-untyped-def]
    import datetime as dt

    from django.core.management import call_command
    from django.utils import timezone

    from cases import instruments, services
    from cases.models import Case
    from tests.factories import CentreFactory, UserFactory, bulk_contacts, make_case

    call_command("migrate", verbosity=0)
    case = Case.objects.filter(given_name=CASE_MARKER).select_related("primary_counsellor").first()
    if case is not None:
        return case, case.primary_counsellor
    centre: Any = CentreFactory()
    counsellor: Any = UserFactory(centre=centre, role="counsellor", language="ja")
    case = make_case(centre, counsellor, given_name=CASE_MARKER, primary_counsellor=counsellor)
    bulk_contacts(case, counsellor, contacts)
    for weeks in range(1, 6):
        services.assessment_record(
            case=case,
            by=counsellor,
            instrument=instruments.UCLA3_JP_GOV,
            answers=[2, 2, 3],
            assessed_on=timezone.localdate() - dt.timedelta(weeks=weeks * 8),
        )
    return case, counsellor


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _time_page(case, user, requests: int):  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    client = Client()
    client.force_login(user)
    url = reverse("cases:detail", args=[case.pk])
    for _ in range(3):  # warm up: templates compiled and cached, translations loaded
        assert client.get(url).status_code == 200
    # (A wrapper, not CaptureQueriesContext: each request resets the connection's query log.)
    captured: list[tuple[str, object]] = []

    def capture(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        captured.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        client.get(url)
    timings, cpu = [], []
    for _ in range(requests):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        assert response.status_code == 200
    return timings, cpu, captured


def _time_floor(url: str, statements: list[tuple[str, object]], requests: int) -> list[float]:
    """The page's SELECTs (the INSERT of its audit event left out) through psycopg, rows
    fetched: what the database alone needs for the page."""
    import psycopg

    selects = [
        (sql, params) for sql, params in statements if sql.lstrip("( ").upper().startswith("SELECT")
    ]
    timings = []
    with psycopg.connect(url) as conn:
        for _ in range(requests + 3):
            started = time.perf_counter()
            for sql, params in selects:
                conn.execute(sql, params).fetchall()  # type: ignore[call-overload]
            timings.append((time.perf_counter() - started) * 1000)
            conn.rollback()
    return timings[3:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--contacts", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()

    _ensure_database(args.database_url)
    _setup_django(args.database_url)
    case, user = _build_case(args.contacts)
    page, cpu, statements = _time_page(case, user, args.requests)
    floor = _time_floor(args.database_url, statements, args.requests)
    page_median, floor_median = statistics.median(page), statistics.median(floor)
    print(f"case page, {case.contacts.count()} contacts, {args.requests} requests")
    print(f"  queries      {len(statements)}")
    print(f"  page         median {page_median:7.1f} ms   p95 {_percentile(page, 0.95):7.1f} ms")
    print(f"  page CPU     median {statistics.median(cpu):7.1f} ms   (this process: Python)")
    print(f"  raw SQL      median {floor_median:7.1f} ms   p95 {_percentile(floor, 0.95):7.1f} ms")
    print(f"  ratio        {page_median / floor_median:.1f}x")
    print(f"  (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
