"""What the benchmarks' smoke tests share: a throwaway database of their own, and running a
benchmark script as its own process against the test suite's PostgreSQL and Redis."""

from __future__ import annotations

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


def server() -> dict[str, Any]:
    """Where the test suite's PostgreSQL is, as libpq keywords."""
    db = settings.DATABASES["default"]
    return {
        k: db[key] for k, key in (("host", "HOST"), ("port", "PORT"), ("user", "USER")) if db[key]
    }


@pytest.fixture(scope="module")
def bench_db() -> Iterator[str]:
    """A database name of this run's own; the benchmark creates it, the fixture drops it."""
    name = f"tsunagu_bench_smoke_{os.getpid()}_{secrets.token_hex(4)}"
    yield name
    with psycopg.connect(dbname="postgres", autocommit=True, **server()) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def run_bench(script: str, *options: str, timeout: int = 120) -> subprocess.CompletedProcess[str]:
    """`bench/<script>` with these options, on the suite's PostgreSQL and Redis."""
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
        [sys.executable, f"bench/{script}", *options],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
