import datetime as dt
import time

import pytest
import time_machine
from django.test import Client, override_settings

from reminders.services import sweep_silence
from tests.celery_worker import Worker

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.worker
@override_settings(HEALTHZ_CELERY_TIMEOUT=30)
def test_healthz_is_200_when_database_redis_a_worker_and_the_sweep_are_fine():
    sweep_silence()
    with Worker():
        started = time.monotonic()
        response = Client().get("/healthz")
        answered_in = time.monotonic() - started
    body = response.json()
    # The first worker's reply ends the wait: a healthy check never sits out its timeout.
    assert answered_in < 15
    assert response.status_code == 200, body
    assert body["checks"]["database"]["ok"]
    assert body["checks"]["redis"]["ok"]
    assert body["checks"]["celery"] == {"ok": True}
    assert body["checks"]["silence_sweep"]["ok"]


def test_healthz_is_503_when_redis_is_unreachable(unused_tcp_port):
    sweep_silence()
    closed = f"redis://127.0.0.1:{unused_tcp_port}/0"
    with override_settings(CELERY_BROKER_URL=closed):
        response = Client().get("/healthz")
    body = response.json()
    assert response.status_code == 503
    assert body["checks"]["redis"]["ok"] is False
    assert body["checks"]["celery"]["ok"] is False
    assert body["checks"]["database"]["ok"] is True


def test_healthz_reports_a_sweep_older_than_15_minutes_as_failing():
    with time_machine.travel(dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)):
        sweep_silence()
    with time_machine.travel(dt.datetime(2026, 11, 2, 9, 14, tzinfo=dt.UTC)):
        assert Client().get("/healthz").json()["checks"]["silence_sweep"]["ok"] is True
    with time_machine.travel(dt.datetime(2026, 11, 2, 9, 16, tzinfo=dt.UTC)):
        response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["silence_sweep"]["ok"] is False
