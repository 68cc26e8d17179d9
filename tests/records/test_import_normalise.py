"""Values as people type them into a centre's book, read as the records store them."""

from __future__ import annotations

import codecs
import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation

from records.importing import normalise as n
from records.importing.reading import Opened, detect_encoding, open_file, rows
from records.importing.targets import suggest
from tests.records.fixtures import csv_bytes, xlsx_bytes

TOKYO = dt.timezone(dt.timedelta(hours=9))


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("昭和45年3月2日", dt.date(1970, 3, 2)),
        ("S45.3.2", dt.date(1970, 3, 2)),
        ("s45/3/2", dt.date(1970, 3, 2)),
        ("昭45年3月2日", dt.date(1970, 3, 2)),
        ("平成元年1月8日", dt.date(1989, 1, 8)),
        ("H31.4.30", dt.date(2019, 4, 30)),
        ("令和元年5月1日", dt.date(2019, 5, 1)),
        ("Ｒ８．４．１", dt.date(2026, 4, 1)),
        ("2026/4/1", dt.date(2026, 4, 1)),
        ("２０２６／０４／０１", dt.date(2026, 4, 1)),
        ("2026-04-01", dt.date(2026, 4, 1)),
        ("2026年4月1日", dt.date(2026, 4, 1)),
        ("20260401", dt.date(2026, 4, 1)),
        (dt.datetime(2026, 4, 1, 9, 30), dt.date(2026, 4, 1)),  # an Excel date cell
        (dt.date(2026, 4, 1), dt.date(2026, 4, 1)),
    ],
)
def test_dates_in_wareki_and_seireki(typed, read):
    assert n.day(typed) == read


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("平成2年2月30日", "その日付は存在しません"),
        ("昭和65年1月1日", "昭和は"),
        ("令和元年4月30日", "令和は"),
        ("来週", "日付として読み取れません"),
        ("", "日付として読み取れません"),
    ],
)
def test_a_date_that_is_no_date_says_why(typed, reason):
    with pytest.raises(n.Invalid) as refused:
        n.day(typed)
    assert reason in str(refused.value)


def test_reasons_are_given_in_the_readers_language():
    with pytest.raises(n.Invalid) as refused:
        n.day("2026/2/30")
    with translation.override("en"):
        assert str(refused.value) == "That date does not exist. Check the month and the day."
    assert str(refused.value) == "その日付は存在しません。月と日を確かめてください。"


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        (("2026/4/1 14:30", None), dt.datetime(2026, 4, 1, 14, 30, tzinfo=TOKYO)),
        (("R8.4.1", "14時30分"), dt.datetime(2026, 4, 1, 14, 30, tzinfo=TOKYO)),
        (("令和8年4月1日14時", None), dt.datetime(2026, 4, 1, 14, 0, tzinfo=TOKYO)),
        (("2026/4/1", "午後2時"), dt.datetime(2026, 4, 1, 14, 0, tzinfo=TOKYO)),
        (("2026/4/1", "１４：３０"), dt.datetime(2026, 4, 1, 14, 30, tzinfo=TOKYO)),
        (("2026/4/1", ""), dt.datetime(2026, 4, 1, 0, 0, tzinfo=TOKYO)),
        ((dt.datetime(2026, 4, 1, 9, 5, 59), None), dt.datetime(2026, 4, 1, 9, 5, tzinfo=TOKYO)),
        ((dt.date(2026, 4, 1), dt.time(9, 30)), dt.datetime(2026, 4, 1, 9, 30, tzinfo=TOKYO)),
        ((dt.date(2026, 4, 1), "9:30:00"), dt.datetime(2026, 4, 1, 9, 30, tzinfo=TOKYO)),
    ],
)
def test_moments_in_tokyo(typed, read):
    assert n.moment(*typed) == read


