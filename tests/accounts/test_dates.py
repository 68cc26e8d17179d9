import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import translation

from accounts.templatetags.tsunagu import jdate, jdatetime, wareki


def test_japanese_date_format():
    with translation.override("ja"):
        assert jdate(dt.date(2026, 11, 24)) == "2026年11月24日"


def test_english_date_format():
    with translation.override("en"):
        assert jdate(dt.date(2026, 11, 24)) == "24 Nov 2026"


def test_datetimes_are_shown_in_tokyo_time():
    utc_evening = dt.datetime(2026, 11, 24, 16, 30, tzinfo=ZoneInfo("UTC"))
    with translation.override("ja"):
        assert jdatetime(utc_evening) == "2026年11月25日 01:30"


def test_wareki_reiwa_and_era_boundaries():
    assert wareki(dt.date(2026, 11, 24)) == "令和8年11月24日"
    assert wareki(dt.date(2019, 5, 1)) == "令和元年5月1日"
    assert wareki(dt.date(2019, 4, 30)) == "平成31年4月30日"
    assert wareki(dt.date(1989, 1, 7)) == "昭和64年1月7日"
    assert wareki(None) == ""
