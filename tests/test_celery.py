import pytest

from config.celery import ping
from tests.celery_worker import Worker

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.worker
def test_task_round_trip_through_real_redis_and_a_real_worker():
    with Worker():
        result = ping.delay(41)
        assert result.get(timeout=20) == 42