@pytest.mark.parametrize("typed", ["25:00", "14時70分", "そのうち"])
def test_a_time_that_is_no_time(typed):
    with pytest.raises(n.Invalid, match="時刻として読み取れません"):
        n.time_of_day(typed)


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("2018", (2018, None)),
        ("2018年", (2018, None)),
        ("2018年4月", (2018, 4)),
        ("2018/4", (2018, 4)),
        ("H30", (2018, None)),
        ("平成30年4月", (2018, 4)),
        ("H30.4", (2018, 4)),
        ("平成30年4月頃", (2018, 4)),
        ("令和元年", (2019, None)),
        ("2018/4/15", (2018, 4)),
        (2018, (2018, None)),
        (dt.date(2018, 4, 15), (2018, 4)),
    ],
)
def test_years_and_months_of_a_beginning(typed, read):
    assert n.year_month(typed) == read


@pytest.mark.parametrize("typed", ["18", "2018年13月", "昔から"])
def test_a_year_that_is_no_year(typed):
    with pytest.raises(n.Invalid):
        n.year_month(typed)


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("ヤマダ", "やまだ"),
        ("ﾔﾏﾀﾞ", "やまだ"),
        ("やまだ", "やまだ"),
        ("ヤマダ　タロウ", "やまだ たろう"),
        ("ｽｽﾞｷ ｲﾁﾛｳ", "すずき いちろう"),
    ],
)
def test_furigana_as_hiragana(typed, read):
    assert n.kana(typed) == read


def test_names_split_on_a_space_of_either_width_and_keep_variant_kanji():
    assert n.split_name("山田　太郎") == ("山田", "太郎")
    assert n.split_name(" 山田  太郎 ") == ("山田", "太郎")
    assert n.split_name("山田太郎") == ("山田太郎", "")
    # 﨑 (U+FA11) and 神 (U+FA19) are kept as written, not folded to 崎 / 神.
    assert n.cell_text("山\ufa11") == "山\ufa11" and n.cell_text("\ufa19田") == "\ufa19田"
    assert n.cell_text("ＡＢＣ１２３") == "ABC123"


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("03-1234-5678", "+81312345678"),
        ("０３－１２３４－５６７８", "+81312345678"),
        ("090-1234-5678", "+819012345678"),
        ("09012345678", "+819012345678"),
        ("(03)1234-5678", "+81312345678"),
        (312345678, "+81312345678"),  # a number cell without its leading 0
        (9012345678.0, "+819012345678"),
    ],
)
def test_phone_numbers(typed, read):
    assert n.phone(typed) == read


@pytest.mark.parametrize("typed", ["tel不明", "1234", "03-1234-567"])
def test_a_phone_number_that_is_none(typed):
    with pytest.raises(n.Invalid, match="電話番号として読み取れません"):
        n.phone(typed)


@pytest.mark.parametrize(
    ("typed", "read"),
    [("〒105-0011", "105-0011"), ("１０５００１１", "105-0011"), (1050011, "105-0011")],
)
def test_postal_codes(typed, read):
    assert n.postal_code(typed) == read


def test_an_address_gives_its_prefecture():
    assert n.split_prefecture("東京都港区芝1-2-3") == ("東京都", "港区芝1-2-3")
    assert n.split_prefecture("京都府京都市") == ("京都府", "京都市")
    assert n.split_prefecture("神奈川県横浜市中区") == ("神奈川県", "横浜市中区")
    assert n.split_prefecture("港区芝1-2-3") == ("", "港区芝1-2-3")


@pytest.mark.parametrize(
    ("typed", "band"),
    [
        ("34", "30s"),
        ("34歳", "30s"),
        ("３４才", "30s"),
        ("30代", "30s"),
        ("30歳代", "30s"),
        ("40代後半", "40s"),
        ("10代", "under20"),
        ("17", "under20"),
        ("20歳未満", "under20"),
        ("70代", "60plus"),
        ("60代以上", "60plus"),
        ("不明", "unknown"),
        (52, "50s"),
    ],
)
def test_ages_and_age_bands(typed, band):
    assert n.age_band(typed) == band


