"""The managers' dashboard keeps the complete months of its twelve-month trends per web
process (dashboards.selectors.manager.PAST_MONTHS_CACHE) and reads the current month and the
"now" totals live: one statement either way, the current month always exact, a past month
refreshed within PAST_MONTHS_SECONDS. The other tests run with that cache off (a DummyCache
in config.settings.test), so every one of them reads the trends live."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings

from dashboards.selectors import manager
from tests.factories import make_case, record_contact

pytestmark = pytest.mark.django_db

TOKYO = ZoneInfo("Asia/Tokyo")
NOW = dt.datetime(2026, 6, 15, 10, 0, tzinfo=TOKYO)
CACHED = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "dashboards": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "test-trends",
    },
}


@pytest.fixture
def cached():
    with override_settings(CACHES=CACHED), time_machine.travel(NOW):
        caches["dashboards"].clear()
        yield caches["dashboards"]
        caches["dashboards"].clear()


def contacts(centre_id: int) -> dict[dt.date, int]:
    counts = manager.trends([centre_id], all_centre_ids=[centre_id]).monthly("contacts")
    return {row.month: row.count for row in counts if row.count}


def test_past_months_come_from_the_cache_and_the_current_month_is_live(cached, centre_a, alice):
    case = make_case(centre_a, alice, primary_counsellor=alice)
    record_contact(case, alice, at=dt.datetime(2026, 3, 10, 10, 0, tzinfo=TOKYO))
    record_contact(case, alice, at=dt.datetime(2026, 6, 1, 0, 30, tzinfo=TOKYO))  # June in Tokyo
    march, june = dt.date(2026, 3, 1), dt.date(2026, 6, 1)

    with CaptureQueriesContext(connection) as first:
        assert contacts(centre_a.pk) == {march: 1, june: 1}
    assert len(first) == 1
    kept = cached.get(manager._past_months_key([centre_a.pk], dt.date(2025, 7, 1), june))
    assert kept["contacts"] == {march: 1}  # the complete months only, not June

    # A new contact this month shows at once; the statement reads this month only.
    record_contact(case, alice, at=dt.datetime(2026, 6, 14, 9, 0, tzinfo=TOKYO))
    with CaptureQueriesContext(connection) as second:
        assert contacts(centre_a.pk) == {march: 1, june: 2}
    assert len(second) == 1
    sql = second.captured_queries[0]["sql"]
    assert "2026-06-01" in sql and "2025-07-01" not in sql  # this month, not twelve back
    assert "2025-07-01" in first.captured_queries[0]["sql"]

    # An entry dated back into a past month waits for the cache (at most its lifetime)...
    record_contact(case, alice, at=dt.datetime(2026, 3, 20, 10, 0, tzinfo=TOKYO))
    assert contacts(centre_a.pk) == {march: 1, june: 2}
    with time_machine.travel(NOW + dt.timedelta(seconds=manager.PAST_MONTHS_SECONDS + 1)):
        assert contacts(centre_a.pk) == {march: 2, june: 2}


def test_each_set_of_centres_and_each_month_has_its_own_entry(cached, centre_a, centre_b, alice):
    case = make_case(centre_a, alice, primary_counsellor=alice)
    record_contact(case, alice, at=dt.datetime(2026, 4, 2, 10, 0, tzinfo=TOKYO))
    assert contacts(centre_a.pk) == {dt.date(2026, 4, 1): 1}
    assert contacts(centre_b.pk) == {}  # another centre never reads centre A's months
    # On the first of the next month June is complete: a new entry, June read afresh.
    with time_machine.travel(dt.datetime(2026, 7, 1, 9, 0, tzinfo=TOKYO)):
        record_contact(case, alice, at=dt.datetime(2026, 6, 30, 23, 0, tzinfo=TOKYO))
        assert contacts(centre_a.pk) == {dt.date(2026, 4, 1): 1, dt.date(2026, 6, 1): 1}
