"""Celery tasks: thin wrappers that call a service. Delivery tasks ack late and are
re-queued when their worker process dies, and the work they do is idempotent. Tasks import
services; services never import tasks (they publish the delivery task by name)."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from reminders import services


@shared_task(name="reminders.sweep_silence")
def sweep_silence() -> dict[str, int]:
    return services.sweep_silence(parallel=settings.SWEEP_PARALLELISM).counts()


@shared_task(
    name=services.DELIVERY_TASK,
    acks_late=True,
    reject_on_worker_lost=True,
    # Nobody reads its result, and keeping one makes every publish touch the result backend
    # (which retries for ~20 s when Redis is down): see services.enqueue_delivery.
    ignore_result=True,
)
def deliver_pending_notifications() -> dict[str, int]:
    return services.deliver_pending()


@shared_task(name="reminders.send_weekly_digests")
def send_weekly_digests() -> int:
    return services.weekly_digests_queue()
