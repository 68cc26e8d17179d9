"""`reading_from_replica()`: the dashboards' and statistics' reads go to the PostgreSQL
replica when DATABASE_REPLICA_URL is set (config/db_router.py), to the primary otherwise.

Wrap the reads only, never a write or a read that must see the user's own last save: the
replica can be a few seconds behind (docs/scaling.md). Raw SQL takes its connection from
`connections[read_alias()]` (or `router.db_for_read`), so it follows the same switch."""

from __future__ import annotations

from config.db_router import read_alias, replica_reads

reading_from_replica = replica_reads

__all__ = ["read_alias", "reading_from_replica"]
