"""One drill entry per periodic task of CELERY_BEAT_SCHEDULE: data that gives the task work
to do now (real time: a real worker runs it), what one complete run leaves, and where to stop
it mid-way (a table the drill locks from another connection, so the task blocks inside its
transaction). tests/drills/test_worker_killed.py and test_two_beats.py run every entry; a
periodic task without an entry fails them both.

`outcome()` never shows ids or timestamps: two runs (or a killed run and the next one) must
leave exactly what one run leaves.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes
from pathlib import Path
from typing import Any
from unittest import mock

import time_machine
from axes.models import AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db.models import Count
from django.utils import timezone

from accounts.models import Centre, Role, User
from cases import services as case_services
from cases.models import Case, DisposalRecord
from families import services as family_services
from outreach import services as outreach_services
from outreach.models import HomeVisit
from records import services as record_services
from records.models import ImportFile, ImportJob, ImportStatus
from records.services.imports import FILE_RETENTION, RUN_TASK, STALE_AFTER
from reminders import services as reminder_services
from reminders.models import CaseAlert, Notification, NotificationChannel
from tests.factories import CentreFactory, UserFactory, make_case, make_visit
from tests.records.fixtures import contact_rows, csv_bytes
from tests.services_for_drills import email_in_flight, emails_sent, silent_cases


@dataclass
class Context:
    """What a drill's data and checks share: where e-mails land, and the scenario's objects."""

    mail_dir: Path
    objects: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PeriodicDrill:
    prepare: Callable[[Context], dict[str, Any]]  # returns the expected outcome of one run
    outcome: Callable[[Context], dict[str, Any]]
    block_on: tuple[str, ...] = ()  # locked by the drill: the task waits here, mid-run
    # Instead of a lock: kill once this holds (delivery: an e-mail out, its row not marked).
    kill_when: Callable[[Context], bool] | None = None
    # Messages the task publishes that the next tick's work needs (resume-imports): run here.
    follow_up: Callable[[Context], None] | None = None
    # The whole task is one statement in autocommit: a backend whose client died while it
    # waited runs it to the end and commits (all), or never starts it (nothing); no half.
    single_statement: bool = False


def duplicates(queryset: Any, *fields: str) -> int:
    return queryset.values(*fields).annotate(n=Count("id")).filter(n__gt=1).count()


def _centre(prefix: str) -> Centre:
    return CentreFactory(name=f"訓練センター{prefix}", case_number_prefix=prefix)


# --- the silence sweep and delivery ------------------------------------------------------------


def _sweep_prepare(ctx: Context) -> dict[str, Any]:
    centre = _centre("W")
    counsellors = [UserFactory(role=Role.COUNSELLOR, centre=centre) for _ in range(2)]
    silent_cases(centre, counsellors, 6)
    return {"reminded_cases": 6, "alerts": 6, "notifications": 12, "duplicates": 0}


def _sweep_outcome(ctx: Context) -> dict[str, Any]:
    notifications = Notification.objects.all()
    return {
        "reminded_cases": Case.objects.filter(silence_stage="reminded").count(),
        "alerts": CaseAlert.objects.count(),
        "notifications": notifications.count(),
        "duplicates": duplicates(CaseAlert.objects, "case", "stage")
        + duplicates(notifications, "recipient", "channel", "alert"),
    }


EMAILS = 6


def received_message_ids(mail_dir: Path) -> list[str]:
    return [
        str(message_from_bytes(path.read_bytes())["Message-ID"]).strip()
        for path in sorted(mail_dir.glob("*.eml"))
    ]


def _delivery_prepare(ctx: Context) -> dict[str, Any]:
    centre = _centre("D")
    counsellors = [UserFactory(role=Role.COUNSELLOR, centre=centre) for _ in range(2)]
    silent_cases(centre, counsellors, EMAILS)
    # Queued, and not announced: the drill decides when a worker delivers.
    reminder_services.sweep_silence(announce_delivery=mock.Mock())
    return {"emails_sent": EMAILS, "emails_received": EMAILS, "strangers": 0, "failed": 0}


def _delivery_outcome(ctx: Context) -> dict[str, Any]:
    ours = {n.message_id for n in Notification.objects.filter(channel=NotificationChannel.EMAIL)}
    received = received_message_ids(ctx.mail_dir)
    return {
        "emails_sent": emails_sent(),
        "emails_received": len(set(received) & ours),
        # a resend under another Message-ID would show here
        "strangers": sum(1 for message_id in received if message_id not in ours),
        "failed": Notification.objects.filter(failed_at__isnull=False).count(),
    }


def _delivery_kill_when(ctx: Context) -> bool:
    return emails_sent() >= 2 and email_in_flight(ctx.mail_dir)


# --- the weekly digest -----------------------------------------------------------------------


def _digest_prepare(ctx: Context) -> dict[str, Any]:
    centre = _centre("G")
    for _ in range(3):
        counsellor = UserFactory(role=Role.COUNSELLOR, centre=centre)
        make_case(centre, counsellor, primary_counsellor=counsellor)
    UserFactory(role=Role.MANAGER, centre=centre)
    UserFactory(role=Role.COUNSELLOR, centre=centre, weekly_digest=False)
    return {"digests": 4, "duplicates": 0}


def _digest_outcome(ctx: Context) -> dict[str, Any]:
    digests = Notification.objects.filter(kind="weekly_digest")
    return {
        "digests": digests.count(),
        "duplicates": duplicates(digests, "recipient", "channel", "dedupe_key"),
    }


# --- 80/50 -----------------------------------------------------------------------------------


def _risk_prepare(ctx: Context) -> dict[str, Any]:
    centre = _centre("E")
    counsellor = UserFactory(role=Role.COUNSELLOR, centre=centre)
    today = timezone.localdate()
    for _ in range(3):
        case = make_case(centre, counsellor, primary_counsellor=counsellor)
        family_services.member_add(
            case=case,
            by=counsellor,
            fields={"given_name": "花子", "birth_date": today.replace(year=today.year - 85)},
            link_fields={"relation": "mother", "lives_with_person": True},
        )
    make_case(centre, counsellor, primary_counsellor=counsellor)  # no parent: not flagged
    # As after a birthday overnight: the flags are stale until the daily refresh.
    Case.objects.update(risk_8050=False)
    return {"flagged": 3, "not_flagged": 1}


def _risk_outcome(ctx: Context) -> dict[str, Any]:
    return {
        "flagged": Case.objects.filter(risk_8050=True).count(),
        "not_flagged": Case.objects.filter(risk_8050=False).count(),
    }


# --- the visits' watch ---------------------------------------------------------------------


def _visits_prepare(ctx: Context) -> dict[str, Any]:
    """A visit checked in six days ago and never checked out: the safety alert to the
    manager, and the report reminder to both assignees."""
    centre = _centre("V")
    counsellor = UserFactory(role=Role.COUNSELLOR, centre=centre)
    UserFactory(role=Role.MANAGER, centre=centre)
    planned_at = timezone.now() - dt.timedelta(days=20)
    with time_machine.travel(planned_at, tick=False):
        case = make_case(centre, counsellor, primary_counsellor=counsellor)
        visit = make_visit(case, counsellor, days_ahead=14, status="briefed")
    with time_machine.travel(visit.starts_at - dt.timedelta(minutes=2), tick=False):
        outreach_services.visit_check_in(visit=visit, by=counsellor)
    return {
        "visits_alerted": 1,
        "visit_checkout_overdue": 2,  # the manager, e-mail and in-app
        "visit_report_due": 4,  # two assignees, e-mail and in-app
        "duplicates": 0,
    }


def _visits_outcome(ctx: Context) -> dict[str, Any]:
    notifications = Notification.objects.all()
    return {
        "visits_alerted": HomeVisit.objects.filter(checkout_alerted_at__isnull=False).count(),
        "visit_checkout_overdue": notifications.filter(kind="visit_checkout_overdue").count(),
        "visit_report_due": notifications.filter(kind="visit_report_due").count(),
        "duplicates": duplicates(notifications, "recipient", "channel", "dedupe_key"),
    }


# --- sign-in records and sessions --------------------------------------------------------------


def _access_logs_prepare(ctx: Context) -> dict[str, Any]:
    old = timezone.now() - dt.timedelta(days=settings.LOGIN_LOG_RETENTION_DAYS + 5)
    for n in range(4):
        AccessLog.objects.create(
            username=f"user{n}", ip_address="192.0.2.1", user_agent="drill", path_info="/"
        )
        AccessFailureLog.objects.create(
            username=f"user{n}", ip_address="192.0.2.1", user_agent="drill", path_info="/"
        )
    # Three of each are old; the newest of each stays.
    for model in (AccessLog, AccessFailureLog):
        keep = model.objects.order_by("-pk").first()
        assert keep is not None
        model.objects.exclude(pk=keep.pk).update(attempt_time=old)
    return {"access_logs": 1, "failure_logs": 1}


def _access_logs_outcome(ctx: Context) -> dict[str, Any]:
    return {
        "access_logs": AccessLog.objects.count(),
        "failure_logs": AccessFailureLog.objects.count(),
    }


def _sessions_prepare(ctx: Context) -> dict[str, Any]:
    now = timezone.now()
    for n in range(4):
        Session.objects.create(
            session_key=uuid.uuid4().hex,
            session_data="",
            expire_date=now + dt.timedelta(days=1) if n == 0 else now - dt.timedelta(days=n),
        )
    return {"sessions": 1, "expired": 0}


def _sessions_outcome(ctx: Context) -> dict[str, Any]:
    return {
        "sessions": Session.objects.count(),
        "expired": Session.objects.filter(expire_date__lt=timezone.now()).count(),
    }


# --- imports ---------------------------------------------------------------------------------


CONTACT_ROWS = 30


def _upload(centre: Centre, manager: User, cases: list[Case]) -> ImportJob:
    data = csv_bytes(
        contact_rows(
            [c.case_number for c in cases], CONTACT_ROWS, start=dt.datetime(2024, 4, 1, 9, 0)
        )
    )
    job = record_services.import_upload(
        centre=centre, by=manager, shape="contacts", file_name="log.csv", data=data, language="ja"
    )
    return record_services.import_set_mapping(
        job=job,
        by=manager,
        sheet=job.sheet,
        header_row=job.header_row,
        columns={int(k): v for k, v in job.columns.items()},
    )


def _resume_prepare(ctx: Context) -> dict[str, Any]:
    """A dry run published when Redis was down: the job waits, unclaimed, for longer than
    STALE_AFTER. The resume publishes it again; the run (follow_up) checks it once."""
    centre = _centre("I")
    manager = UserFactory(role=Role.MANAGER, centre=centre)
    job = _upload(centre, manager, [make_case(centre, manager, primary_counsellor=manager)])
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.CHECKING,
        claim_token=None,
        created_at=timezone.now() - STALE_AFTER - dt.timedelta(minutes=1),
    )
    return {"checked": 1, "rows_checked": CONTACT_ROWS, "runs_that_claimed": 1}


def _published_runs() -> list[int]:
    """Take every run_import message off the test's queue (the broker in use)."""
    from config.celery import app as celery_app

    job_ids = []
    with celery_app.connection_for_read() as conn:
        queue = conn.SimpleQueue(settings.CELERY_TASK_DEFAULT_QUEUE)
        try:
            while True:
                try:
                    message = queue.get(block=False)
                except queue.Empty:
                    break
                if message.headers.get("task") == RUN_TASK:
                    job_ids.append(int(message.payload[0][0]))
                message.ack()
        finally:
            queue.close()
    return job_ids


