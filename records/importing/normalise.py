"""Values of a spreadsheet read as a person typed them: full- and half-width digits and
letters, katakana or hiragana furigana, 和暦 or 西暦 dates, 電話 / TEL / tel, ○ / 有 / はい.

Pure functions: each takes what a cell held (a str, a number, a date, or None) and returns the
value the record stores, or raises `Invalid` with the reason in the reader's language (never
the value itself: the reason goes on the import's report, the value stays in the file)."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any

import jaconv
from django.db import models
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from phonenumber_field.phonenumber import PhoneNumber
from phonenumbers import NumberParseException

from accounts.wareki import ERAS, InvalidJapaneseDate, parse_date
from cases.choices import (
    AgeBand,
    CaseStatus,
    Channel,
    ClosureReason,
    Counterpart,
    FirstContactBy,
    Gender,
    PersonAware,
    Severity,
    SupportStage,
)
from cases.models import age_band_for
from families.models import MemberStatus, Relation

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class Invalid(ValueError):
    """A cell that can't become the field's value; `reason` % `params` says why."""

    def __init__(self, reason: StrOrPromise, params: Mapping[str, Any] | None = None) -> None:
        super().__init__(str(reason))
        self.reason = reason
        self.params = dict(params or {})

    def __str__(self) -> str:
        return str(self.reason) % self.params if self.params else str(self.reason)


# --- text ------------------------------------------------------------------------------------

# NFKC folds full-width letters and digits and half-width katakana, but it would also replace
# a CJK compatibility ideograph (a 異体字 some people's names are written with) by its
# unified form: those are kept as typed.
_COMPATIBILITY_IDEOGRAPHS = ((0xF900, 0xFAFF), (0x2F800, 0x2FA1F))


def _keeps_its_form(char: str) -> bool:
    code = ord(char)
    return any(low <= code <= high for low, high in _COMPATIBILITY_IDEOGRAPHS)


def nfkc(text: str) -> str:
    if not any(_keeps_its_form(char) for char in text):
        return unicodedata.normalize("NFKC", text)
    return "".join(
        char if _keeps_its_form(char) else unicodedata.normalize("NFKC", char) for char in text
    )


def cell_text(value: Any) -> str:
    """A cell as text: numbers without a spurious ".0" (Excel stores 123 as 123.0), full-width
    folded to half-width, runs of spaces (ideographic ones too) as one, trimmed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, Decimal) and value == value.to_integral_value():
        value = int(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return " ".join(nfkc(str(value)).split())


# Separators people put inside a word or a code: 本人・家族, e-mail, (株).
_SEPARATORS = re.compile(r"[\s・･\-_/／,，、。.()（）「」『』\[\]【】'\"]+")


def word_key(value: Any) -> str:
    """How a word is matched: width, case, spaces and separators don't matter, nor kana."""
    return _SEPARATORS.sub("", jaconv.kata2hira(cell_text(value)).casefold())


def kana(value: Any) -> str:
    """Furigana as the case file keeps it: hiragana (half-width ｶﾀｶﾅ and katakana alike)."""
    return jaconv.kata2hira(cell_text(value))


def split_name(value: Any) -> tuple[str, str]:
    """山田 太郎 (or 山田　太郎) as (山田, 太郎); a name written without a space stays whole as the
    family name, since where to cut it can't be known."""
    family, _sep, given = cell_text(value).partition(" ")
    return family, given.strip()


# --- numbers ---------------------------------------------------------------------------------

NOT_A_NUMBER = _("数値として読み取れません。")


def whole_number(value: Any, *, suffixes: Iterable[str] = ()) -> int:
    """12, "１２", "12件", "12.0"."""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        if value != int(value):
            raise Invalid(NOT_A_NUMBER)
        return int(value)
    text = cell_text(value).replace(",", "")
    for suffix in suffixes:
        text = text.removesuffix(suffix).strip()
    text = text.removesuffix(".0")
    if not text.isascii() or not text.isdigit():
        raise Invalid(NOT_A_NUMBER)
    return int(text)


_DURATION = re.compile(
    r"(?:(?P<hours>\d+(?:\.\d+)?)(?:時間|h|hr|hrs|hours?))?"
    r"(?:(?P<minutes>\d+)(?:分|m|min|mins|minutes?)?)?"
)
NOT_A_DURATION = _(
    "所要時間として読み取れません。30、30分、1時間30分、1:30 のように入力してください。"
)


def duration_minutes(value: Any) -> int:
    """30, 30分, 1時間, 1時間30分, 1.5時間, 1:30 (an Excel time cell too) as minutes."""
    if isinstance(value, dt.time):
        return value.hour * 60 + value.minute
    if isinstance(value, dt.timedelta):
        return int(value.total_seconds() // 60)
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return whole_number(value)
    text = cell_text(value).replace(" ", "").casefold()
    if match := re.fullmatch(r"(\d+):(\d{2})", text):
        return int(match[1]) * 60 + int(match[2])
    match = _DURATION.fullmatch(text)
    if not text or match is None or not (match["hours"] or match["minutes"]):
        raise Invalid(NOT_A_DURATION)
    hours = float(match["hours"] or 0)
    return round(hours * 60) + int(match["minutes"] or 0)


# --- dates and times -------------------------------------------------------------------------


def day(value: Any) -> dt.date:
    """A date cell, or text in 西暦 or 和暦 (2026/4/1, 令和8年4月1日, S45.3.2, ２０２６－４－１)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return parse_date(cell_text(value))
    except InvalidJapaneseDate as error:
        raise Invalid(error.reason, error.params) from None


NOT_A_TIME = _("時刻として読み取れません。14:30 や 14時30分 のように入力してください。")
_TIME = re.compile(r"(?P<pm>午後|pm)?(?P<hour>\d{1,2})(?::|時)(?P<minute>\d{1,2})?分?(?P<pm2>pm)?")


def time_of_day(value: Any) -> dt.time:
    """14:30, 14時30分, 14時, 午後2時 (an Excel time cell too)."""
    if isinstance(value, dt.datetime):
        return value.time().replace(second=0, microsecond=0)
    if isinstance(value, dt.time):
        return value.replace(second=0, microsecond=0)
    text = cell_text(value).replace(" ", "").casefold().removeprefix("午前").removeprefix("am")
    match = _TIME.fullmatch(text.removesuffix(":00") if text.count(":") == 2 else text)
    if match is None:
        raise Invalid(NOT_A_TIME)
    hour, minute = int(match["hour"]), int(match["minute"] or 0)
    if (match["pm"] or match["pm2"]) and hour < 12:
        hour += 12
    if hour > 23 or minute > 59:
        raise Invalid(NOT_A_TIME)
    return dt.time(hour, minute)


_DATE_AND_TIME = re.compile(
    r"(?P<date>.+?)(?:[ T]|(?<=日))(?P<time>(?:午前|午後)?\d{1,2}(?::|時).*)"
)


def moment(value: Any, time_value: Any = None) -> dt.datetime:
    """A date and time in Asia/Tokyo: one cell (2026/4/1 14:30, a date-time cell) or a date
    and a separate time cell. No time at all is the start of the day."""
    if isinstance(value, dt.datetime) and time_value in (None, ""):
        return _aware(value.replace(second=0, microsecond=0))
    time = time_of_day(time_value) if cell_text(time_value) else None
    if isinstance(value, dt.date):
        return _aware(dt.datetime.combine(_as_date(value), time or dt.time(0, 0)))
    text = cell_text(value)
    if time is None and (match := _DATE_AND_TIME.fullmatch(text)):
        return _aware(dt.datetime.combine(day(match["date"]), time_of_day(match["time"])))
    return _aware(dt.datetime.combine(day(text), time or dt.time(0, 0)))


def _as_date(value: dt.date) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _aware(value: dt.datetime) -> dt.datetime:
    if timezone.is_aware(value):
        return value
    return timezone.make_aware(value, timezone.get_default_timezone())


NOT_A_YEAR_MONTH = _(
    "年または年月として読み取れません。2018、2018年4月、平成30年4月、H30.4 のように入力してください。"
)
_ERA_PREFIXES = {prefix: era for era in ERAS for prefix in (era.name, era.name[0], era.letter)}
_YEAR_MONTH = re.compile(
    rf"(?P<era>{'|'.join(_ERA_PREFIXES)})?(?P<year>元|\d{{1,4}})年?(?:[-/.]?(?P<month>\d{{1,2}})月?)?(?:頃|ころ|ごろ)?"
)


def year_month(value: Any) -> tuple[int, int | None]:
    """When something began, as precisely as it is known: 2018, 2018年4月, 平成30年,
    H30.4, 2018/4, or a full date (the day is dropped)."""
    if isinstance(value, dt.date):
        return value.year, value.month
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        value = whole_number(value)
    text = cell_text(value).replace(" ", "").upper()
    try:
        full = parse_date(text)
    except InvalidJapaneseDate:
        pass
    else:
        return full.year, full.month
    match = _YEAR_MONTH.fullmatch(text)
    if match is None:
        raise Invalid(NOT_A_YEAR_MONTH)
    year = 1 if match["year"] == "元" else int(match["year"])
    if match["era"]:
        year += _ERA_PREFIXES[match["era"]].start.year - 1
    elif year < 1000:
        raise Invalid(NOT_A_YEAR_MONTH)
    month = int(match["month"]) if match["month"] else None
    if month is not None and not 1 <= month <= 12:
        raise Invalid(NOT_A_YEAR_MONTH)
    return year, month


def birth_year(value: Any) -> int:
    """1948, 1948年, 昭和23年, S23."""
    year, _month = year_month(value)
    return year


# --- codes -----------------------------------------------------------------------------------

NOT_A_PHONE = _(
    "電話番号として読み取れません。03-1234-5678 や 090-1234-5678 の形式で入力してください。"
)


def phone(value: Any) -> str:
    """A Japanese phone number as stored (E.164): 03-1234-5678, ０９０－１２３４－５６７８, or a
    number cell that lost its leading 0 (Excel reads 0312345678 as 312345678)."""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        value = "0" + str(whole_number(value))
    text = cell_text(value).replace("ー", "-").replace("−", "-")
    try:
        number = PhoneNumber.from_string(text, region="JP")
    except NumberParseException:
        number = None
    if number is None or not number.is_valid():
        raise Invalid(NOT_A_PHONE)
    return str(number.as_e164)


NOT_A_POSTAL_CODE = _("郵便番号は 123-4567 の形式で入力してください。")


def postal_code(value: Any) -> str:
    """〒123-4567, １２３－４５６７, 1234567 as 123-4567."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = f"{value:07d}"
    digits = re.sub(r"[〒\s\-ー−]", "", cell_text(value))
    if not re.fullmatch(r"\d{7}", digits):
        raise Invalid(NOT_A_POSTAL_CODE)
    return f"{digits[:3]}-{digits[3:]}"


_PREFECTURE = re.compile(r"^(東京都|北海道|(?:京都|大阪)府|[^\s]{2,3}県)")


def split_prefecture(value: Any) -> tuple[str, str]:
    """東京都港区芝1-2-3 as (東京都, 港区芝1-2-3); an address without one as ("", address)."""
    text = cell_text(value)
    match = _PREFECTURE.match(text)
    if match is None:
        return "", text
    return match[1], text[match.end() :].strip()


NOT_AN_AGE = _("年齢または年代として読み取れません。34、34歳、30代 のように入力してください。")


def age_band(value: Any) -> str:
    """34, 34歳, 30代, ３０歳代, 30代前半, 20歳未満, 60代以上, 70代 or 不明 as the age band."""
    text = word_key(value)
    if text in _UNKNOWN_WORDS:
        return AgeBand.UNKNOWN
    if match := re.fullmatch(r"(\d{1,3})(?:歳|才)?(?:代|歳代|才代)(?:前半|後半|以上)?", text):
        return age_band_for(int(match[1]))
    if re.fullmatch(r"(?:10代|20歳未満|20才未満|未成年|10歳代)", text):
        return AgeBand.UNDER_20
    if match := re.fullmatch(r"(\d{1,3})(?:歳|才)?", text):
        return age_band_for(int(match[1]))
    raise Invalid(NOT_AN_AGE)


# --- yes/no and words ------------------------------------------------------------------------

_UNKNOWN_WORDS = frozenset({"不明", "ふめい", "わからない", "未確認", "unknown", "?", "-"})
_TRUE_WORDS = frozenset(
    {"○", "〇", "◯", "●", "◎", "✓", "✔", "レ", "v", "有", "あり", "有り", "はい", "yes", "y"}
    | {"true", "1", "済", "済み", "該当", "該当あり", "する", "した", "同意", "同意あり"}
)
_FALSE_WORDS = frozenset(
    {"×", "✕", "✗", "無", "なし", "無し", "いいえ", "no", "n", "false", "0", "非該当"}
    | {"しない", "未", "同意なし", "不同意"}
)
NOT_YES_OR_NO = _(
    "はい／いいえとして読み取れません。○、×、有、無、はい、いいえ のように入力してください。"
)


def yes_no(value: Any, *, yes: Iterable[str] = (), no: Iterable[str] = ()) -> bool:
    """○ / 有 / はい / 1 / TRUE and × / 無 / いいえ / 0 / FALSE, plus the field's own words
    (同居 / 別居)."""
    if isinstance(value, bool):
        return value
    key = word_key(value)
    if key in _TRUE_WORDS or key in {word_key(word) for word in yes}:
        return True
    if key in _FALSE_WORDS or key in {word_key(word) for word in no}:
        return False
    raise Invalid(NOT_YES_OR_NO)


NOT_A_CHOICE = _("「%(field)s」として読み取れない値です。使える値: %(choices)s")


@dataclass(frozen=True)
class Words:
    """The words that mean each choice of a TextChoices: its value, its Japanese and English
    labels, and the synonyms people write (電話 / TEL / tel / でんわ → 電話)."""

    choices: type[models.TextChoices]
    synonyms: tuple[tuple[str, tuple[str, ...]], ...] = ()
    excluded: tuple[str, ...] = ()  # choices never set by hand

    @property
    def table(self) -> dict[str, str]:
        return _word_table(self)

    def __call__(self, value: Any, *, field: StrOrPromise = "") -> str:
        key = word_key(value)
        if key in self.table:
            return self.table[key]
        labels = [
            str(label) for choice, label in self.choices.choices if choice not in self.excluded
        ]
        raise Invalid(NOT_A_CHOICE, {"field": field, "choices": "、".join(labels)})


@cache
def _word_table(words: Words) -> dict[str, str]:
    table: dict[str, str] = {}
    for choice in words.choices:
        if choice.value in words.excluded:
            continue
        spellings = [choice.value, choice.name]
        for language in ("ja", "en"):
            with translation.override(language):
                spellings.append(str(choice.label))
        for spelling in spellings:
            table.setdefault(word_key(spelling), choice.value)
    for value, synonyms in words.synonyms:
        for synonym in synonyms:
            table.setdefault(word_key(synonym), value)
    return table


CHANNEL = Words(
    Channel,
    (
        (Channel.PHONE, ("TEL", "でんわ", "電話相談", "架電", "受電", "call", "telephone", "☎")),
        (Channel.CENTRE_VISIT, ("来所相談", "来談", "面接", "面談", "来センター", "in person")),
        (
            Channel.HOME_VISIT,
            ("家庭訪問", "自宅訪問", "訪問支援", "アウトリーチ", "outreach", "visit"),
        ),
        (Channel.EMAIL, ("Eメール", "電子メール", "mail", "e-mail", "メール相談")),
        (Channel.SNS, ("SNS", "LINE", "ライン", "チャット", "chat")),
        (Channel.ACCOMPANIED, ("同行支援", "付き添い")),
        (Channel.ONLINE, ("Zoom", "ビデオ通話", "web面談", "ウェブ面談", "video")),
        (Channel.LETTER, ("郵送", "文書", "はがき", "葉書", "手紙送付", "post")),
        (Channel.IBASHO, ("居場所活動", "たまり場", "サロン")),
        (Channel.FAMILY_CLASS, ("家族会", "家族教室参加", "CRAFT")),
    ),
)
COUNTERPART = Words(
    Counterpart,
    (
        (Counterpart.PERSON, ("当事者", "self", "本人のみ")),
        (
            Counterpart.FAMILY,
            (
                *("母", "父", "親", "両親", "父母", "母親", "父親", "兄", "姉", "弟", "妹"),
                *("きょうだい", "祖父", "祖母", "配偶者", "夫", "妻", "親族"),
                *("mother", "father", "parent"),
            ),
        ),
        (
            Counterpart.PERSON_AND_FAMILY,
            ("本人・家族", "本人+家族", "本人及び家族", "本人と母", "本人と父"),
        ),
        (Counterpart.AGENCY, ("機関", "他機関", "支援機関", "保健所", "学校", "病院", "行政")),
    ),
)
FIRST_CONTACT_BY = Words(
    FirstContactBy,
    (
        (
            FirstContactBy.FAMILY,
            ("母", "父", "親", "両親", "母親", "父親", "きょうだい", "祖父母", "親族"),
        ),
        (FirstContactBy.SCHOOL, ("教員", "担任", "スクールカウンセラー", "SC", "SSW")),
        (FirstContactBy.MEDICAL, ("病院", "クリニック", "医師", "精神科", "診療所")),
        (
            FirstContactBy.AGENCY,
            (
                *("関係機関", "保健所", "福祉事務所", "市役所", "役所", "行政", "地域包括"),
                *("サポステ", "民生委員", "社協"),
            ),
        ),
    ),
)
GENDER = Words(
    Gender,
    (
        (Gender.FEMALE, ("女", "女子", "F", "woman")),
        (Gender.MALE, ("男", "男子", "M", "man")),
        (Gender.UNANSWERED, ("不明", "無回答", "回答なし", "未回答", "未確認", "unknown")),
    ),
)
CASE_STATUS = Words(
    CaseStatus,
    (
        (CaseStatus.OPEN, ("支援中", "継続", "継続中", "相談中", "対応", "active", "開始")),
        (CaseStatus.PAUSED, ("休止", "中断", "一時休止", "pause")),
        (CaseStatus.CLOSED, ("終了", "終了済み", "完了", "終結済み", "close")),
    ),
)
CLOSURE_REASON = Words(
    ClosureReason,
    (
        (ClosureReason.GOAL_REACHED, ("達成", "就労", "就職", "就学", "復学", "進学")),
        (ClosureReason.REFERRED_ON, ("つなぎ", "他機関", "紹介", "移行", "引継ぎ")),
        (ClosureReason.MOVED, ("転出", "引越し", "引っ越し")),
        (ClosureReason.CONTACT_LOST, ("連絡不通", "音信不通", "途絶", "連絡なし")),
        (ClosureReason.DECLINED, ("辞退", "拒否", "本人拒否", "家族辞退")),
        (ClosureReason.DEATH, ("逝去", "死去")),
    ),
    excluded=(ClosureReason.TRANSFERRED,),
)
SEVERITY = Words(
    Severity,
    (
        (Severity.MILD, ("軽い", "軽")),
        (Severity.MODERATE, ("中等度", "中程度", "中")),
        (Severity.SEVERE, ("重い", "重")),
    ),
)
SUPPORT_STAGE = Words(
    SupportStage,
    (
        (SupportStage.FAMILY, ("家族", "家族への支援")),
        (SupportStage.INDIVIDUAL, ("個人", "個別支援", "本人支援")),
        (SupportStage.GROUP, ("集団", "居場所", "グループ", "集団支援")),
        (SupportStage.PARTICIPATION, ("就労支援", "就労", "就学")),
    ),
)
PERSON_AWARE = Words(
    PersonAware,
    (
        (PersonAware.YES, ("はい", "あり", "有", "○", "知る", "知ってる")),
        (PersonAware.NO, ("いいえ", "なし", "無", "×", "知らせていない")),
        (PersonAware.UNKNOWN, ("未確認", "わからない")),
    ),
)
RELATION = Words(
    Relation,
    (
        (Relation.FATHER, ("父親", "実父", "お父さん", "養父")),
        (Relation.MOTHER, ("母親", "実母", "お母さん", "養母")),
        (Relation.SIBLING, ("兄", "姉", "弟", "妹", "兄弟", "姉妹", "兄弟姉妹", "長兄", "長姉")),
        (Relation.SPOUSE, ("夫", "妻", "husband", "wife")),
        (Relation.GRANDPARENT, ("祖父", "祖母", "grandfather", "grandmother")),
        (Relation.CHILD, ("子ども", "子供", "息子", "娘", "長男", "長女", "次男", "次女")),
        (
            Relation.OTHER_RELATIVE,
            ("親族", "おじ", "おば", "叔父", "叔母", "伯父", "伯母", "いとこ"),
        ),
    ),
)
MEMBER_STATUS = Words(
    MemberStatus,
    (
        (MemberStatus.ACTIVE, ("存命", "生存", "在宅")),
        (MemberStatus.MOVED_OUT, ("転居", "別居（転出）")),
        (MemberStatus.DECEASED, ("逝去", "他界", "故人", "死去")),
    ),
)
