"""A smoke run of the silence sweep benchmark (bench/sweep.py) on a few hundred cases, so that
a rename in the application (or in the benchmark) cannot break it unseen. It runs the command
as `make bench-sweep` does, in its own throwaway database on the test suite's PostgreSQL
server, never the developer's `tsunagu` or `tsunagu_bench`; the sweep's one Celery publish
goes to the benchmark's counter, and the test suite's Redis stands in for the developer's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.bench.conftest import run_bench

# Few enough to take seconds, and every path of the benchmark still taken: 60 due cases,
# the naive loop over 50 of them (so extrapolated), both batches of a parallel sweep.
SMALL = ("--cases", "300", "--due-fraction", "0.2", "--centres", "3")

pytestmark = pytest.mark.slow


def test_benchmark_sweeps_a_few_hundred_cases_like_the_naive_loop(
    bench_db: str, tmp_path: Path
) -> None:
    results = tmp_path / "sweep.json"
    run = run_bench(
        "sweep.py",
        *SMALL,
        "--naive-limit=50",
        "--scaling",
        "--scaling-points=300:60,300:30",
        f"--db={bench_db}",
        f"--json={results}",
    )

    assert run.returncode == 0, run.stdout + run.stderr
    payload = json.loads(results.read_text())
    assert payload["parameters"]["db"] == bench_db
    seed, sweep, idle, naive = (payload[k] for k in ("seed", "sweep", "idle_sweep", "naive"))
    assert (seed["open"], seed["due"]) == (300, 60)
    assert seed["due_to_remind"] > 0 and seed["due_to_escalate"] > 0
    # Every due case reminded or escalated once, with the notifications the seed implies.
    assert sweep["due"] == sweep["alerts"] == seed["due"]
    assert (sweep["reminded"], sweep["escalated"]) == (
        seed["due_to_remind"],
        seed["due_to_escalate"],
    )
    assert sweep["notifications"] == seed["expected_notifications"] > seed["due"]
    assert sweep["still_due"] == 0
    assert len(sweep["batch_seconds"]) == sweep["batches"] >= 1
    assert 0 < max(sweep["batch_seconds"]) < sweep["seconds"]
    assert sweep["delivery_publishes_stubbed"] == 1  # the hook, not the developer's Redis
    assert (idle["due"], idle["notifications"]) == (0, 0)
    # The naive loop did the first 50 the same way (outcome digests compared by the bench).
    assert (naive["cases"], naive["alerts"]) == (50, 50)
    assert naive["notifications"] == seed["naive_expected_notifications"]
    assert naive["extrapolated"] and naive["full_due_seconds"] > naive["seconds"] > 0
    assert naive["speedup"] > 0
    assert payload["checks"]["naive and sweep outcomes identical"] is True
    assert all(payload["checks"].values()), payload["checks"]
    assert [(p["open"], p["due"], p["source"], p["alerts"]) for p in payload["scaling"]] == [
        (300, 60, "main run", 60),
        (300, 30, "seeded", 30),
    ]
    assert "targets" not in payload  # only at 1M / 50k
    assert "SPEED-UP (naive / sweep)" in run.stdout
    assert "[FAIL]" not in run.stdout


def test_benchmark_explains_one_sweep_batch(bench_db: str) -> None:
    run = run_bench("sweep.py", *SMALL, "--explain", f"--db={bench_db}")

    assert run.returncode == 0, run.stdout + run.stderr
    assert "one batch, rolled back" in run.stdout
    assert "Insert on reminders_notification" in run.stdout
    assert "Execution Time" in run.stdout


def test_benchmark_refuses_the_developers_database() -> None:
    run = run_bench("sweep.py", *SMALL, "--db=tsunagu")

    assert run.returncode != 0
    assert "refusing to use database 'tsunagu'" in run.stderr
