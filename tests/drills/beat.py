"""What the periodic-task drills share: the beat schedule's entries, and e-mail to files."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.test import override_settings

from tests.drills.periodic import Context

# Every entry of the beat schedule, so that a new periodic task is drilled (or fails).
BEAT_ENTRIES = sorted(settings.CELERY_BEAT_SCHEDULE)


@contextmanager
def mail_to_files(ctx: Context, *, claim_timeout: dt.timedelta | None = None) -> Iterator[None]:
    """E-mail sent from this process lands as files in the drill's mail directory, where the
    worker's went too; optionally with another claim timeout (a dead worker's claim)."""
    mailers = {
        "default": {
            "BACKEND": "tests.mail_backends.SlowFileBackend",
            "OPTIONS": {"directory": str(ctx.mail_dir), "delay": 0.02},
        }
    }
    extra = {} if claim_timeout is None else {"NOTIFICATION_CLAIM_TIMEOUT": claim_timeout}
    with override_settings(MAILERS=mailers, **extra):
        yield
