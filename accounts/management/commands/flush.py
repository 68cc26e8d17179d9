"""`manage.py flush`, which the test runner also calls between transactional tests: the
append-only tables refuse TRUNCATE (accounts.models.append_only_triggers), so emptying the
whole database steps past those triggers only where AUDIT_FLUSH_ALLOWED says so (the tests
and development). In production flush fails on the audit trail, which is the point."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.commands import flush

from accounts.models import emptying_append_only_tables


class Command(flush.Command):
    def handle(self, **options: Any) -> None:
        if not settings.AUDIT_FLUSH_ALLOWED:
            return super().handle(**options)
        with emptying_append_only_tables():
            return super().handle(**options)
