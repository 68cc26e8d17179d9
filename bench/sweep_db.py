"""The silence sweep benchmark's own database: create it, point Django at it, run SQL on it."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any

SETTINGS_MODULE = "config.settings.local"
# The developer's database and the cluster's own: the benchmark truncates tables, so it
# refuses to run against them (and against any test database).
PROTECTED_DATABASES = {"tsunagu", "postgres", "template0", "template1"}


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