def _resume_follow_up(ctx: Context) -> None:
    runs = [record_services.import_run(job_id=job_id) for job_id in _published_runs()]
    ctx.objects.setdefault("runs", []).extend(runs)


def _resume_outcome(ctx: Context) -> dict[str, Any]:
    jobs = ImportJob.objects.all()
    return {
        "checked": jobs.filter(status=ImportStatus.CHECKED).count(),
        "rows_checked": sum(job.rows_checked for job in jobs),
        "runs_that_claimed": sum(1 for run in ctx.objects.get("runs", []) if run != "not claimed"),
    }


def _import_files_prepare(ctx: Context) -> dict[str, Any]:
    """A finished import (its file goes), one abandoned for longer than FILE_RETENTION (given
    up, its file goes) and a fresh one (its file stays)."""
    centre = _centre("F")
    manager = UserFactory(role=Role.MANAGER, centre=centre)
    cases = [make_case(centre, manager, primary_counsellor=manager)]
    done, abandoned, fresh = (_upload(centre, manager, cases) for _ in range(3))
    ImportJob.objects.filter(pk=done.pk).update(status=ImportStatus.DONE)
    # Both checked by their dry run, never confirmed; one of them long ago.
    ImportJob.objects.filter(pk__in=[abandoned.pk, fresh.pk]).update(status=ImportStatus.CHECKED)
    ImportJob.objects.filter(pk=abandoned.pk).update(
        created_at=timezone.now() - FILE_RETENTION - dt.timedelta(days=1)
    )
    return {"files": 1, "cancelled": 1, "done": 1}


