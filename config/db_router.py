"""Dashboards and statistics may read from a PostgreSQL streaming replica (docs/scaling.md).

Off unless DATABASE_REPLICA_URL is set: then there is no "replica" alias and this router
decides nothing (Django's default: everything on "default"). When it is set, only the reads
made inside `dashboards.replica.reading_from_replica()` go to the replica: the managers'
dashboard and the statistics, which may be a few seconds behind. Every other read stays on
the primary, so a page shown after a save always shows the save (read-your-writes), and
every write goes to the primary, even of an object that was read from the replica.

The switch is a context variable, so it belongs to one request (thread or task) only."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model

REPLICA = "replica"

_replica_reads: ContextVar[bool] = ContextVar("replica_reads", default=False)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


@contextmanager
def replica_reads() -> Iterator[None]:
    """Inside the block, reads go to the replica (when one is configured)."""
    token = _replica_reads.set(True)
    try:
        yield
    finally:
        _replica_reads.reset(token)


def read_alias() -> str:
    """The alias a read made here goes to. Inside a transaction on the primary it stays
    there: the replica cannot see what the transaction has written and not yet committed."""
    if (
        _replica_reads.get()
        and replica_configured()
        and not connections[DEFAULT_DB_ALIAS].in_atomic_block
    ):
        return REPLICA
    return DEFAULT_DB_ALIAS


class ReplicaRouter:
    def db_for_read(self, model: type[Model], **hints: Any) -> str | None:
        if not replica_configured():
            return None
        # Explicitly "default" outside the block: left to Django, an object read from the
        # replica would take its later reads (its relations) there too.
        return read_alias()

    def db_for_write(self, model: type[Model], **hints: Any) -> str | None:
        return DEFAULT_DB_ALIAS if replica_configured() else None

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool | None:
        # The replica holds the same rows as the primary.
        aliases = {DEFAULT_DB_ALIAS, REPLICA}
        if obj1._state.db in aliases and obj2._state.db in aliases:
            return True
        return None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        # A replica follows the primary's schema by streaming replication.
        return False if db == REPLICA else None
