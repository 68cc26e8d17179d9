"""The beat runs `outreach.watch_visits` every five minutes: a thin task over the visits'
watch, idempotent, whose result counts what it queued."""

import datetime as dt

import pytest
import time_machine
from django.conf import settings

from outreach import services
from outreach.models import HomeVisit
from outreach.tasks import watch_visits
from reminders.models import Notification
from tests.factories import make_case

pytestmark = pytest.mark.django_db

TOKYO = dt.timezone(dt.timedelta(hours=9))
NOW = dt.datetime(2026, 11, 2, 9, 0, tzinfo=TOKYO)
VISIT_START = dt.datetime(2026, 11, 16, 10, 0, tzinfo=TOKYO)


@pytest.fixture
def overdue_visit(centre_a, alice, bob, mallory) -> HomeVisit:
    with time_machine.travel(NOW, tick=False):
        case = make_case(centre_a, alice, primary_counsellor=alice)
        visit = services.visit_plan(
            case=case,
            by=alice,
            starts_at=VISIT_START,
            ends_at=VISIT_START + dt.timedelta(hours=1),
            purpose="近況をうかがう",
            staff=[alice, bob],
        )
        services.visit_announce(
            visit=visit,
            by=alice,
            method="phone",
            made_at=NOW,
            recipient="person",
            response="agreed",
        )
        services.briefing_acknowledge(visit=visit, by=alice)
        services.briefing_acknowledge(visit=visit, by=bob)
    with time_machine.travel(VISIT_START, tick=False):
        return services.visit_check_in(visit=visit, by=alice)


def test_the_task_is_on_the_beat_schedule():
    entries = [e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == watch_visits.name]
    assert watch_visits.name == "outreach.watch_visits" and len(entries) == 1


def test_the_task_runs_the_watch_and_counts_what_it_queued(overdue_visit, mallory):
    with time_machine.travel(VISIT_START + dt.timedelta(hours=1, minutes=5), tick=False):
        assert watch_visits.apply().get()["checkout_alerts"] == 0
    with time_machine.travel(VISIT_START + dt.timedelta(hours=3, minutes=5), tick=False):
        result = watch_visits.apply().get()
        again = watch_visits()  # called directly, as a second beat would
    assert result == {
        "checkout_alerts": 1,
        "announcement_reminders": 0,
        "briefing_reminders": 0,
        "report_reminders": 0,
    }
    assert again["checkout_alerts"] == 0
    overdue_visit.refresh_from_db()
    assert overdue_visit.checkout_alerted_at is not None
    (in_app,) = Notification.objects.filter(
        kind="visit_checkout_overdue", recipient=mallory, channel="in_app"
    )
    assert in_app.context["visit_id"] == overdue_visit.pk