def _import_files_outcome(ctx: Context) -> dict[str, Any]:
    return {
        "files": ImportFile.objects.count(),
        "cancelled": ImportJob.objects.filter(status=ImportStatus.CANCELLED).count(),
        "done": ImportJob.objects.filter(status=ImportStatus.DONE).count(),
    }


# --- retention --------------------------------------------------------------------------------


def _disposal_prepare(ctx: Context) -> dict[str, Any]:
    centre = _centre("P")
    counsellor = UserFactory(role=Role.COUNSELLOR, centre=centre)
    closed = [make_case(centre, counsellor, primary_counsellor=counsellor) for _ in range(3)]
    for case in closed:
        case_services.case_change_status(
            case=case, by=counsellor, to_status="closed", closure_reason="goal_reached"
        )
    long_ago = timezone.now() - dt.timedelta(days=365 * (centre.retention_years + 1))
    Case.objects.filter(pk__in=[c.pk for c in closed]).update(closed_at=long_ago)
    make_case(centre, counsellor, primary_counsellor=counsellor)  # open: kept
    return {"disposed": 3, "disposal_records": 3, "named": 1, "duplicates": 0}


def _disposal_outcome(ctx: Context) -> dict[str, Any]:
    return {
        "disposed": Case.objects.filter(disposed_at__isnull=False).count(),
        "disposal_records": DisposalRecord.objects.count(),
        "named": Case.objects.exclude(family_name="").count(),
        "duplicates": duplicates(DisposalRecord.objects, "case_number"),
    }


