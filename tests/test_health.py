import datetime as dt
import time

import pytest
import time_machine
from django.test import Client, override_settings

from reminders.health import health_cache_clear
from reminders.services import sweep_silence
from tests.celery_worker import Worker

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def fresh_health_report():
    """Each test sees its own checks, not the ~10 s cache of the one before."""
    health_cache_clear()
    yield
    health_cache_clear()


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
    health_cache_clear()
    with time_machine.travel(dt.datetime(2026, 11, 2, 9, 16, tzinfo=dt.UTC)):
        response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["silence_sweep"]["ok"] is False


# --- who sees what, and how often the checks run --------------------------------------------

FROM_OUTSIDE = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "198.51.100.7"}


@override_settings(HEALTHZ_CELERY_TIMEOUT=0.2)
def test_the_public_answer_is_only_ok_or_fail_with_its_status(unused_tcp_port):
    """Through the proxy (anyone on the internet, a load balancer): no names of services,
    no errors, no times."""
    sweep_silence()
    closed = f"redis://127.0.0.1:{unused_tcp_port}/0"
    with override_settings(CELERY_BROKER_URL=closed):
        response = Client(**FROM_OUTSIDE).get("/healthz")
    assert response.status_code == 503
    assert response.content == b"fail"
    assert response["Content-Type"].startswith("text/plain")
    health_cache_clear()
    with override_settings(CELERY_BROKER_URL=closed):
        from_another_host = Client(REMOTE_ADDR="203.0.113.9").get("/healthz")
    assert from_another_host.content == b"fail"


@override_settings(HEALTHZ_CELERY_TIMEOUT=0.2, HEALTHZ_TOKEN="s3cret-monitoring-token")
def test_the_details_need_this_host_or_the_token(unused_tcp_port):
    sweep_silence()
    closed = f"redis://127.0.0.1:{unused_tcp_port}/0"
    with override_settings(CELERY_BROKER_URL=closed):
        local = Client().get("/healthz")  # the test client comes from 127.0.0.1
        token = Client(**FROM_OUTSIDE).get(
            "/healthz", headers={"Authorization": "Bearer s3cret-monitoring-token"}
        )
        wrong = Client(**FROM_OUTSIDE).get("/healthz", headers={"Authorization": "Bearer guess"})
    assert local.json()["checks"]["redis"]["ok"] is False
    assert token.json()["checks"]["redis"]["ok"] is False and token.status_code == 503
    assert wrong.content == b"fail"


@override_settings(HEALTHZ_CELERY_TIMEOUT=0.2, HEALTHZ_CACHE_SECONDS=10)
def test_a_burst_of_probes_runs_the_checks_once(unused_tcp_port, django_assert_max_num_queries):
    """The second probe within the cache time costs no check: not even the database's."""
    sweep_silence()
    closed = f"redis://127.0.0.1:{unused_tcp_port}/0"
    with override_settings(CELERY_BROKER_URL=closed):
        first = Client(**FROM_OUTSIDE).get("/healthz")
        with django_assert_max_num_queries(0):
            for _ in range(20):
                again = Client(**FROM_OUTSIDE).get("/healthz")
    assert first.status_code == again.status_code == 503
