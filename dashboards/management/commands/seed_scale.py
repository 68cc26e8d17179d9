"""`manage.py seed_scale --cases 100000`: a realistic large data set for the benchmarks (a
prefecture's years of work; `--cases 1500000` for the national scale), loaded by COPY,
deterministic for given arguments. The generator is `dashboards.scale`; bench/README.md says
how to run it and how long it takes."""

from __future__ import annotations

from typing import Any

from django.core.management import BaseCommand, CommandError, CommandParser

from cases.models import Case
from dashboards.scale import MAX_CENTRES, SCALE_PASSWORD, centres_for, seed_scale, table_lines


class Command(BaseCommand):
    help = "Builds a large realistic data set (COPY, deterministic) for the benchmarks."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--cases", type=int, required=True)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--centres", type=int, help=f"default: one per 10,000 cases, at most {MAX_CENTRES}"
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="add to a database that already has cases (nothing is deleted)",
        )

    def progress(self, line: str) -> None:
        self.stdout.write(line)
        self.stdout.flush()  # shown as it happens, even when the output is a file

    def handle(self, *args: Any, cases: int, seed: int, centres: int | None, force: bool,
               **options: Any) -> None:  # fmt: skip
        if cases < 1:
            raise CommandError("--cases must be at least 1")
        centres = centres or centres_for(cases)
        if not 1 <= centres <= cases:
            raise CommandError("--centres must be between 1 and --cases")
        if not force and Case.objects.exists():
            raise CommandError(
                "This database already has cases; use a dedicated one, or --force to add to it."
            )
        self.stdout.write(f"seed_scale: {cases:,} cases in {centres} centres, seed {seed}")
        report = seed_scale(cases=cases, seed=seed, centres=centres, log=self.progress)
        for line in table_lines(report):
            self.stdout.write(line)
        self.stdout.write(
            self.style.SUCCESS(
                f"done in {report.seconds:.1f} s: {report.centres} centres, {report.users} users "
                f"(password {SCALE_PASSWORD!r})"
            )
        )