# --- the registry: one entry per CELERY_BEAT_SCHEDULE key ----------------------------------------

DRILLS: dict[str, PeriodicDrill] = {
    "sweep-silence": PeriodicDrill(
        _sweep_prepare, _sweep_outcome, block_on=("reminders_notification",)
    ),
    "deliver-notifications": PeriodicDrill(
        _delivery_prepare, _delivery_outcome, kill_when=_delivery_kill_when
    ),
    "weekly-digest": PeriodicDrill(
        _digest_prepare, _digest_outcome, block_on=("reminders_notification",)
    ),
    "refresh-8050": PeriodicDrill(
        _risk_prepare, _risk_outcome, block_on=("cases_case",), single_statement=True
    ),
    # blocks after marking the visit alerted, before queueing the alert: one transaction
    "watch-visits": PeriodicDrill(
        _visits_prepare, _visits_outcome, block_on=("reminders_notification",)
    ),
    # blocks after the access logs are deleted, before the failure logs
    "purge-access-logs": PeriodicDrill(
        _access_logs_prepare, _access_logs_outcome, block_on=("axes_accessfailurelog",)
    ),
    "purge-expired-sessions": PeriodicDrill(
        _sessions_prepare, _sessions_outcome, block_on=("django_session",)
    ),
    "resume-imports": PeriodicDrill(
        _resume_prepare,
        _resume_outcome,
        block_on=("records_importjob",),
        follow_up=_resume_follow_up,
    ),
    # blocks after giving up the abandoned import, before deleting the files
    "purge-import-files": PeriodicDrill(
        _import_files_prepare, _import_files_outcome, block_on=("records_importfile",)
    ),
    # blocks after blanking a case, before its disposal log line: one transaction per case
    "purge-expired-cases": PeriodicDrill(
        _disposal_prepare, _disposal_outcome, block_on=("cases_disposalrecord",)
    ),
}


def drill_for(entry: str) -> PeriodicDrill:
    if entry not in DRILLS:
        raise AssertionError(
            f"periodic task {entry!r} of CELERY_BEAT_SCHEDULE has no fault drill: add one to "
            "tests/drills/periodic.py (its data, its outcome, where to stop it)"
        )
    return DRILLS[entry]


def task_of(entry: str) -> Any:
    """The Celery task a beat entry runs, as registered with the app."""
    from config.celery import app as celery_app

    celery_app.loader.import_default_modules()
    return celery_app.tasks[str(settings.CELERY_BEAT_SCHEDULE[entry]["task"])]
