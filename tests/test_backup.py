"""`make backup` and `make restore` (scripts/backup.sh, scripts/restore.sh): the seeded demo
backed up, restored into another database, and compared table by table (row count and a
checksum of every row); a restore never overwrites a database holding tables unless forced,
and never restores a dump whose checksum does not match."""

from __future__ import annotations

import os
import secrets
import subprocess
import time
from pathlib import Path

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.django_db(transaction=True)


def _url(name: str) -> str:
    settings = connection.settings_dict
    user = settings["USER"] or "postgres"
    return f"postgres://{user}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/{name}"


def _script(name: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(ROOT / "scripts" / name), *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def _tables(url: str) -> dict[str, tuple[int, str]]:
    """Every table of the schema: its row count and an order-independent checksum of its
    rows (each row's text, hashed, the hashes sorted and hashed again)."""
    with psycopg.connect(url) as db:
        names = [
            row[0]
            for row in db.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
            )
        ]
        result = {}
        for name in names:
            count, digest = db.execute(
                f"SELECT count(*), md5(coalesce(string_agg(md5(t::text), '' ORDER BY md5(t::text)), '')) FROM \"{name}\" t"  # noqa: S608 - names from the catalogue
            ).fetchone()
            result[name] = (count, digest)
        return result


@pytest.fixture
def scratch_database():
    name = f"tsunagu_restore_{secrets.token_hex(4)}"
    yield name
    with psycopg.connect(_url("postgres"), autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_the_demo_backed_up_restores_to_the_same_rows(tmp_path, scratch_database):
    with open(os.devnull, "w") as quiet:
        call_command("seed_demo", "--i-know-this-is-not-production", stdout=quiet)
    source = _url(connection.settings_dict["NAME"])
    connection.close()  # pg_dump reads a consistent snapshot; nothing of ours is open

    started = time.monotonic()
    backup = _script("backup.sh", DATABASE_URL=source, BACKUP_DIR=str(tmp_path))
    assert backup.returncode == 0, backup.stderr
    dump = Path(backup.stdout.strip())
    assert dump.parent == tmp_path and dump.name.startswith("tsunagu-") and dump.suffix == ".dump"
    checksum = Path(f"{dump}.sha256").read_text()
    assert dump.name in checksum and len(checksum.split()[0]) == 64
    assert not list(tmp_path.glob(".*.partial"))

    target = _url(scratch_database)
    restore = _script("restore.sh", str(dump), RESTORE_DATABASE_URL=target)
    assert restore.returncode == 0, restore.stderr
    elapsed = time.monotonic() - started

    before, after = _tables(source), _tables(target)
    assert after == before
    # The demo is really there: cases, contacts, the audit trail, visits, members.
    for table in ("cases_case", "cases_contactentry", "accounts_auditevent", "outreach_homevisit"):
        assert before[table][0] > 0, table
    print(f"backup round trip: {dump.stat().st_size / 1024:.0f} KiB, {elapsed:.1f} s")

    # The restored database holds tables now: not overwritten unless forced.
    again = _script("restore.sh", str(dump), RESTORE_DATABASE_URL=target)
    assert again.returncode == 4 and "not empty" in again.stderr
    forced = _script("restore.sh", str(dump), "--force", RESTORE_DATABASE_URL=target)
    assert forced.returncode == 0, forced.stderr
    assert _tables(target) == before


def test_a_damaged_or_unverified_dump_is_refused(tmp_path, scratch_database):
    dump = tmp_path / "tsunagu-20261130T000000Z.dump"
    dump.write_bytes(b"PGDMP not really")
    target = _url(scratch_database)

    unverified = _script("restore.sh", str(dump), RESTORE_DATABASE_URL=target)
    assert unverified.returncode == 3 and "no checksum file" in unverified.stderr

    subprocess.run(["sha256sum", dump.name], cwd=tmp_path, check=True, capture_output=True)
    (tmp_path / f"{dump.name}.sha256").write_text(f"{'0' * 64}  {dump.name}\n")
    damaged = _script("restore.sh", str(dump), RESTORE_DATABASE_URL=target)
    assert damaged.returncode == 3 and "checksum mismatch" in damaged.stderr
    with psycopg.connect(_url("postgres")) as db:
        assert db.execute(
            "SELECT count(*) FROM pg_database WHERE datname = %s", [scratch_database]
        ).fetchone() == (0,)  # nothing was created for a refused dump
