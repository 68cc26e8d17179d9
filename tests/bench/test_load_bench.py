"""A smoke run of the load test (bench/load.py) on a few hundred cases, so that a rename in the
application (a URL, the session or second-factor keys, a production setting) cannot break it
unseen: gunicorn with the production settings, prepared sessions of counsellors and a manager,
a few seconds of locust per scenario. In its own throwaway database on the test suite's
PostgreSQL server, never the developer's `tsunagu`; the test suite's Redis stands in for the
developer's."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.conf import settings
from psycopg import sql

ROOT = Path(settings.BASE_DIR)
# seed_scale's smallest centre (2 counsellors, a manager); ~10 s of staff with short think
# times, so every page is requested, and 5 s of each capacity run.
SMALL = (
    "--seed-cases=300",
    "--users=3",
    "--minutes=0.17",
    "--wait-min=0.2",
    "--wait-max=0.5",
    "--capacity-seconds=5",
    "--capacity-users=2",
)

pytestmark = pytest.mark.slow


def server() -> dict[str, Any]:
    """Where the test suite's PostgreSQL is, as libpq keywords."""
    db = settings.DATABASES["default"]
    return {
        k: db[key] for k, key in (("host", "HOST"), ("port", "PORT"), ("user", "USER")) if db[key]
    }


@pytest.fixture
def bench_db() -> Iterator[str]:
    """A database name of this run's own; the benchmark creates it, the fixture drops it."""
    name = f"tsunagu_bench_smoke_{os.getpid()}_{secrets.token_hex(4)}"
    yield name
    with psycopg.connect(dbname="postgres", autocommit=True, **server()) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def run_bench(*options: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        **{f"PG{k.upper()}": str(v) for k, v in server().items()},
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_RESULT_BACKEND": settings.CELERY_RESULT_BACKEND,
    }
    env.pop("DATABASE_URL", None)  # the benchmark sets its own
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        [sys.executable, "bench/load.py", *options],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,  # a loaded 2-CPU machine; ~45–70 s as a rule
    )


def test_load_test_requests_every_page_signed_in_without_a_failure(
    bench_db: str, tmp_path: Path
) -> None:
    out = tmp_path / "load.json"
    run = run_bench(*SMALL, f"--db={bench_db}", f"--out={out}")

    assert run.returncode == 0, run.stdout + run.stderr
    payload = json.loads(out.read_text())
    assert payload["parameters"]["db"] == bench_db
    assert payload["parameters"]["settings"] == "config.settings.production"
    assert payload["data"]["simulated"] == {"counsellor": 2, "manager": 1}
    assert all(payload["checks"].values()), payload["checks"]
    staff = payload["staff"]
    assert set(staff["pages"]) == {"case list", "case page", "my day", "dashboard"}
    for page, figures in staff["pages"].items():
        assert figures["requests"] > 0, page
        assert figures["failures"] == 0, (page, staff["failures"])
    assert staff["failures"] == []
    assert set(payload["capacity"]) == {"case list", "case page"}
    for page, capacity in payload["capacity"].items():
        assert list(capacity["pages"]) == [page]
        assert capacity["total"]["failures"] == 0, (page, capacity["failures"])
        assert capacity["total"]["requests"] > 0 and capacity["total"]["rps"] > 0
    assert payload["server_log"]["problems"] == 0, payload["server_log"]
    assert payload["targets"]["errors"]["met"] is True
    assert payload["machine"]["cpus"] == os.cpu_count()
    assert staff["locust_cpu_seconds"] > 0 and staff["gunicorn_cpu_seconds"] > 0
    # The markdown fragment beside the JSON is what markdown() makes of it (importable as is).
    from bench.load import markdown

    fragment = out.with_suffix(".md").read_text()
    assert fragment == markdown(payload)
    assert "| case list |" in fragment and "| dashboard |" in fragment
    assert "requests/s" in fragment


def test_load_test_refuses_the_developers_database(tmp_path: Path) -> None:
    run = run_bench("--db=tsunagu", f"--out={tmp_path / 'load.json'}")

    assert run.returncode != 0
    assert "refusing to use database 'tsunagu'" in run.stderr
