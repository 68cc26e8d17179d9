"""Retention (APPI) on the outbox: the notifications about cases being disposed of, deleted
in bulk before anything else (records.retention). The outbox has no index on `case` by design
(the sweep writes it by the ten thousand, reminders.models.copied_reference), so one statement
for a whole batch of cases reads it once, rather than once per case."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection

from django.db import connection

from reminders.models import Notification


def notifications_delete_for_cases(*, case_ids: Collection[int]) -> dict[int, int]:
    """Delete every notification about these cases (whatever its state: a stale reminder
    about a case closed for years is of no use, and its context names the case) in one
    statement; returns how many went, by case."""
    if not case_ids:
        return {}
    table = connection.ops.quote_name(Notification._meta.db_table)
    with connection.cursor() as cursor:
        # Nothing refers to a notification, so a plain DELETE is all Django would do too.
        cursor.execute(
            f"DELETE FROM {table} WHERE case_id = ANY(%s) RETURNING case_id",  # noqa: S608
            [list(case_ids)],
        )
        deleted = Counter(case_id for (case_id,) in cursor.fetchall())
    return {case_id: deleted.get(case_id, 0) for case_id in case_ids}
