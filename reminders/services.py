"""Follow-up reminders: the silence sweep, the outbox and its delivery."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.db.models import Count, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Centre, Role, User
from cases.models import Case, CaseStatus, SilenceStage
from cases.services import cases_resume_expired_pauses
from reminders import messages, selectors
from reminders.models import Notification, NotificationChannel, SweepHeartbeat

logger = logging.getLogger(__name__)

SILENCE_HEARTBEAT = "silence"
# A ceiling per sweeping connection, so that a bug can never turn the sweep into an endless
# loop (5M due cases at the default batch of 2,500).
MAX_SWEEP_BATCHES = 2000


# --- the sweep ---------------------------------------------------------------------------

# One statement per batch: lock due open cases (skipping rows another sweep or a contact holds),
# advance each from the stage this statement read (compare and swap), insert one alert per
# case, stage and silence episode, and queue its notifications. A lost race does nothing.
# Shaped for the planner: the update joins the locked batch by primary key, and every later
# step reads the rows the one before returned, never the table again (see bench/README.md).
_SWEEP_BATCH_SQL = """
WITH due AS (
    SELECT c.id, c.silence_stage
      FROM cases_case c
     WHERE c.status = 'open' AND c.next_check_at <= %(now)s
       AND c.silence_stage IN ('ok', 'reminded')
     ORDER BY c.next_check_at
     LIMIT %(batch)s
       FOR UPDATE OF c SKIP LOCKED
), advanced AS (
    UPDATE cases_case c
       SET silence_stage = CASE c.silence_stage WHEN 'ok' THEN 'reminded' ELSE 'escalated' END,
           next_check_at = CASE c.silence_stage
               WHEN 'ok' THEN GREATEST(
                   c.silence_clock_started_at + make_interval(days =>
                       COALESCE(c.followup_interval_days, ce.followup_interval_days)
                       + COALESCE(c.escalation_grace_days, ce.escalation_grace_days)),
                   -- a late sweep still gives the counsellor the whole grace period
                   %(now)s::timestamptz + make_interval(days =>
                       COALESCE(c.escalation_grace_days, ce.escalation_grace_days)))
               ELSE NULL END
      FROM due, accounts_centre ce
     WHERE c.id = due.id AND c.silence_stage = due.silence_stage AND ce.id = c.centre_id
 RETURNING c.id, c.centre_id, c.silence_stage AS stage, c.silence_clock_started_at,
           c.primary_counsellor_id,
           -- as Case.case_number ("K-0042", "K-12345"): lpad alone would cut 12345 to 1234
           ce.case_number_prefix || '-'
               || lpad(c.number::text, GREATEST(4, length(c.number::text)), '0') AS case_number
), alerts AS (
    INSERT INTO reminders_casealert (case_id, centre_id, stage, clock_started_at, days_silent,
                                     created_at)
    SELECT id, centre_id, stage, silence_clock_started_at,
           floor(extract(epoch FROM (%(now)s - silence_clock_started_at)) / 86400)::int,
           %(now)s
      FROM advanced
        ON CONFLICT (case_id, stage, clock_started_at) DO NOTHING
 RETURNING id, case_id, stage, days_silent
), targets AS (
    SELECT a.id AS alert_id, a.case_id, a.stage, a.days_silent, adv.centre_id,
           adv.case_number, counsellor.id AS counsellor_id
      FROM alerts a
      JOIN advanced adv ON adv.id = a.case_id
      -- only a counsellor who still works at the case's centre; otherwise nobody owns it
      LEFT JOIN accounts_user counsellor
             ON counsellor.id = adv.primary_counsellor_id AND counsellor.is_active
            AND counsellor.role IN ('counsellor', 'manager')
            AND EXISTS (SELECT 1 FROM accounts_user_centres uc
                         WHERE uc.user_id = counsellor.id AND uc.centre_id = adv.centre_id)
), managers AS (
    SELECT uc.centre_id, uc.user_id
      FROM accounts_user_centres uc
      JOIN accounts_user u ON u.id = uc.user_id
     WHERE u.role = 'manager' AND u.is_active
), recipients AS (
    -- the responsible counsellor hears first; managers on escalation, or when nobody owns it
    SELECT t.*, t.counsellor_id AS user_id FROM targets t WHERE t.counsellor_id IS NOT NULL
    UNION ALL
    SELECT t.*, m.user_id
      FROM targets t
      JOIN managers m ON m.centre_id = t.centre_id
     WHERE (t.stage = 'escalated' OR t.counsellor_id IS NULL)
       AND m.user_id IS DISTINCT FROM t.counsellor_id
    UNION ALL
    -- a centre without an active manager: the system administrators, so no alert is lost
    SELECT t.*, a.id
      FROM targets t
      JOIN accounts_user a ON a.role = 'admin' AND a.is_active
     WHERE (t.stage = 'escalated' OR t.counsellor_id IS NULL)
       AND t.centre_id NOT IN (SELECT centre_id FROM managers)
), queued AS (
    -- No ON CONFLICT: these alerts were inserted by this very statement, so their
    -- notifications cannot exist yet. In-app notifications arrive as they are written.
    INSERT INTO reminders_notification
           (recipient_id, centre_id, case_id, alert_id, channel, kind, context, dedupe_key,
            subject, body, created_at, next_attempt_at, sent_at, attempts, last_error)
    SELECT r.user_id, r.centre_id, r.case_id, r.alert_id, ch.channel, 'silence_' || r.stage,
           jsonb_build_object('case_id', r.case_id, 'case_number', r.case_number,
                              'days', r.days_silent,
                              'owner', r.user_id IS NOT DISTINCT FROM r.counsellor_id),
           'alert:' || r.alert_id, '', '', %(now)s, %(now)s,
           CASE ch.channel WHEN 'in_app' THEN %(now)s::timestamptz END, 0, ''
      FROM recipients r CROSS JOIN (VALUES ('email'), ('in_app')) AS ch(channel)
 RETURNING 1
)
SELECT (SELECT count(*) FROM due) AS due,
       (SELECT count(*) FROM alerts WHERE stage = 'reminded') AS reminded,
       (SELECT count(*) FROM alerts WHERE stage = 'escalated') AS escalated,
       (SELECT count(*) FROM queued) AS notifications
