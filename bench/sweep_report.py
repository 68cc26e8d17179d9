"""Reporting for the silence sweep benchmark: the tables on standard output, the machine it ran
on, and the JSON in bench/results/."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import statistics
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.sweep_db import scalar

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = Path(__file__).resolve().parent / "results"


def fmt_seconds(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms" if seconds < 10 else f"{seconds:,.1f} s"


def print_table(title: str, rows: Sequence[tuple[str, Any]]) -> None:
    width = max(len(label) for label, _value in rows)
    print(f"\n{title}\n{'-' * len(title)}")
    for label, value in rows:
        print(f"  {label:<{width}}  {value}")


def sweep_rows(result: dict[str, Any], *, batch_size: int, parallel: int) -> list[tuple[str, Any]]:
    """The main table's rows for the seed and the timed sweep (`run_sweeps`' result)."""
    seeded, sweep, idle = result["seed"], result["sweep"], result["idle_sweep"]
    runs = result["sweep_runs_seconds"]
    statements = sum(sweep["batch_seconds"])
    wall = fmt_seconds(sweep["seconds"])
    if len(runs) > 1:
        wall += f" (median of {len(runs)}: {', '.join(fmt_seconds(s) for s in runs)})"
    return [
        ("open cases", f"{seeded['open']:,}"),
        (
            "due cases",
            f"{seeded['due']:,} ({seeded['due_to_remind']:,} to remind, "
            f"{seeded['due_to_escalate']:,} to escalate)",
        ),
        ("cases without counsellor", f"{seeded['unowned']:,}"),
        (
            "seed time",
            f"{fmt_seconds(seeded['seconds'])} (COPY {fmt_seconds(seeded['copy_seconds'])}, "
            f"ANALYZE {fmt_seconds(seeded['analyze_seconds'])})",
        ),
        ("SWEEP wall time", wall),
        (
            f"  batch statements ({parallel} connection{'s' if parallel > 1 else ''})",
            f"{sweep['batches']} x {batch_size:,}: median "
            f"{fmt_seconds(statistics.median(sweep['batch_seconds'] or [0]))}, max "
            f"{fmt_seconds(max(sweep['batch_seconds'] or [0]))}, sum {fmt_seconds(statements)}",
        ),
        (
            "  rest (COMMITs, heartbeat)",
            fmt_seconds(sweep["seconds"] - statements)
            if parallel == 1
            else "(with several connections the statements overlap)",
        ),
        (
            "  due / reminded / escalated",
            f"{sweep['due']:,} / {sweep['reminded']:,} / {sweep['escalated']:,}",
        ),
        ("  alerts created", f"{sweep['alerts']:,}"),
        (
            "  notifications created",
            f"{sweep['notifications']:,} (expected {seeded['expected_notifications']:,})",
        ),
        ("  per due case", f"{sweep['seconds'] / max(sweep['due'], 1) * 1e6:,.0f} µs"),
        ("  delivery publish", f"stubbed ({sweep['delivery_publishes_stubbed']} call)"),
        ("second sweep, nothing due", fmt_seconds(idle["seconds"])),
    ]


def naive_rows(naive: dict[str, Any], *, due: int) -> list[tuple[str, Any]]:
    """The main table's rows for the naive loop (`run_naive`'s result)."""
    label = "EXTRAPOLATED linearly" if naive["extrapolated"] else "measured"
    return [
        ("re-seed time", fmt_seconds(naive["reseed_seconds"])),
        (
            "NAIVE loop, measured",
            f"{fmt_seconds(naive['seconds'])} for {naive['cases']:,} due cases "
            f"({naive['seconds_per_case'] * 1000:.2f} ms per case; {naive['alerts']:,} alerts, "
            f"{naive['notifications']:,} notifications)",
        ),
        (f"NAIVE loop, all {due:,} due", f"{fmt_seconds(naive['full_due_seconds'])} ({label})"),
        ("SPEED-UP (naive / sweep)", f"{naive['speedup']:,.0f}x"),
    ]


def print_scaling(points: list[dict[str, Any]]) -> None:
    title = "Scaling: sweep time follows the due cases, not the open ones"
    print(f"\n{title}\n{'-' * len(title)}")
    print(
        f"  {'open':>10}  {'due':>7}  {'sweep':>9}  {'batches':>7}  {'µs/due':>6}  "
        f"{'alerts':>7}  {'notifications':>13}  {'nothing due':>11}"
    )
    for p in points:
        print(
            f"  {p['open']:>10,}  {p['due']:>7,}  {fmt_seconds(p['seconds']):>9}  "
            f"{p['batches']:>7}  {p['seconds'] / max(p['due'], 1) * 1e6:>6.0f}  "
            f"{p['alerts']:>7,}  {p['notifications']:>13,}  {fmt_seconds(p['idle_seconds']):>11}"
        )
    print("  (nothing due: a second sweep on the same data, with nothing left to do)")


def print_verdicts(checks: dict[str, bool], targets: dict[str, bool] | None) -> None:
    print("\nCorrectness")
    for name, passed in checks.items():
        print(f"  [{'ok' if passed else 'FAIL'}] {name}")
    if targets is not None:
        print("Targets")
        for name, met in targets.items():
            print(f"  [{'met' if met else 'MISSED'}] {name}")


def environment(batch_size: int, parallel: int) -> dict[str, Any]:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    except OSError:
        commit = ""
    return {
        "loadavg_at_start": os.getloadavg(),
        "git_commit": commit,
        "python": platform.python_version(),
        "postgresql": scalar("SHOW server_version"),
        "shared_buffers": scalar("SHOW shared_buffers"),
        "synchronous_commit": scalar("SHOW synchronous_commit"),
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
        "sweep_batch_size": batch_size,
        "sweep_parallelism": parallel,
    }


def write_json(payload: dict[str, Any], path: Path | None = None) -> Path:
    """To `path`, or by default to bench/results/sweep-<time>.json."""
    if path is None:
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        path = RESULTS_DIR / f"sweep-{stamp}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False, default=str) + "\n")
    return path


def shown(path: Path) -> str:
    """A path as the user would type it from the project's directory."""
    path = path.resolve()
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)