@pytest.mark.parametrize(
    ("typed", "minutes"),
    [
        ("30", 30),
        ("３０", 30),
        ("30分", 30),
        ("1時間", 60),
        ("1時間30分", 90),
        ("1.5時間", 90),
        ("1:30", 90),
        (45, 45),
        (dt.time(0, 40), 40),
    ],
)
def test_durations(typed, minutes):
    assert n.duration_minutes(typed) == minutes


@pytest.mark.parametrize("typed", ["しばらく", "30秒", "1.5"])
def test_a_duration_that_is_none(typed):
    with pytest.raises(n.Invalid):
        n.duration_minutes(typed)


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("○", True),
        ("〇", True),
        ("有", True),
        ("あり", True),
        ("はい", True),
        ("TRUE", True),
        ("1", True),
        (1.0, True),
        (True, True),
        ("×", False),
        ("無", False),
        ("なし", False),
        ("いいえ", False),
        ("0", False),
        ("FALSE", False),
    ],
)
def test_yes_and_no(typed, read):
    assert n.yes_no(typed) is read


def test_yes_and_no_with_the_fields_own_words():
    assert n.yes_no("同居", yes=("同居",), no=("別居",)) is True
    assert n.yes_no("別居", yes=("同居",), no=("別居",)) is False
    with pytest.raises(n.Invalid):
        n.yes_no("たぶん")


@pytest.mark.parametrize(
    ("typed", "channel"),
    [
        ("電話", "phone"),
        ("TEL", "phone"),
        ("tel", "phone"),
        ("ＴＥＬ", "phone"),
        ("Tel", "phone"),
        ("phone", "phone"),
        ("Phone", "phone"),
        ("来所", "centre_visit"),
        ("面談", "centre_visit"),
        ("訪問", "home_visit"),
        ("家庭訪問", "home_visit"),
        ("アウトリーチ", "home_visit"),
        ("メール", "email"),
        ("e-mail", "email"),
        ("Ｅメール", "email"),
        ("LINE", "sns"),
        ("SNS・チャット", "sns"),
        ("同行", "accompanied"),
        ("オンライン", "online"),
        ("zoom", "online"),
        ("手紙", "letter"),
        ("郵送", "letter"),
        ("居場所", "ibasho"),
        ("家族教室", "family_class"),
        ("home_visit", "home_visit"),
    ],
)
def test_channel_words(typed, channel):
    assert n.CHANNEL(typed) == channel


def test_english_labels_of_the_choices_are_words_too():
    with translation.override("en"):
        english = str(n.Channel.CENTRE_VISIT.label)
    if english != "来所":  # the English catalogue is compiled
        assert n.CHANNEL(english) == "centre_visit"
    assert n.CASE_STATUS("closed") == "closed" and n.GENDER("female") == "female"


def test_a_word_that_is_no_choice_names_the_choices():
    with pytest.raises(n.Invalid) as refused:
        n.CHANNEL("伝書鳩", field="相談方法")
    message = str(refused.value)
    assert "相談方法" in message and "電話" in message and "伝書鳩" not in message


@pytest.mark.parametrize(
    ("words", "typed", "read"),
    [
        (n.COUNTERPART, "母", "family"),
        (n.COUNTERPART, "本人・家族", "both"),
        (n.COUNTERPART, "保健所", "agency"),
        (n.FIRST_CONTACT_BY, "母", "family"),
        (n.FIRST_CONTACT_BY, "病院", "medical"),
        (n.FIRST_CONTACT_BY, "民生委員", "agency"),
        (n.GENDER, "男", "male"),
        (n.GENDER, "Ｆ", "female"),
        (n.GENDER, "無回答", "unanswered"),
        (n.CASE_STATUS, "継続", "open"),
        (n.CASE_STATUS, "休止", "paused"),
        (n.CASE_STATUS, "終了", "closed"),
        (n.CLOSURE_REASON, "就労", "goal_reached"),
        (n.CLOSURE_REASON, "音信不通", "contact_lost"),
        (n.SUPPORT_STAGE, "居場所", "group"),
        (n.SEVERITY, "中等度", "moderate"),
        (n.RELATION, "母", "mother"),
        (n.RELATION, "兄", "sibling"),
        (n.RELATION, "祖母", "grandparent"),
        (n.MEMBER_STATUS, "死亡", "deceased"),
        (n.PERSON_AWARE, "知らない", "no"),
    ],
)
def test_status_relation_and_other_words(words, typed, read):
    assert words(typed) == read


