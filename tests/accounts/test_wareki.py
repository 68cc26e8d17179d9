"""Reading dates typed in 和暦 or 西暦 (and later read from spreadsheets), and the one era table
shared with the 和暦 display filter."""

import datetime as dt

import pytest

from accounts.templatetags.tsunagu import wareki
from accounts.wareki import ERAS, InvalidJapaneseDate, parse_date


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-04-01", dt.date(2026, 4, 1)),
        ("2026/4/1", dt.date(2026, 4, 1)),
        ("2026.4.1", dt.date(2026, 4, 1)),
        ("2026年4月1日", dt.date(2026, 4, 1)),
        ("20260401", dt.date(2026, 4, 1)),
        ("昭和45年3月2日", dt.date(1970, 3, 2)),
        ("昭和四十五年三月二日", dt.date(1970, 3, 2)),
        ("平成元年1月8日", dt.date(1989, 1, 8)),
        ("S45.3.2", dt.date(1970, 3, 2)),
        ("s45/3/2", dt.date(1970, 3, 2)),
        ("H1.1.8", dt.date(1989, 1, 8)),
        ("R1.5.1", dt.date(2019, 5, 1)),
        ("令和8年11月24日", dt.date(2026, 11, 24)),
        ("R08.11.24", dt.date(2026, 11, 24)),
        ("昭45.3.2", dt.date(1970, 3, 2)),  # how Excel's "gge" format writes it
        ("T1.7.30", dt.date(1912, 7, 30)),
        ("明治45年7月29日", dt.date(1912, 7, 29)),
        (" 昭和 45 年 3 月 2 日 ", dt.date(1970, 3, 2)),
        ("2026 - 04 - 01", dt.date(2026, 4, 1)),
    ],
)
def test_parses_western_and_japanese_era_dates(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("昭和４５年３月２日", dt.date(1970, 3, 2)),
        ("Ｓ４５．３．２", dt.date(1970, 3, 2)),
        ("ｓ４５／３／２", dt.date(1970, 3, 2)),
        ("２０２６－０４－０１", dt.date(2026, 4, 1)),
        ("２０２６ー０４ー０１", dt.date(2026, 4, 1)),  # the IME's long-vowel mark as a hyphen
        ("令和\u30008年\u300011月\u300024日", dt.date(2026, 11, 24)),  # ideographic spaces
        ("㍼45年3月2日", dt.date(1970, 3, 2)),  # the one-character era sign
    ],
)
def test_full_width_input_is_read_like_half_width(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("昭和64年1月7日", dt.date(1989, 1, 7)),
        ("平成元年1月8日", dt.date(1989, 1, 8)),
        ("平成31年4月30日", dt.date(2019, 4, 30)),
        ("令和元年5月1日", dt.date(2019, 5, 1)),
        ("S64.1.7", dt.date(1989, 1, 7)),
        ("H1.1.8", dt.date(1989, 1, 8)),
        ("H31.4.30", dt.date(2019, 4, 30)),
        ("R1.5.1", dt.date(2019, 5, 1)),
    ],
)
def test_era_boundaries_are_exact(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("昭和65年1月1日", "昭和は64年1月7日（1989-01-07）までです。"),
        ("昭和64年1月8日", "昭和は64年1月7日（1989-01-07）までです。"),
        ("平成31年5月1日", "平成は31年4月30日（2019-04-30）までです。"),
        ("H31.5.1", "平成は31年4月30日（2019-04-30）までです。"),
        ("令和元年4月30日", "令和は元年5月1日（2019-05-01）からです。"),
        ("平成元年1月7日", "平成は元年1月8日（1989-01-08）からです。"),
        ("昭和100年1月1日", "昭和は64年1月7日（1989-01-07）までです。"),  # two eras later
    ],
)
def test_a_date_outside_the_era_it_names_is_refused(text, message):
    with pytest.raises(InvalidJapaneseDate) as raised:
        parse_date(text)
    assert raised.value.code == "outside_era"
    assert str(raised.value) == message


@pytest.mark.parametrize("text", ["2026-02-30", "令和8年2月30日", "2026/13/1", "20260431"])
def test_a_day_that_does_not_exist_is_refused(text):
    with pytest.raises(InvalidJapaneseDate) as raised:
        parse_date(text)
    assert raised.value.code == "nonexistent"
    assert str(raised.value) == "その日付は存在しません。月と日を確かめてください。"


@pytest.mark.parametrize(
    "text",
    ["あした", "", "   ", "12345", "2026", "26/4/1", "昭和45年3月", "X45.3.2", "令和2026年1月1日"],
)
def test_text_that_is_not_a_date_is_refused(text):
    with pytest.raises(InvalidJapaneseDate) as raised:
        parse_date(text)
    assert raised.value.code == "invalid"
    assert str(raised.value).startswith("日付として読み取れません。")
    assert isinstance(raised.value, ValueError)  # callers may catch it as one


def days_around(start: dt.date, span: int = 3) -> list[dt.date]:
    return [start + dt.timedelta(days=offset) for offset in range(-span, span + 1)]


@pytest.mark.parametrize(
    "day", [day for era in ERAS[1:] for day in days_around(era.start)], ids=str
)
def test_the_display_filter_reads_back_as_the_same_day_around_each_era_change(day):
    shown = wareki(day)
    assert parse_date(shown) == day


def test_the_display_filter_and_the_parser_share_the_era_boundaries():
    assert wareki(dt.date(1989, 1, 7)) == "昭和64年1月7日"
    assert wareki(dt.date(1989, 1, 8)) == "平成元年1月8日"
    assert wareki(dt.date(2019, 4, 30)) == "平成31年4月30日"
    assert wareki(dt.date(2019, 5, 1)) == "令和元年5月1日"
    assert wareki(dt.date(1868, 10, 23)) == "明治元年10月23日"
