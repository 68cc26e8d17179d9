"""A calendar feed's secret address never reaches a log line, whoever logs it."""

from __future__ import annotations

import io
import logging
import logging.config

from django.conf import settings


def test_the_console_handler_redacts_a_feed_token() -> None:
    stream = io.StringIO()
    config = {**settings.LOGGING, "root": {"handlers": ["console"], "level": "INFO"}}
    logging.config.dictConfig(config)
    handler = logging.getLogger().handlers[0]
    handler.setStream(stream)  # type: ignore[attr-defined]
    try:
        logging.getLogger("django.request").warning(
            "Internal Server Error: %s", "/outreach/calendar/feed/s3cr3t-T0ken_x.ics"
        )
        logging.getLogger("django.server").info(
            '"%s" %s %s', "GET /outreach/calendar/feed/s3cr3t-T0ken_x.ics HTTP/1.1", "200", "512"
        )
    finally:
        logging.config.dictConfig(settings.LOGGING)
    written = stream.getvalue()
    assert "s3cr3t-T0ken_x" not in written
    assert written.count("/outreach/calendar/feed/***.ics") == 2
