"""The silence clock of a case: when its last two-way contact was, and when the sweep looks
at it next (`Case.next_silence_check_at`)."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.db.models import Max
from django.utils import timezone

from cases.choices import CaseStatus, SilenceStage
from cases.models import Case


def case_restart_silence_clock(*, case: Case, at: dt.datetime) -> None:
    case.silence_clock_started_at = at
    case.silence_stage = SilenceStage.OK
    case.next_check_at = case.next_silence_check_at()


def case_two_way_contact(*, case: Case, at: dt.datetime) -> None:
    """Move the clock forward to `at` unless a later two-way contact is already on record.
    The row lock orders this against the sweep and against concurrent contacts, so the
    clock never moves backwards and a reset is never lost."""
    row = Case.objects.select_for_update(of=("self",)).select_related("centre").get(pk=case.pk)
    changed = []
    if row.last_two_way_contact_at is None or row.last_two_way_contact_at < at:
        row.last_two_way_contact_at = at
        changed.append("last_two_way_contact_at")
    # Only forward, and only for open cases: never before a (re)opening or a pause's end.
    if row.status == CaseStatus.OPEN and row.silence_clock_started_at < at:
        case_restart_silence_clock(case=row, at=at)
        changed += ["silence_clock_started_at", "silence_stage", "next_check_at"]
    if changed:
        row.save(update_fields=[*changed, "updated_at"])  # the list sorts by last activity
    for name in (
        "last_two_way_contact_at",
        "silence_clock_started_at",
        "silence_stage",
        "next_check_at",
    ):
        setattr(case, name, getattr(row, name))


def case_two_way_contact_withdrawn(*, case: Case, at: dt.datetime) -> None:
    """A two-way contact at `at` has been taken back: if it was the last one, the clock goes
    back to the contact before it (or to the case's last (re)opening), so that a case never
    looks contacted when it was not. The sweep then finds it due as it would have."""
    row = Case.objects.select_for_update(of=("self",)).select_related("centre").get(pk=case.pk)
    if row.last_two_way_contact_at is None or row.last_two_way_contact_at > at:
        return  # a later contact is on record: the clock stands
    row.last_two_way_contact_at = row.contacts.filter(two_way=True).aggregate(
        last=Max("occurred_at")
    )["last"]
    changed = ["last_two_way_contact_at"]
    if row.status == CaseStatus.OPEN and row.silence_clock_started_at == at:
        opened = row.status_changes.filter(to_status=CaseStatus.OPEN).aggregate(last=Max("at"))
        starts = [moment for moment in (row.last_two_way_contact_at, opened["last"]) if moment]
        case_restart_silence_clock(case=row, at=max(starts, default=row.created_at))
        changed += ["silence_clock_started_at", "silence_stage", "next_check_at"]
    row.save(update_fields=[*changed, "updated_at"])
    for name in changed:
        setattr(case, name, getattr(row, name))


def cases_resume_expired_pauses(*, today: dt.date | None = None) -> int:
    """Paused cases whose expiry date has come are open again and their clock restarts at the
    start of that day (Asia/Tokyo). Set-based: one UPDATE for all of them."""
    today = today or timezone.localdate()
    start_of_today = timezone.make_aware(dt.datetime.combine(today, dt.time.min))
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH resumed AS (
                UPDATE cases_case c
                   SET status = %(open)s, paused_until = NULL, silence_stage = %(ok)s,
                       silence_clock_started_at = %(start)s,
                       -- Case.next_silence_check_at at the ok stage, for every row at once
                       next_check_at = %(start)s + make_interval(
                           days => COALESCE(c.followup_interval_days, ce.followup_interval_days)),
                       version = c.version + 1, updated_at = now()
                  FROM accounts_centre ce
                 WHERE ce.id = c.centre_id AND c.status = %(paused)s
                   AND c.paused_until <= %(today)s
             RETURNING c.id, c.episode
            )
            INSERT INTO cases_casestatuschange
                   (case_id, at, by_id, from_status, to_status, closure_reason, paused_until,
                    episode, note)
            SELECT id, now(), NULL, %(paused)s, %(open)s, '', NULL, episode, 'pause expired'
              FROM resumed
            """,
            {
                "start": start_of_today,
                "today": today,
                "open": CaseStatus.OPEN.value,
                "paused": CaseStatus.PAUSED.value,
                "ok": SilenceStage.OK.value,
            },
        )
        return cursor.rowcount
