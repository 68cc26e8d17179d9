"""Spreadsheets as centres keep them, built in code: a case book saved by Excel in Japan as
CSV (Shift_JIS / CP932), a consultation log as an XLSX workbook with a title row above the
headers and a second sheet, a family sheet as UTF-8 CSV with a byte-order mark. 和暦 and 西暦
dates, full-width digits, katakana and half-width ｶﾅ furigana, 電話 / TEL / tel, ○ and ×:
what people type."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook

CASE_HEADERS = [
    "No.",
    "氏名",
    "フリガナ",
    "生年月日",
    "性別",
    "住所",
    "電話番号",
    "初回相談日",
    "初回相談者",
    "ひきこもり開始",
    "状態",
    "担当者",
    "備考",
]

# (No., 氏名, フリガナ, 生年月日, 性別, 住所, 電話番号, 初回相談日, 初回相談者, 開始, 状態, 担当者, 備考)
CASE_ROWS: list[list[Any]] = [
    [
        "1",
        "山田　太郎",
        "ヤマダ　タロウ",
        "昭和63年5月12日",
        "男",
        "東京都港区芝1-2-3",
        "03-1234-5678",
        "2019/4/8",
        "母",
        "H27",
        "対応中",
        "相談員アリス",
        "昼夜逆転",
    ],
    [
        "２",
        "鈴木 一郎",
        "ｽｽﾞｷ ｲﾁﾛｳ",
        "H5.3.2",
        "男性",
        "",
        "０９０－１２３４－５６７８",
        "令和元年6月3日",
        "本人",
        "2015年4月",
        "継続",
        "alice",
        "",
    ],
    [
        "3",
        "佐々木 花子",
        "ささき はなこ",
        "平成7年12月1日",
        "女",
        "神奈川県横浜市中区1-1",
        "",
        "2020-01-15",
        "父",
        "",
        "休止",
        "",
        "休止期限あり",
    ],
    [
        "4",
        "高橋 健",
        "タカハシ ケン",
        "1975/10/20",
        "M",
        "",
        "",
        "R2.7.1",
        "保健所",
        "平成10年",
        "終結",
        "相談員アリス",
        "",
    ],
    [
        "5",
        "田中 誠",
        "たなか まこと",
        "平成2年2月30日",
        "男",
        "",
        "",
        "2021/5/10",
        "家族",
        "",
        "対応中",
        "",
        "生年月日の誤記",
    ],
    [
        "6",
        "伊藤 美咲",
        "イトウ ミサキ",
        "",
        "女",
        "",
        "",
        "２０２２／１１／２４",
        "学校",
        "",
        "対応中",
        "alice",
        "",
    ],
    [
        "7",
        "渡辺 翔",
        "ﾜﾀﾅﾍﾞ ｼｮｳ",
        "S60.1.15",
        "",
        "",
        "",
        "2023/2/1",
        "病院",
        "",
        "",
        "",
        "性別・状態は空欄",
    ],
    [
        "8",
        "小林 葵",
        "こばやし あおい",
        "2000年4月1日",
        "女性",
        "",
        "tel不明",
        "2024/3/18",
        "母",
        "",
        "対応中",
        "",
        "電話番号が読めない",
    ],
]
# Row 3 is paused (needs an end), row 4 closed (needs a reason): the columns that give them.
CASE_EXTRA_HEADERS = ["休止期限", "終結理由"]
CASE_EXTRA = {2: ["2099/3/31", ""], 3: ["", "就労"]}


def case_book() -> list[list[Any]]:
    rows = [CASE_HEADERS + CASE_EXTRA_HEADERS]
    for index, row in enumerate(CASE_ROWS):
        rows.append(row + CASE_EXTRA.get(index, ["", ""]))
    return rows


CONTACT_HEADERS = [
    "ケース番号",
    "相談日",
    "時刻",
    "所要時間",
    "相談方法",
    "相談者",
    "対応者",
    "相談内容",
]


def contact_log() -> list[list[Any]]:
    """The consultation log of cases 1, 2 and 6 of the case book: text dates in 和暦 and
    西暦, real date cells, full-width minutes, TEL / tel / 電話, 来所, a letter."""
    return [
        ["相談記録（令和6年度）", None, None, None, None, None, None, None],
        CONTACT_HEADERS,
        [
            "1",
            "令和6年4月8日",
            "10:00",
            "３０",
            "電話",
            "母",
            "alice",
            "母より電話。昼夜逆転が続く。",
        ],
        [
            "1",
            dt.datetime(2024, 4, 22, 14, 0),
            None,
            "60分",
            "来所",
            "父母",
            "相談員アリス",
            "父母来所。",
        ],
        ["1", "R6.5.7", "15時30分", "15", "TEL", "本人", "alice", "本人と短く話せた。"],
        ["2", "2024/5/9", "", "1時間", "訪問", "本人と家族", "alice", "家庭訪問。"],
        ["2", dt.date(2024, 6, 3), "9:30", "20", "tel", "母", "", "母より電話。"],
        ["6", "令和6年6月10日", "", "", "手紙", "本人", "alice", "案内を郵送。"],
        ["6", "令和6年6月10日", "", "", "手紙", "本人", "alice", "同じ日にもう一通。"],
    ]


FAMILY_HEADERS = [
    "ケース番号",
    "続柄",
    "氏名",
    "ふりがな",
    "生年月日",
    "同居",
    "電話番号",
    "連絡の同意",
]


def family_sheet() -> list[list[Any]]:
    return [
        FAMILY_HEADERS,
        ["1", "母", "山田 花子", "ヤマダ ハナコ", "昭和19年1月5日", "同居", "03-1234-5678", "○"],
        ["1", "父", "山田 一夫", "やまだ かずお", "S20.8.1", "○", "", "×"],
        ["2", "姉", "鈴木 友子", "ｽｽﾞｷ ﾄﾓｺ", "", "別居", "", "有"],
    ]


def csv_bytes(
    rows: Sequence[Sequence[Any]], *, encoding: str = "cp932", bom: bool = False
) -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n").writerows(
        ["" if cell is None else cell for cell in row] for row in rows
    )
    data = buffer.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def xlsx_bytes(sheets: dict[str, Sequence[Sequence[Any]]]) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def contact_rows(case_numbers: Sequence[str], count: int, *, start: dt.datetime) -> list[list[Any]]:
    """A long consultation log: `count` contacts over the given cases, an hour apart."""
    channels = ["電話", "来所", "訪問", "メール", "TEL", "手紙"]
    counterparts = ["母", "本人", "父", "家族", "本人と家族"]
    rows: list[list[Any]] = [CONTACT_HEADERS]
    for index in range(count):
        at = start + dt.timedelta(hours=index)
        rows.append(
            [
                case_numbers[index % len(case_numbers)],
                f"{at:%Y/%m/%d}",
                f"{at:%H:%M}",
                str(10 + index % 50),
                channels[index % len(channels)],
                counterparts[index % len(counterparts)],
                "",
                f"記録{index}",
            ]
        )
    return rows
