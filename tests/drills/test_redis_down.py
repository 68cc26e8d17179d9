"""Redis stopped, for every notification kind: pages and saves keep working, /healthz says
503, everything that queues a notification still queues it (the outbox is in PostgreSQL),
and once Redis is back a worker delivers every kind's e-mails.

Time travel here ticks: a publish to the dead broker gives up after a timeout, which frozen
time would never reach.

The Redis is the test's own (`redis-server --port <free> --save '' --appendonly no`), killed
by its PID; it comes back empty, so the announcements made while it was down are gone for
good and the periodic delivery is what sends them. A notification kind without a maker here
fails the test.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from email import message_from_bytes
from pathlib import Path

import pytest
import time_machine
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import Centre, Role, User
from cases.models import Case
from dashboards import services as dashboard_services
from outreach import services as outreach_services
from reminders import services
from reminders.health import health_cache_clear
from reminders.models import Notification, NotificationChannel
from reminders.notification_texts import KINDS
from reminders.tasks import deliver_pending_notifications
from tests.celery_worker import Worker
from tests.drills.periodic import Context, silent_cases
from tests.factories import CentreFactory, UserFactory, client_for, make_case, make_visit
from tests.services_for_drills import PATIENCE, RedisServer, wait_for

FAST = 10.0  # seconds: with Redis down a request must not hang on it


@pytest.fixture
def people() -> dict[str, User]:
    centre = CentreFactory(name="停止試験センター", case_number_prefix="R")
    return {
        "counsellor": UserFactory.create(username="tomo", role=Role.COUNSELLOR, centre=centre),
        "colleague": UserFactory.create(username="kaz", role=Role.COUNSELLOR, centre=centre),
        "manager": UserFactory.create(username="mana", role=Role.MANAGER, centre=centre),
    }


def centre_of(people: dict[str, User]) -> Centre:
    return people["counsellor"].centres.get()


# --- what queues each kind, run while Redis is down -------------------------------------------


def sweep_kinds(people: dict[str, User]) -> None:
    """One case silent 40 days (reminded); one silent since long before, reminded 45 days ago
    and past its grace now (escalated)."""
    centre, counsellor = centre_of(people), people["counsellor"]
    now = timezone.now()
    with time_machine.travel(now - dt.timedelta(days=80), tick=True):
        make_case(centre, counsellor, primary_counsellor=counsellor)
    with time_machine.travel(now - dt.timedelta(days=45), tick=True):
        services.sweep_silence()
    silent_cases(centre, [counsellor], 1)
    services.sweep_silence()


def visit_kinds(people: dict[str, User]) -> None:
    """At a moment M a month ago, three visits (each its own case and pair of staff): one
    planned and not announced two days before it, one confirmed for tomorrow whose briefing
    nobody has read, one checked in three days ago and never checked out (the safety alert
    and the report reminder). The watch runs at M."""
    centre, counsellor = centre_of(people), people["counsellor"]
    planned_at = timezone.now() - dt.timedelta(days=40)
    leads = [UserFactory.create(role=Role.COUNSELLOR, centre=centre) for _ in range(3)]
    with time_machine.travel(planned_at, tick=True):
        cases = [make_case(centre, counsellor, primary_counsellor=counsellor) for _ in range(3)]
        make_visit(cases[0], leads[0], days_ahead=14, status="planned")
        briefing = make_visit(cases[1], leads[1], days_ahead=14, status="confirmed")
        under_way = make_visit(cases[2], leads[2], days_ahead=10, status="briefed")
    with time_machine.travel(under_way.starts_at - dt.timedelta(minutes=2), tick=True):
        outreach_services.visit_check_in(visit=under_way, by=leads[2])
    with time_machine.travel(briefing.starts_at - dt.timedelta(hours=20), tick=True):
        result = outreach_services.visits_watch()
    assert all(result.counts().values()), result.counts()


def digest_kind(people: dict[str, User]) -> None:
    assert services.weekly_digests_queue() > 0


def transfer_kind(people: dict[str, User]) -> None:
    centre = centre_of(people)
    case = make_case(centre, people["counsellor"], primary_counsellor=people["counsellor"])
    dashboard_services.transfer_case_reassign(
        case=case, to=people["colleague"], by=people["manager"], reason="担当替え"
    )


MAKERS: dict[str, Callable[[dict[str, User]], None]] = {
    "silence_reminded": sweep_kinds,
    "silence_escalated": sweep_kinds,
    "weekly_digest": digest_kind,
    "visit_announcement_due": visit_kinds,
    "visit_briefing_unacknowledged": visit_kinds,
    "visit_report_due": visit_kinds,
    "visit_checkout_overdue": visit_kinds,
    "case_assigned": transfer_kind,
}


def test_every_notification_kind_has_a_maker_in_the_redis_drill() -> None:
    assert set(MAKERS) == set(KINDS), "a notification kind without a Redis-down drill"


def pages_and_a_save(people: dict[str, User], case: Case) -> list[int]:
    counsellor = client_for(people["counsellor"])
    statuses = [
        counsellor.get(reverse("cases:list")).status_code,
        counsellor.get(reverse("cases:detail", args=[case.pk])).status_code,
        counsellor.get(reverse("reminders:inbox")).status_code,
        client_for(people["manager"]).get(reverse("reminders:escalations")).status_code,
    ]
    saved = counsellor.post(
        reverse("cases:contact_add", args=[case.pk]),
        {
            "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "duration_minutes": "15",
            "channel": "phone",
            "counterpart": "family",
            "two_way": "on",
            "note": "Redis停止中の記録",
        },
        HTTP_HX_REQUEST="true",
    )
    return [*statuses, saved.status_code]


def email_files(mail_dir: Path) -> list[str]:
    return [
        str(message_from_bytes(path.read_bytes())["Message-ID"]).strip()
        for path in mail_dir.glob("*.eml")
    ]


@pytest.mark.worker
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@override_settings(HEALTHZ_CELERY_TIMEOUT=0.5)
def test_redis_down_pages_saves_and_every_kind_queue_and_go_out_once_it_is_back(
    private_redis: RedisServer, people: dict[str, User], drill_context: Context
) -> None:
    case = make_case(
        centre_of(people), people["counsellor"], primary_counsellor=people["counsellor"]
    )
    assert pages_and_a_save(people, case) == [200] * 5

    private_redis.kill()
    assert not private_redis.accepts()
    health_cache_clear()
    health = Client().get("/healthz")
    assert health.status_code == 503
    assert health.json()["checks"]["redis"]["ok"] is False
    assert health.json()["checks"]["database"]["ok"] is True

    started = time.monotonic()
    assert pages_and_a_save(people, case) == [200] * 5
    for maker in dict.fromkeys(MAKERS.values()):  # each maker once, in order
        maker(people)
    seconds = time.monotonic() - started
    emails = Notification.objects.filter(channel=NotificationChannel.EMAIL)
    queued = set(emails.values_list("kind", flat=True))
    print(f"\nRedis down: pages, a save and every kind queued in {seconds:.1f}s")
    assert seconds < FAST * len(MAKERS)
    assert queued == set(KINDS)
    assert not emails.filter(sent_at__isnull=False).exists()

    private_redis.start()  # the same port, empty: nothing that was announced survives
    health_cache_clear()
    worker = Worker(
        broker_url=private_redis.url, extra_env={"TEST_MAIL_DIR": str(drill_context.mail_dir)}
    )
    try:
        worker.start(timeout=PATIENCE)
        deliver_pending_notifications.delay()  # what the next beat tick does
        pending = emails.filter(sent_at__isnull=True, cancelled_at__isnull=True)
        wait_for(lambda: not pending.exists(), timeout=PATIENCE, what="every e-mail", every=0.1)
        assert Client().get("/healthz").json()["checks"]["redis"]["ok"] is True
    finally:
        worker.stop()

    sent = emails.filter(sent_at__isnull=False)
    assert set(sent.values_list("kind", flat=True)) == set(KINDS)
    assert not emails.filter(failed_at__isnull=False).exists()
    received = email_files(drill_context.mail_dir)
    assert sorted(received) == sorted(n.message_id for n in sent)  # each once, nothing else
