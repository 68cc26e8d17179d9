"""E-mail backends for fault-injection tests (Django 6.1 MAILERS: OPTIONS arrive as kwargs)."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend


class SlowFileBackend(BaseEmailBackend):
    """Each message to its own `.eml` file in `directory`, taking `delay` seconds per message
    (half before writing, half after, so a crash can land on either side of the write).

    The file appears atomically (written aside, then renamed): a process killed mid-write
    leaves a hidden temporary file, never half an e-mail."""

    def __init__(self, *, directory: str, delay: float = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.directory = Path(directory)
        self.delay = float(delay)

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        sent = 0
        for message in email_messages:
            time.sleep(self.delay / 2)
            data = message.message().as_bytes()
            name = f"{time.time_ns()}-{os.getpid()}-{uuid.uuid4().hex}"
            partial = self.directory / f".{name}.tmp"
            partial.write_bytes(data)
            os.replace(partial, self.directory / f"{name}.eml")
            time.sleep(self.delay / 2)
            sent += 1
        return sent


class RefusingBackend(BaseEmailBackend):
    """An SMTP server that is never reachable."""

    ERROR = "test mail server refuses every message"

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        raise ConnectionRefusedError(self.ERROR)
