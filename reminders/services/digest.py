"""The weekly digest: counts of silent, escalated and soon-resuming cases, never names."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from accounts.models import Role, User
from cases.choices import CaseStatus, SilenceStage
from cases.models import Case
from reminders.models import NotificationChannel
from reminders.services.outbox import notification_queue


def weekly_digests_queue(*, now: dt.datetime | None = None) -> int:
    """One e-mail per counsellor (their cases) and per manager (their centres) who want it:
    how many cases are silent, escalated and pausing soon. Counts only, never names."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    year, week, _day = today.isocalendar()
    week_label = f"{year}-W{week:02d}"
    soon = today + dt.timedelta(days=7)
    counts = dict(
        silent=Count("id", filter=Q(status=CaseStatus.OPEN, silence_stage=SilenceStage.REMINDED)),
        escalated=Count(
            "id", filter=Q(status=CaseStatus.OPEN, silence_stage=SilenceStage.ESCALATED)
        ),
        pausing_soon=Count("id", filter=Q(status=CaseStatus.PAUSED, paused_until__lte=soon)),
    )
    keys = tuple(counts)

    def grouped(field: str) -> dict[int, dict[str, int]]:
        rows: Iterable[Mapping[str, Any]] = (
            Case.objects.filter(**{f"{field}__isnull": False}).values(field).annotate(**counts)
        )
        return {row[field]: {key: row[key] for key in keys} for row in rows}

    by_counsellor, by_centre = grouped("primary_counsellor"), grouped("centre")
    users = User.objects.filter(
        is_active=True, weekly_digest=True, role__in=[Role.COUNSELLOR, Role.MANAGER]
    ).prefetch_related("centres")
    queued = 0
    empty = dict.fromkeys(keys, 0)
    for user in users:
        if user.role == Role.MANAGER:
            rows = [by_centre.get(centre.pk, empty) for centre in user.centres.all()]
            totals = {key: sum(row[key] for row in rows) for key in empty}
            scope = "centre"
        else:
            totals, scope = dict(by_counsellor.get(user.pk, empty)), "own"
        queued += notification_queue(
            recipients=[user],
            # so that a failed digest shows on that centre's manager page
            centre=next(iter(user.centres.all()), None),
            kind="weekly_digest",
            context={**totals, "scope": scope, "week": week_label},
            dedupe_key=f"digest:{week_label}",
            channels=[NotificationChannel.EMAIL],
        )
    return queued
