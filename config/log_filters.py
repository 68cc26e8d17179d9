"""Log filters. A calendar feed's address is its only secret (calendar apps can't sign in):
it must not reach a log line, whoever logs the request (Django's "Not Found" and "Internal
Server Error" lines, runserver's request log)."""

from __future__ import annotations

import logging
import re

SECRET_PATH = re.compile(r"(/calendar/feed/)[^/\s\"'?]+(\.ics)")


class RedactSecretPaths(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = SECRET_PATH.sub(r"\1***\2", message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True