"""


@dataclass
class SweepResult:
    resumed: int = 0
    due: int = 0
    reminded: int = 0
    escalated: int = 0
    notifications: int = 0
    batches: int = 0


def _sweep_batches(
    *, now: dt.datetime, batch_size: int, result: SweepResult, lock: threading.Lock
) -> None:
    for _batch in range(MAX_SWEEP_BATCHES):
        with transaction.atomic(), connection.cursor() as cursor:
            # A batch statement costs more than PostgreSQL's JIT threshold, yet compiling it
            # (over a second) would cost more than running it: JIT pays off only for long
            # analytical queries. (Inside a caller's transaction the setting lasts until that
            # ends: harmless, it only ever costs speed.)
            cursor.execute("SET LOCAL jit = off")
            cursor.execute(_SWEEP_BATCH_SQL, {"now": now, "batch": batch_size})
            due, reminded, escalated, queued = cursor.fetchone()
        with lock:
            result.batches += 1
            result.due += due
            result.reminded += reminded
            result.escalated += escalated
            result.notifications += queued
        if due < batch_size:
            return


def _sweep_batches_in_thread(**kwargs: Any) -> None:
    try:
        _sweep_batches(**kwargs)
    finally:
        connection.close()  # the thread's own connection


def sweep_silence(
    *, now: dt.datetime | None = None, batch_size: int | None = None, parallel: int = 1
) -> SweepResult:
    """Raise reminders and escalations for every silent open case. Safe to run concurrently
    and repeatedly: each case, stage and silence episode alerts once.

    With `parallel` > 1 that many connections sweep side by side (SKIP LOCKED hands each a
    different share of the due cases), using the cores of the database server. Inside an
    open transaction the sweep stays on the caller's connection: other connections could not
    see what the caller has not committed."""
    now = now or timezone.now()
    batch_size = batch_size or settings.SWEEP_BATCH_SIZE
    started = time.monotonic()
    SweepHeartbeat.objects.update_or_create(
        name=SILENCE_HEARTBEAT, defaults={"last_started_at": now}
    )
    result = SweepResult(resumed=cases_resume_expired_pauses(today=timezone.localdate(now)))
    lock = threading.Lock()
    work = {"now": now, "batch_size": batch_size, "result": result, "lock": lock}
    if parallel <= 1 or connection.in_atomic_block:
        _sweep_batches(**work)  # type: ignore[arg-type]
    else:
        threads = [
            threading.Thread(target=_sweep_batches_in_thread, kwargs=work) for _ in range(parallel)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    SweepHeartbeat.objects.filter(name=SILENCE_HEARTBEAT).update(
        last_completed_at=timezone.now(),
        last_duration_ms=int((time.monotonic() - started) * 1000),
        last_result=asdict(result),
    )
    if result.notifications:
        enqueue_delivery()
    return result


def sweep_is_stale(*, now: dt.datetime | None = None) -> bool:
    now = now or timezone.now()
    heartbeat = SweepHeartbeat.objects.filter(name=SILENCE_HEARTBEAT).first()
    return (
        heartbeat is None
        or heartbeat.last_completed_at is None
        or heartbeat.last_completed_at < now - settings.SWEEP_STALE_AFTER
    )


# --- the outbox --------------------------------------------------------------------------


def enqueue_delivery() -> None:
    """Ask a worker to deliver now, once the transaction commits. If Redis is down this only
    logs: the rows are safe in PostgreSQL and the periodic delivery task will send them.

    Fire and forget: with a result backend, publishing a task that keeps its result first
    subscribes to the result channel, and the Redis result backend retries that up to 20
    times, a second apart, when Redis is down: a sweep (or any request that queues a
    notification) would hang for ~20 s. Without a result, a failed publish costs at most the
    broker connection timeout (CELERY_BROKER_CONNECTION_TIMEOUT)."""

    def publish() -> None:
        from reminders.tasks import deliver_pending_notifications

        try:
            deliver_pending_notifications.apply_async(retry=False, ignore_result=True)
        except Exception as exc:  # the broker is optional for correctness, only for latency
            logger.warning("delivery not announced to the broker: %s", type(exc).__name__)

    transaction.on_commit(publish)


def notification_queue(
    *,
    recipients: Iterable[User],
    kind: str,
    context: dict[str, Any],
    dedupe_key: str,
    case: Case | None = None,
    centre: Centre | None = None,
    channels: Iterable[str] = (NotificationChannel.EMAIL, NotificationChannel.IN_APP),
) -> int:
    """Queue a notification about an object for some users (visit announcement due, briefing
    not acknowledged, safety check-out overdue...). `dedupe_key` makes it idempotent: the same
    key for the same user and channel is queued once. Returns how many rows were added."""
    messages.check_context(kind, context)
    now = timezone.now()
    created = emails = 0
    for user in recipients:
        if not user.is_active:
            continue
        for channel in channels:
            in_app = channel == NotificationChannel.IN_APP
            _row, was_created = Notification.objects.get_or_create(
                recipient=user,
                channel=channel,
                dedupe_key=dedupe_key,
                alert=None,  # the rows notification_once keeps unique
                defaults={
                    "centre": centre or (case.centre if case else None),
                    "case": case,
                    "kind": kind,
                    "context": context,
                    "created_at": now,
                    "sent_at": now if in_app else None,  # the inbox is its delivery
                },
            )
            created += was_created
            emails += was_created and not in_app
    if emails:
        enqueue_delivery()
    return created


def notifications_claim(
    *, token: uuid.UUID, now: dt.datetime | None = None, limit: int | None = None
) -> list[int]:
    """Compare-and-swap claim of deliverable rows: unsent, due, and not claimed by a live
    worker (a claim older than the timeout belongs to a worker that died)."""
    now = now or timezone.now()
    limit = limit or settings.NOTIFICATION_BATCH_SIZE
    stale = now - settings.NOTIFICATION_CLAIM_TIMEOUT
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE reminders_notification n
               SET claimed_at = %(now)s, claim_token = %(token)s, attempts = n.attempts + 1
             WHERE n.id IN (
                   SELECT id FROM reminders_notification
                    WHERE sent_at IS NULL AND failed_at IS NULL AND cancelled_at IS NULL
                      AND next_attempt_at <= %(now)s
                      AND (claimed_at IS NULL OR claimed_at < %(stale)s)
                    ORDER BY next_attempt_at, id
                    LIMIT %(limit)s
                      FOR UPDATE SKIP LOCKED)
            RETURNING n.id
            """,
            {"now": now, "stale": stale, "limit": limit, "token": token},
        )
        return sorted(row[0] for row in cursor.fetchall())


