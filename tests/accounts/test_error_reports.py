"""Error reports never carry case data: whatever was POSTed, the local variables of the
failing code and the cookies are hidden in the report (accounts/debug.py), on every form,
without each view having to remember `sensitive_post_parameters`."""

from __future__ import annotations

import sys
import uuid

from django.test import RequestFactory
from django.views.debug import ExceptionReporter

NOTE = "自傷の既往あり・父との衝突"
SESSION_KEY = uuid.uuid4().hex


def failing_service(note: str) -> None:
    # A local variable the report must not show (built at run time: the report quotes the
    # source lines around each frame, which are code, not data).
    diagnosis = "".join(["う", "つ", "病"])  # noqa: F841
    raise RuntimeError("boom")


def report(settings, *, debug: bool) -> tuple[str, str]:
    settings.DEBUG = debug
    request = RequestFactory().post("/cases/1/contacts/", {"note": NOTE, "family_name": "山田"})
    request.COOKIES["sessionid"] = SESSION_KEY
    try:
        failing_service(NOTE)
    except RuntimeError:
        reporter = ExceptionReporter(request, *sys.exc_info())
    return reporter.get_traceback_text(), reporter.get_traceback_html()


def test_an_error_report_shows_no_posted_value_no_local_and_no_cookie(settings):
    for text in report(settings, debug=False):
        assert NOTE not in text and "山田" not in text
        assert "うつ病" not in text
        assert SESSION_KEY not in text
        assert "note" in text  # which fields were posted stays, for the developer
        assert "RuntimeError" in text and "boom" in text


def test_under_debug_in_development_the_report_is_whole(settings):
    text, _html = report(settings, debug=True)
    assert NOTE in text


def test_the_filter_is_the_project_s_default(settings):
    """What ExceptionReporter (and so AdminEmailHandler's e-mail) uses."""
    from django.views.debug import get_default_exception_reporter_filter

    assert settings.DEFAULT_EXCEPTION_REPORTER_FILTER == "accounts.debug.CaseDataReporterFilter"
    get_default_exception_reporter_filter.cache_clear()
    assert type(get_default_exception_reporter_filter()).__name__ == "CaseDataReporterFilter"
