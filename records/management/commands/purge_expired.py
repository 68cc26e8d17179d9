"""manage.py purge_expired [--dry-run]: dispose of the cases closed longer than their
centre's retention period (records.retention), or with --dry-run only list them. Prints case
numbers, closing dates and rules, never a name."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from accounts.templatetags.tsunagu import jdate
from cases.models import DisposalSource
from records import retention


class Command(BaseCommand):
    help = "Dispose of cases past their centre's retention period (--dry-run: list only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="List what would be disposed of; change nothing."
        )

    def handle(self, *args: Any, dry_run: bool = False, **options: Any) -> None:
        result = retention.purge_expired(dry_run=dry_run, source=DisposalSource.COMMAND)
        lines = result.due if dry_run else result.disposed
        verb = "would dispose of" if dry_run else "disposed of"
        for line in lines:
            self.stdout.write(
                f"{verb} {line.centre} {line.case_number}  closed {jdate(line.closed_at)}  {line.rule}"
            )
        totals = result.totals
        if dry_run:
            self.stdout.write(f"dry run: {totals['due']} case(s) due, nothing changed")
        else:
            self.stdout.write(
                f"{totals['disposed']} case(s) disposed of, {totals['skipped']} skipped "
                f"(of {totals['due']} due)"
            )
