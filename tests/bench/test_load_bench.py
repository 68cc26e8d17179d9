"""A smoke run of the load test (bench/load.py) on a few hundred cases, so that a rename in the
application (a URL, the session or second-factor keys, a production setting) cannot break it
unseen: gunicorn with the production settings, prepared sessions of counsellors and a manager,
a few seconds of locust per scenario. In its own throwaway database on the test suite's
PostgreSQL server, never the developer's `tsunagu`; the test suite's Redis stands in for the
developer's."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.bench.conftest import run_bench

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


def test_load_test_requests_every_page_signed_in_without_a_failure(
    bench_db: str, tmp_path: Path
) -> None:
    out = tmp_path / "load.json"
    run = run_bench(
        "load.py", *SMALL, f"--db={bench_db}", f"--out={out}", timeout=180
    )  # a loaded 2-CPU machine; ~45–70 s as a rule

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
    run = run_bench("load.py", "--db=tsunagu", f"--out={tmp_path / 'load.json'}")

    assert run.returncode != 0
    assert "refusing to use database 'tsunagu'" in run.stderr
