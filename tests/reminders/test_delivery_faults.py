"""Delivery under faults, against the real PostgreSQL, a real Redis and a real Celery worker:
a worker SIGKILLed mid-batch, Redis down while staff work, an SMTP server that never accepts.

The two worker tests run their own throwaway `redis-server` (killed by PID) so that the
message a killed worker leaves unacknowledged, and the outage, never touch the machine's
Redis.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Callable, Iterator
from email import message_from_bytes
from io import StringIO
from pathlib import Path
from unittest import mock

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.db.models import Count, Max
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import Centre, Role, User
from cases import services as case_services
from cases.models import Channel, Counterpart
from config.celery import app as celery_app
from reminders import services
from reminders.models import Notification, NotificationChannel
from reminders.tasks import deliver_pending_notifications
from tests.celery_worker import Worker
from tests.factories import CentreFactory, UserFactory, client_for, make_case
from tests.mail_backends import RefusingBackend
from tests.services_for_drills import (
    RedisServer,
    email_in_flight,
    emails_sent,
    private_redis_server,
    silent_cases,
    wait_for,
)

# --- helpers (shared with the drills: tests/services_for_drills.py) -------------------------


@pytest.fixture
def private_redis(transactional_db: None) -> Iterator[RedisServer]:
    with private_redis_server() as server:
        yield server


def in_app_arrived_with_the_sweep() -> bool:
    """In-app notifications need no worker: they are in the inbox once the sweep commits."""
    in_app = Notification.objects.filter(channel=NotificationChannel.IN_APP)
    return in_app.exists() and not in_app.filter(sent_at__isnull=True).exists()


# --- a worker killed mid-batch -------------------------------------------------------------

CASES = 100  # one sweep queues 200 notifications: 100 e-mails, 100 in-app
MAIL_DELAY = 0.04  # seconds per e-mail: the batch of 100 e-mails takes ~4 s
CLAIM_TIMEOUT = 2  # seconds before the rows a dead worker claimed can be claimed again
KILL_AFTER = 60  # sent e-mails: well inside the first batch of NOTIFICATION_BATCH_SIZE (100)


@pytest.mark.worker
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_worker_killed_mid_batch_loses_and_duplicates_nothing(
    private_redis: RedisServer, tmp_path: Path, record_property: Callable[[str, object], None]
) -> None:
    """Nothing is lost. The kill is aimed between an e-mail reaching the server and its row
    being marked sent, so that one e-mail goes out again after the claim timeout, with the
    same Message-ID: duplicates are bounded by what was in flight (the worker concurrency)."""
    centre = CentreFactory(name="障害試験センター", case_number_prefix="F")
    counsellors = [UserFactory(role=Role.COUNSELLOR, centre=centre) for _ in range(4)]
    silent_cases(centre, counsellors, CASES)
    # Deterministic start: nothing is announced to the broker before the test says so.
    announce = mock.Mock()
    result = services.sweep_silence(announce_delivery=announce)
    assert announce.call_count == 1
    assert (result.reminded, result.notifications) == (CASES, 2 * CASES)
    total = Notification.objects.count()
    assert total == 2 * CASES
    assert in_app_arrived_with_the_sweep()

    worker_env = {
        "TEST_MAIL_DIR": str(tmp_path),
        "TEST_MAIL_DELAY": str(MAIL_DELAY),
        "NOTIFICATION_CLAIM_TIMEOUT": str(CLAIM_TIMEOUT),
    }
    first = Worker(broker_url=private_redis.url, extra_env=worker_env, hostname="doomed")
    second = Worker(broker_url=private_redis.url, extra_env=worker_env, hostname="survivor")
    try:
        first.start()
        deliver_pending_notifications.delay()
        # Kill in the worst place: an e-mail written to the server but not yet marked sent.
        wait_for(
            lambda: emails_sent() >= KILL_AFTER and email_in_flight(tmp_path),
            timeout=30,
            what=f"{KILL_AFTER} notifications sent and an e-mail in flight",
            every=0.005,
        )
        first.kill()
        sent_at_kill = emails_sent()
        files_at_kill = len(list(tmp_path.glob("*.eml")))
        assert 0 < sent_at_kill < CASES, "the kill must land mid-delivery"

        # The rows the dead worker claimed but did not send are reclaimable after the timeout.
        last_claim = Notification.objects.filter(sent_at__isnull=True).aggregate(
            last=Max("claimed_at")
        )["last"]
        if last_claim is not None:
            reclaimable_at = last_claim + dt.timedelta(seconds=CLAIM_TIMEOUT, milliseconds=100)
            wait_for(lambda: timezone.now() >= reclaimable_at, timeout=10, what="the claim timeout")

        second.start()
        deliver_pending_notifications.delay()
        wait_for(lambda: emails_sent() == CASES, timeout=60, what="every e-mail sent", every=0.1)
    finally:
        first.kill()
        second.stop()

    notifications = {n.pk: n for n in Notification.objects.select_related("recipient")}
    by_message_id = {
        n.message_id: n for n in notifications.values() if n.channel == NotificationChannel.EMAIL
    }
    files = sorted(tmp_path.glob("*.eml"))
    received: Counter[str] = Counter()
    for path in files:
        message = message_from_bytes(path.read_bytes())
        message_id = str(message["Message-ID"]).strip()
        notification = by_message_id.get(message_id)
        assert notification is not None, f"{path.name}: {message_id} is no e-mail notification"
        assert message["To"] == notification.recipient.email
        received[message_id] += 1

    lost = sum(
        1
        for n in notifications.values()
        if n.sent_at is None
        or n.failed_at is not None
        or (n.channel == NotificationChannel.EMAIL and received[n.message_id] == 0)
    )
    duplicated = sum(1 for copies in received.values() if copies > 1)
    reclaimed = sum(1 for n in notifications.values() if n.attempts > 1)
    per_inbox = (
        Notification.objects.filter(channel=NotificationChannel.IN_APP)
        .values("recipient", "alert")
        .annotate(copies=Count("id"))
    )
    figures = {
        "notifications": total,
        "emails_sent_at_kill": sent_at_kill,
        "files_at_kill": files_at_kill,
        "reclaimed_after_kill": reclaimed,
        "email_files": len(files),
        "lost": lost,
        "duplicated": duplicated,
    }
    for name, value in figures.items():
        record_property(name, value)
    print("\nworker killed mid-batch:", " ".join(f"{k}={v}" for k, v in figures.items()))

    assert lost == 0
    assert len(per_inbox) == CASES and all(row["copies"] == 1 for row in per_inbox)
    assert len(received) == CASES  # every e-mail notification arrived...
    # ...and at most the messages in flight when the worker died arrived twice.
    assert duplicated <= first.concurrency
    assert len(files) == CASES + sum(copies - 1 for copies in received.values())


# --- Redis down ----------------------------------------------------------------------------

FAST = 10.0  # seconds: publishing to a dead broker must fail fast and only log


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_redis_down_contacts_and_sweep_work_and_notifications_go_out_when_it_returns(
    private_redis: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    centre = CentreFactory(name="停電試験センター", case_number_prefix="R")
    counsellors = [UserFactory(role=Role.COUNSELLOR, centre=centre) for _ in range(2)]
    talked_to, *still_silent = silent_cases(centre, counsellors, 6)
    # The web process has been publishing: its pool holds a connection to the live Redis.
    with celery_app.producer_or_acquire() as producer:
        producer.connection.ensure_connection(max_retries=1)

    private_redis.kill()
    assert not private_redis.accepts()

    started = time.monotonic()
    case_services.contact_record(
        case=talked_to,
        by=counsellors[0],
        fields={
            "occurred_at": timezone.now(),
            "channel": Channel.PHONE,
            "counterpart": Counterpart.FAMILY,
            "two_way": True,
            "duration_minutes": 15,
        },
    )
    contact_seconds = time.monotonic() - started

    caplog.set_level("WARNING", logger="reminders.services")
    out = StringIO()
    started = time.monotonic()
    call_command("sweep_silence", stdout=out)
    sweep_seconds = time.monotonic() - started
    print(f"\nRedis down: contact {contact_seconds:.2f}s, sweep {sweep_seconds:.2f}s")

    assert contact_seconds < FAST and sweep_seconds < FAST
    assert "reminded=5" in out.getvalue()
    assert "delivery not announced to the broker" in caplog.text
    queued = Notification.objects.all()
    assert queued.count() == 2 * len(still_silent)
    assert in_app_arrived_with_the_sweep()  # the inbox needs neither Redis nor a worker
    assert emails_sent() == 0
    assert not queued.filter(case=talked_to).exists()  # the contact reset its silence

    private_redis.start()  # same port, empty: the announcement that failed is gone for good
    with Worker(broker_url=private_redis.url):
        deliver_pending_notifications.delay()
        wait_for(
            lambda: emails_sent() == len(still_silent),
            timeout=30,
            what="every e-mail sent after Redis returned",
            every=0.1,
        )
    assert not Notification.objects.filter(failed_at__isnull=False).exists()


# --- an SMTP server that never accepts -----------------------------------------------------


# Not transactional: there is no worker here, and a transactional sweep would announce
# delivery to the machine's Redis on commit.
@pytest.mark.django_db
def test_failing_email_is_retried_with_backoff_then_marked_failed(
    centre_a: Centre, alice: User, mallory: User
) -> None:
    other_centre = CentreFactory(name="別センター", case_number_prefix="Z")
    other_manager = UserFactory(username="olga", role=Role.MANAGER, centre=other_centre)
    start = dt.datetime(2026, 10, 1, 1, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        case = make_case(centre_a, alice, primary_counsellor=alice)
    moment = start + dt.timedelta(days=31)
    with time_machine.travel(moment, tick=False):
        services.sweep_silence()
    email = Notification.objects.get(case=case, channel=NotificationChannel.EMAIL)
    in_app = Notification.objects.get(case=case, channel=NotificationChannel.IN_APP)
    # An in-app notification arrives as it is written: no mail server stands in its way.
    assert in_app.sent_at == moment

    refusing = {"default": {"BACKEND": "tests.mail_backends.RefusingBackend"}}
    max_attempts = settings.NOTIFICATION_MAX_ATTEMPTS
    backoffs = []
    with override_settings(MAILERS=refusing):
        for attempt in range(1, max_attempts + 1):
            with time_machine.travel(moment, tick=False):
                counts = services.deliver_pending()
            assert counts == {"failed": 1}
            email.refresh_from_db()
            assert email.attempts == attempt
            assert email.sent_at is None and email.claimed_at is None
            assert RefusingBackend.ERROR in email.last_error
            if attempt == max_attempts:
                assert email.failed_at == moment
                break
            assert email.failed_at is None
            backoffs.append(email.next_attempt_at - moment)
            # Not a moment before its time.
            with time_machine.travel(email.next_attempt_at - dt.timedelta(seconds=1), tick=False):
                assert services.deliver_pending() == {}
            moment = email.next_attempt_at
        with time_machine.travel(moment + dt.timedelta(days=1), tick=False):
            assert services.deliver_pending() == {}  # a failed notification stays failed

    assert backoffs == [dt.timedelta(minutes=2**n) for n in range(max_attempts - 1)]
    in_app.refresh_from_db()
    assert in_app.sent_at is not None and in_app.failed_at is None

    url = reverse("reminders:escalations")
    ours = client_for(mallory).get(url)
    assert ours.status_code == 200
    assert [n.pk for n in ours.context["failed"]] == [email.pk]
    assert RefusingBackend.ERROR in ours.content.decode()
    assert case.case_number in ours.content.decode()

    theirs = client_for(other_manager).get(url)
    assert theirs.status_code == 200
    assert list(theirs.context["failed"]) == []
    assert RefusingBackend.ERROR not in theirs.content.decode()
    assert case.case_number not in theirs.content.decode()
