"""Print the role table of docs/security.md from accounts.access.PERMISSIONS, or write it
into the document (--write) after a change of the permissions."""

from __future__ import annotations

from typing import Any

from django.core.management import BaseCommand, CommandParser

from accounts import security_doc


class Command(BaseCommand):
    help = "The table of what each role may do (docs/security.md), from accounts/access.py."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--write", action="store_true", help="update docs/security.md")

    def handle(self, *args: Any, write: bool, **options: Any) -> None:
        if not write:
            self.stdout.write(security_doc.permissions_table())
            return
        doc = security_doc.DOC
        doc.write_text(security_doc.with_table(doc.read_text(encoding="utf-8")), encoding="utf-8")
        self.stdout.write(f"{doc} updated")