def test_a_transfer_is_no_closure_reason_a_file_can_give():
    with pytest.raises(n.Invalid):
        n.CLOSURE_REASON("他センターへ移管")


@pytest.mark.parametrize(
    ("typed", "read"),
    [("12", 12), ("１２", 12), (12.0, 12), (Decimal("12"), 12), ("12日", 12)],
)
def test_whole_numbers(typed, read):
    assert n.whole_number(typed, suffixes=("日",)) == read


# --- reading files ---------------------------------------------------------------------------


def test_encodings_excel_in_japan_writes():
    rows_ = [["氏名", "ふりがな"], ["山田 太郎", "やまだ たろう"]]
    assert detect_encoding(csv_bytes(rows_, encoding="cp932")) == "cp932"
    assert detect_encoding(csv_bytes(rows_, encoding="utf-8")) == "utf-8"
    assert detect_encoding(csv_bytes(rows_, encoding="utf-8", bom=True)) == "utf-8-sig"
    utf16 = codecs.BOM_UTF16_LE + "氏名\tふりがな\r\n山田\tやまだ\r\n".encode("utf-16-le")
    opened = open_file(utf16)
    assert opened.encoding == "utf-16"
    assert list(rows(utf16, opened)) == [(1, ["氏名", "ふりがな"]), (2, ["山田", "やまだ"])]


def test_a_cp932_only_character_reads_right():
    data = csv_bytes([["氏名"], ["髙橋 ①"]], encoding="cp932")  # 髙 and ① exist in CP932 only
    opened = open_file(data)
    assert list(rows(data, opened)) == [(1, ["氏名"]), (2, ["髙橋 ①"])]


def test_row_numbers_are_the_spreadsheets_and_blank_rows_are_passed_over():
    data = csv_bytes([["a", "b"], ["1", ""], ["", ""], ["2", "x"]], encoding="utf-8")
    assert list(rows(data, Opened("csv", "utf-8", [""]))) == [
        (1, ["a", "b"]),
        (2, ["1"]),
        (4, ["2", "x"]),
    ]


def test_an_old_excel_file_or_no_spreadsheet_at_all_is_refused_with_a_reason():
    with pytest.raises(n.Invalid, match=r"\.xls"):
        open_file(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)
    with pytest.raises(n.Invalid, match="文字コード"):
        open_file(b"abc\x80\xff\x81")
    with pytest.raises(n.Invalid, match="CSV または Excel"):
        open_file(b"PK\x03\x04 this is no workbook")


def test_a_workbook_lists_its_sheets_and_reads_the_chosen_one():
    data = xlsx_bytes({"表紙": [["説明"]], "台帳": [["氏名"], ["山田 太郎"]]})
    opened = open_file(data)
    assert opened.sheets == ["表紙", "台帳"]
    assert list(rows(data, opened, sheet="台帳")) == [(1, ["氏名"]), (2, ["山田 太郎"])]


def test_headers_suggest_fields_in_japanese_and_english():
    headers = [
        "氏名",
        "フリガナ",
        "生年月日（和暦）",
        "Date of birth",
        "電話番号",
        "相談日",
        "相談方法",
        "担当者",
        "メモ欄",
    ]
    assert suggest("contacts", headers) == {5: "date", 6: "channel", 7: "staff", 8: "note"}
    assert suggest("cases", headers) == {
        0: "full_name",
        1: "full_name_kana",
        3: "birth_date",  # an exact header wins over one that only contains the word
        4: "phone",
        7: "primary_counsellor",
    }
    assert suggest("cases", ["Name", "Kana", "Gender", "Phone", "Intake date"]) == {
        0: "full_name",
        1: "full_name_kana",
        2: "gender",
        3: "phone",
        4: "first_contact_date",
    }
