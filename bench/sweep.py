"""Benchmark of the silence sweep (`reminders.services.sweep_silence`).

Seeds a dedicated database with many open cases, a fraction of them due, times one full
sweep, times a naive per-case ORM loop doing the same work on the same data, and
optionally shows that the sweep's cost follows the number of due cases, not open ones.
See bench/README.md. Run with `make bench-sweep` or `uv run python bench/sweep.py --help`.

This file is the command: its options and the order of the steps. The steps live beside it:
`sweep_db` (the benchmark's own database), `sweep_seed` (people, COPY seeding),
`sweep_measure` (the timed sweep, the naive loop, EXPLAIN) and `sweep_report` (tables, JSON).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

# Run as a script, only bench/ is on the import path: the project's root must be too, for the
# steps (imported as bench.*) and for Django's apps.
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import sweep_measure as measure  # noqa: E402
from bench import sweep_report as report  # noqa: E402
from bench.sweep_db import django_setup, ensure_database  # noqa: E402
from bench.sweep_seed import create_people, seed_cases  # noqa: E402

TARGET_SECONDS = 3.0  # 1M open / 50k due
TARGET_SPEEDUP = 50.0


# --- arguments ---------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark the silence sweep against a naive per-case ORM loop.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--cases", type=int, default=1_000_000, help="open cases to seed")
    parser.add_argument(
        "--due-fraction", type=float, default=0.05, help="share of the open cases that are due"
    )
    parser.add_argument(
        "--naive-limit",
        type=int,
        default=5000,
        help="due cases the naive loop processes (the rest is extrapolated); 0 skips it",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="timed sweeps (each on freshly seeded data); the median is reported",
    )
    parser.add_argument(
        "--scaling",
        action="store_true",
        help="also time the sweep at each of --scaling-points (open:due pairs)",
    )
    parser.add_argument(
        "--scaling-points",
        default="200000:10000,1000000:10000,1000000:50000",
        help="comma-separated open:due pairs for --scaling",
    )
    parser.add_argument(
        "--batch-size", type=int, default=None, help="default: settings.SWEEP_BATCH_SIZE"
    )
    parser.add_argument(
        "--parallel",
        type=int,
        default=None,
        help="connections sweeping side by side (default: settings.SWEEP_PARALLELISM)",
    )
    parser.add_argument("--centres", type=int, default=50)
    parser.add_argument("--counsellors", type=int, default=5, help="counsellors per centre")
    parser.add_argument("--managers", type=int, default=1, help="managers per centre")
    parser.add_argument(
        "--escalation-share",
        type=float,
        default=0.3,
        help="share of the due cases already reminded (this sweep escalates them)",
    )
    parser.add_argument(
        "--unowned-share", type=float, default=0.02, help="share of cases with no counsellor"
    )
    parser.add_argument("--seed", type=int, default=20261125, help="random seed of the data")
    parser.add_argument("--db", default="tsunagu_bench", help="the benchmark's own database")
    parser.add_argument(
        "--explain",
        action="store_true",
        help="seed, print EXPLAIN (ANALYZE, BUFFERS) of one sweep batch (rolled back), exit",
    )
    parser.add_argument("--no-json", action="store_true", help="do not write bench/results/")
    parser.add_argument(
        "--json",
        type=Path,
        metavar="FILE",
        help="write the results to FILE instead of bench/results/sweep-<time>.json",
    )
    args = parser.parse_args(argv)
    if not 0 <= args.due_fraction <= 1:
        parser.error("--due-fraction must be between 0 and 1")
    if args.cases < 1 or args.centres < 1 or args.counsellors < 1 or args.managers < 0:
        parser.error("--cases, --centres and --counsellors must be positive")
    if args.centres > 999:
        parser.error("--centres must be at most 999 (case number prefixes are 4 characters)")
    args.points = parse_points(parser, args.scaling_points)
    return args


def parse_points(parser: argparse.ArgumentParser, text: str) -> list[tuple[int, int]]:
    points = []
    for item in text.split(","):
        try:
            open_text, due_text = item.split(":")
            point = (int(open_text), int(due_text))
        except ValueError:
            parser.error(f"bad scaling point {item!r}: expected open:due, e.g. 1000000:50000")
        if not 0 <= point[1] <= point[0]:
            parser.error(f"bad scaling point {item!r}: due must be between 0 and open")
        points.append(point)
    return points


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    bench_started = time.perf_counter()
    ensure_database(args.db)
    django_setup(args.db)

    from django.conf import settings
    from django.utils import timezone

    batch_size = args.batch_size or settings.SWEEP_BATCH_SIZE
    parallel = args.parallel or settings.SWEEP_PARALLELISM
    now = timezone.now().replace(second=0, microsecond=0)
    due = round(args.cases * args.due_fraction)
    print(
        f"silence sweep benchmark: database {args.db}, {args.cases:,} open cases, {due:,} due, "
        f"{args.centres} centres x ({args.counsellors} counsellors + {args.managers} "
        f"manager(s)), batch size {batch_size:,}"
    )
    people = create_people(args)

    if args.explain:
        seeded = seed_cases(args, people, now, open_cases=args.cases, due_cases=due)
        print(f"seeded in {report.fmt_seconds(seeded.seconds)}; one batch, rolled back:\n")
        print(measure.explain_batch(now, batch_size))
        return 0

    env = report.environment(batch_size, parallel)
    if os.getloadavg()[0] > 0.5:
        print(
            f"warning: load average {os.getloadavg()[0]:.2f} before the benchmark: something "
            "else is running, the figures will be noisy"
        )
    payload: dict[str, Any] = {
        "started_at": now.isoformat(),
        "environment": env,
        "parameters": {k: v for k, v in vars(args).items() if k != "points"},
        "delivery": "sweep_silence(announce_delivery=...) stubbed (counted, not published)",
    }
    result, checks = measure.run_sweeps(
        args, people, now, due=due, batch_size=batch_size, parallel=parallel
    )
    payload.update(result)
    sweep = result["sweep"]
    rows = report.sweep_rows(result, batch_size=batch_size, parallel=parallel)
    targets = {
        f"sweep <= {TARGET_SECONDS:g} s at 1M open / 50k due": sweep["seconds"] <= TARGET_SECONDS
    }
    if args.naive_limit > 0 and due:
        naive, naive_checks = measure.run_naive(args, people, now, due=due, sweep=sweep)
        payload["naive"] = naive
        rows += report.naive_rows(naive, due=due)
        checks.update(naive_checks)
        targets[f">= {TARGET_SPEEDUP:g}x faster than naive"] = naive["speedup"] >= TARGET_SPEEDUP
    sweep.pop("outcome_digest", None)
    report.print_table(
        f"Silence sweep: {args.cases:,} open / {due:,} due "
        f"(PostgreSQL {env['postgresql'].split()[0]}, {env['cpus']} CPUs, "
        f"shared_buffers {env['shared_buffers']})",
        rows,
    )

    if args.scaling:
        main_point = (args.cases, due, sweep, result["idle_sweep"])
        points, scaling_checks = measure.run_scaling(
            args, people, now, batch_size=batch_size, parallel=parallel, main_point=main_point
        )
        payload["scaling"] = points
        checks.update(scaling_checks)
        report.print_scaling(points)

    payload["checks"] = checks
    payload["total_seconds"] = time.perf_counter() - bench_started
    payload["loadavg_at_end"] = os.getloadavg()
    # The targets are those of 1M open / 50k due, and depend on the machine: shown, not enforced.
    at_target_size = (args.cases, due) == (1_000_000, 50_000)
    if at_target_size:
        payload["targets"] = targets
    report.print_verdicts(checks, targets if at_target_size else None)
    if not args.no_json:
        path = report.write_json(payload, args.json)
        print(f"\nresults written to {report.shown(path)}")
    print(f"total benchmark time {report.fmt_seconds(payload['total_seconds'])}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
