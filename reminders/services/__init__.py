"""Follow-up reminders, one module per concern: the silence sweep (`sweep`), the outbox and
its delivery (`outbox`), the inbox (`inbox`) and the weekly digest (`digest`). Other apps call
the names re-exported here, e.g. `reminders.services.notification_queue`."""

from reminders.models import SILENCE_HEARTBEAT
from reminders.services.digest import weekly_digests_queue
from reminders.services.inbox import (
    inbox_file_ended_silences,
    inbox_mark_read,
    notification_mark_done,
)
from reminders.services.outbox import (
    DELIVERY_TASK,
    deliver_pending,
    enqueue_delivery,
    notification_deliver,
    notification_queue,
    notifications_claim,
)
from reminders.services.sweep import (
    SWEEP_BATCH_SETTINGS,
    SweepResult,
    sweep_batch_statement,
    sweep_silence,
)

__all__ = [
    "DELIVERY_TASK",
    "SILENCE_HEARTBEAT",
    "SWEEP_BATCH_SETTINGS",
    "SweepResult",
    "deliver_pending",
    "enqueue_delivery",
    "inbox_file_ended_silences",
    "inbox_mark_read",
    "notification_deliver",
    "notification_mark_done",
    "notification_queue",
    "notifications_claim",
    "sweep_batch_statement",
    "sweep_silence",
    "weekly_digests_queue",
]
