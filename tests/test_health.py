import pytest
from django.test import Client, override_settings

from tests.celery_worker import Worker

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.worker
def test_healthz_is_200_when_database_redis_and_a_worker_answer():
    with Worker():
        response = Client().get("/healthz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["checks"]["database"]["ok"]
    assert body["checks"]["redis"]["ok"]
    assert body["checks"]["celery"]["workers"] >= 1


def test_healthz_is_503_when_redis_is_unreachable(unused_tcp_port):
    closed = f"redis://127.0.0.1:{unused_tcp_port}/0"
    with override_settings(CELERY_BROKER_URL=closed):
        response = Client().get("/healthz")
    body = response.json()
    assert response.status_code == 503
    assert body["checks"]["redis"]["ok"] is False
    assert body["checks"]["celery"]["ok"] is False
    assert body["checks"]["database"]["ok"] is True
