"""Japanese dates both ways: one era table for showing a date in 和暦 (令和8年11月24日) and for
reading what people type or what a spreadsheet holds (昭和45年3月2日, S45.3.2, 2026/4/1)."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


@dataclass(frozen=True)
class Era:
    name: str  # 令和
    letter: str  # R, as in R8.11.24
    start: dt.date  # its first day; it lasts until the day before the next era starts


# Oldest first. The official first days: the eras change on a given day, not on 1 January.
# (Before 明治6年 Japan kept the lunar calendar; those dates are read as if Gregorian.)
ERAS: tuple[Era, ...] = (
    Era("明治", "M", dt.date(1868, 10, 23)),
    Era("大正", "T", dt.date(1912, 7, 30)),
    Era("昭和", "S", dt.date(1926, 12, 25)),
    Era("平成", "H", dt.date(1989, 1, 8)),
    Era("令和", "R", dt.date(2019, 5, 1)),
)

NOT_A_DATE = _(
    "日付として読み取れません。2026-04-01、令和8年4月1日、S45.3.2 のように入力してください。"
)
NO_SUCH_DAY = _("その日付は存在しません。月と日を確かめてください。")
ERA_NOT_BEGUN = _("%(era)sは%(first)s（%(western)s）からです。")
ERA_ENDED = _("%(era)sは%(last)s（%(western)s）までです。")

ErrorCode = Literal["invalid", "nonexistent", "outside_era"]


class InvalidJapaneseDate(ValueError):
    """The text is not a date; `reason` (with `params`) tells the user why, in their language."""

    def __init__(
        self, code: ErrorCode, reason: StrOrPromise, params: dict[str, str] | None = None
    ) -> None:
        super().__init__(code)
        self.code = code
        self.reason = reason
        self.params = params or {}

    def __str__(self) -> str:
        return str(self.reason) % self.params


def era_of(day: dt.date) -> Era | None:
    """The era the day belongs to; None before 明治."""
    for era in reversed(ERAS):
        if day >= era.start:
            return era
    return None


def format_date(day: dt.date) -> str | None:
    """令和8年11月24日 (the first year of an era is 元年); None before 明治."""
    era = era_of(day)
    return None if era is None else era.name + _within_era(era, day)


def _within_era(era: Era, day: dt.date) -> str:
    year = day.year - era.start.year + 1
    return f"{'元' if year == 1 else year}年{day.month}月{day.day}日"


_KANJI_DIGITS = "〇一二三四五六七八九"
_KANJI_NUMBER = "[一二三四五六七八九]?十[一二三四五六七八九]?|[一二三四五六七八九]"  # up to 九十九
_NUMBER = rf"[0-9]{{1,2}}|{_KANJI_NUMBER}"
_MONTH_DAY = rf"(?:年|[-/.])(?P<month>{_NUMBER})(?:月|[-/.])(?P<day>{_NUMBER})日?"
# 昭和45年, 昭45年 (as Excel's "gge" writes it), S45
_ERA_PREFIXES = {prefix: era for era in ERAS for prefix in (era.name, era.name[0], era.letter)}
_JAPANESE = re.compile(
    rf"(?P<era>{'|'.join(_ERA_PREFIXES)})(?P<year>元|[0-9]{{1,3}}|{_KANJI_NUMBER}){_MONTH_DAY}"
)
_WESTERN = re.compile(rf"(?P<year>[0-9]{{4}}){_MONTH_DAY}")
_COMPACT = re.compile(r"(?P<year>[0-9]{4})(?P<month>[0-9]{2})(?P<day>[0-9]{2})")
# NFKC leaves these alone, and Japanese keyboards type them for a hyphen (２０２６ー４ー１).
_DASHES = str.maketrans(dict.fromkeys("‐‑‒–—―−ー", "-"))


def parse_date(text: str) -> dt.date:
    """The date in `text`, written in 西暦 or 和暦, full- or half-width, spaces or not.
    Raises InvalidJapaneseDate saying whether it is no date, a day that does not exist
    (2月30日) or a date outside the era it names (昭和65年, 令和元年4月30日)."""
    normal = "".join(unicodedata.normalize("NFKC", text).translate(_DASHES).split()).upper()
    if match := _JAPANESE.fullmatch(normal):
        era = _ERA_PREFIXES[match["era"]]
        day = _make_date(era.start.year + _number(match["year"]) - 1, match)
        _check_within(era, day)
        return day
    if match := _WESTERN.fullmatch(normal) or _COMPACT.fullmatch(normal):
        return _make_date(int(match["year"]), match)
    raise InvalidJapaneseDate("invalid", NOT_A_DATE)


def _number(text: str) -> int:
    """45, 元 (the first year of an era), 四十五, 十二 or 三."""
    if text == "元":
        return 1
    if text.isascii():
        return int(text)
    tens, ten, units = text.partition("十")
    if not ten:
        return _KANJI_DIGITS.index(text)
    return (_KANJI_DIGITS.index(tens) if tens else 1) * 10 + (
        _KANJI_DIGITS.index(units) if units else 0
    )


def _make_date(year: int, match: re.Match[str]) -> dt.date:
    try:
        return dt.date(year, _number(match["month"]), _number(match["day"]))
    except ValueError:
        raise InvalidJapaneseDate("nonexistent", NO_SUCH_DAY) from None


def _check_within(era: Era, day: dt.date) -> None:
    if day < era.start:
        raise InvalidJapaneseDate(
            "outside_era",
            ERA_NOT_BEGUN,
            {"era": era.name, "first": _within_era(era, era.start), "western": str(era.start)},
        )
    if era_of(day) is not era:
        last = ERAS[ERAS.index(era) + 1].start - dt.timedelta(days=1)
        raise InvalidJapaneseDate(
            "outside_era",
            ERA_ENDED,
            {"era": era.name, "last": _within_era(era, last), "western": str(last)},
        )
