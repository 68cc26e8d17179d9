"""Celery tasks: thin wrappers that call a service."""

from __future__ import annotations

from celery import shared_task

from outreach import services


@shared_task(name="outreach.watch_visits")
def watch_visits() -> dict[str, int]:
    """Every five minutes: missing safety check-outs, and the reminders that keep visits on
    the careful path. Idempotent (dedupe keys, a visit alerted once)."""
    return services.visits_watch().counts()
