"""Optimistic locking: an edit form carries the version it was loaded at, and a save that
finds the row changed since is refused (the view shows the user's input again)."""

from __future__ import annotations

from django.db.models import Model, QuerySet


class StaleEdit(Exception):
    """Someone else saved the record after this form was loaded."""


def lock_current[M: Model](queryset: QuerySet[M], pk: int, expected_version: int | None) -> M:
    """The row, locked, if nobody saved it since the form read `expected_version`: the one
    optimistic-locking check every edit form goes through, in this app and the ones above
    (any model with a `version` counter that its service bumps on save)."""
    row = queryset.select_for_update(of=("self",)).get(pk=pk)
    if expected_version is None or getattr(row, "version", None) != expected_version:
        raise StaleEdit
    return row