def _is_obsolete(notification: Notification) -> bool:
    """Not sent: a silence alert whose episode has ended (a two-way contact came in, the case
    was paused, closed or deleted), the inbox's rule asked of this one row; or anything
    about a case that has been deleted since it was queued."""
    if notification.alert_id is not None:
        return (
            Notification.objects.filter(pk=notification.pk)
            .filter(selectors.silence_over())
            .exists()
        )
    return (
        notification.case_id is not None
        and not Case.objects.filter(pk=notification.case_id).exists()
    )


def notification_deliver(*, notification_id: int, token: uuid.UUID) -> str:
    """Send one claimed notification and mark it sent. Idempotent: a sent row is left alone.
    A crash between sending and marking re-sends the same e-mail with the same Message-ID."""
    # Renew the claim right before sending: a slow batch never lets another run take a
    # message it is about to send, and a claim lost to another run is not sent here.
    renewed = Notification.objects.filter(
        pk=notification_id, claim_token=token, sent_at__isnull=True
    ).update(claimed_at=timezone.now())
    if not renewed:
        return "skipped"
    notification = (
        Notification.objects.select_related("recipient").filter(pk=notification_id).first()
    )
    if notification is None:
        # The claim was renewed, so the row was there a moment ago: its recipient is what is
        # missing, a user deleted after the notification was queued (the reference is not
        # checked by the database). (If the row itself has just gone, this updates nothing.)
        Notification.objects.filter(pk=notification_id).update(
            cancelled_at=timezone.now(), last_error="recipient no longer exists"
        )
        return "cancelled"
    if notification.sent_at or notification.failed_at:
        return "skipped"
    if notification.cancelled_at:
        return "cancelled"
    if _is_obsolete(notification):
        Notification.objects.filter(pk=notification.pk).update(cancelled_at=timezone.now())
        return "cancelled"
    recipient = notification.recipient
    subject, body = messages.render(notification.kind, notification.context, recipient.language)
    try:
        if notification.channel == NotificationChannel.EMAIL:
            if not recipient.email:
                raise ValueError("recipient has no e-mail address")
            EmailMessage(
                subject=subject,
                body=body,
                to=[recipient.email],
                headers={"Message-ID": notification.message_id},
            ).send()
    except Exception as exc:
        _record_failure(notification, exc)
        return "failed"
    Notification.objects.filter(pk=notification.pk, sent_at__isnull=True).update(
        sent_at=timezone.now(), subject=subject, body=body, last_error=""
    )
    return "sent"


