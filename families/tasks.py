"""Celery tasks: thin wrappers that call a service."""

from __future__ import annotations

from celery import shared_task

from families import risk_8050


@shared_task(name="families.refresh_8050")
def refresh_8050() -> int:
    """Daily, just after midnight in Tokyo: a parent's birthday overnight turns a household
    into an 80/50 household without anyone saving a form."""
    return risk_8050.refresh()