def _record_failure(notification: Notification, exc: Exception) -> None:
    error = f"{type(exc).__name__}: {exc}"[:300]
    logger.warning(
        "notification %s failed (attempt %s): %s",
        notification.pk,
        notification.attempts,
        type(exc).__name__,
    )
    if notification.attempts >= settings.NOTIFICATION_MAX_ATTEMPTS:
        Notification.objects.filter(pk=notification.pk).update(
            failed_at=timezone.now(), last_error=error, claimed_at=None
        )
        return
    backoff = dt.timedelta(seconds=60 * 2 ** max(notification.attempts - 1, 0))
    Notification.objects.filter(pk=notification.pk).update(
        next_attempt_at=timezone.now() + backoff, last_error=error, claimed_at=None
    )


def deliver_pending(*, time_budget: float = 50.0) -> dict[str, int]:
    """Claim and deliver batches until nothing is due or the time budget is spent."""
    counts: dict[str, int] = {}
    deadline = time.monotonic() + time_budget
    while time.monotonic() < deadline:
        token = uuid.uuid4()
        claimed = notifications_claim(token=token)
        if not claimed:
            break
        for notification_id in claimed:
            outcome = notification_deliver(notification_id=notification_id, token=token)
            counts[outcome] = counts.get(outcome, 0) + 1
    return counts


# --- inbox ---------------------------------------------------------------------------------


def notification_mark_done(*, notification: Notification) -> None:
    now = timezone.now()
    Notification.objects.filter(pk=notification.pk).update(
        done_at=now, read_at=Coalesce("read_at", Value(now))
    )


def inbox_file_ended_silences(*, user: User, notification_ids: Iterable[int]) -> int:
    """Reminders the user has just been shown as 'contact since' need nothing more: file them
    as done, so they leave the list. Only those shown, and only if still so."""
    now = timezone.now()
    return (
        Notification.objects.filter(
            recipient=user, pk__in=list(notification_ids), done_at__isnull=True
        )
        .filter(selectors.silence_over())
        .update(done_at=now, read_at=Coalesce("read_at", Value(now)))
    )


def inbox_mark_read(*, user: User, notification_ids: Iterable[int]) -> int:
    """Only what the user was shown: not other pages, nor what arrived while reading."""
    return Notification.objects.filter(
        recipient=user, pk__in=list(notification_ids), read_at__isnull=True
    ).update(read_at=timezone.now())


# --- weekly digest -------------------------------------------------------------------------


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
