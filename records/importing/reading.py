"""Reading an uploaded spreadsheet: a CSV (UTF-8 with or without a byte-order mark, Shift_JIS /
CP932 as Excel in Japan still writes it, UTF-16 as Excel's "Unicode text") or an XLSX workbook
(openpyxl in read-only mode: rows are streamed, so a 50,000-row sheet is never held as cells).

The rows come out numbered as the spreadsheet shows them (row 1 is the first row), so that an
error on the report points at the row a person sees in Excel."""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from django.utils.translation import gettext_lazy as _
from openpyxl import load_workbook

from records.importing.normalise import Invalid, cell_text

Kind = Literal["csv", "xlsx"]

NOT_A_SPREADSHEET = _(
    "CSV または Excel（.xlsx）のファイルとして読み取れません。Excel で「CSV UTF-8」か"
    "「Excel ブック（.xlsx）」として保存し直してください。"
)
OLD_EXCEL = _(
    "古い Excel 形式（.xls）には対応していません。Excel で「Excel ブック（.xlsx）」として"
    "保存し直してください。"
)
UNKNOWN_ENCODING = _(
    "文字コードを判別できません。UTF-8 か Shift_JIS（Excel の「CSV（コンマ区切り）」）で"
    "保存し直してください。"
)
NO_SUCH_SHEET = _("そのシートはこのファイルにありません。")

# The encodings Excel in Japan writes, tried in this order. UTF-8 is tried strictly first:
# Japanese text in CP932 is practically never valid UTF-8, so the order decides nothing by
# guesswork, and a plain-ASCII file reads the same either way.
UTF8, UTF8_BOM, CP932, UTF16 = "utf-8", "utf-8-sig", "cp932", "utf-16"


@dataclass(frozen=True)
class Opened:
    """What is known about a file once opened: its kind, the CSV's encoding, the sheets."""

    kind: Kind
    encoding: str
    sheets: list[str]


def open_file(data: bytes) -> Opened:
    """Recognise the file; raises Invalid (with the reason for the user) if it is no
    spreadsheet we read."""
    if data.startswith(b"\xd0\xcf\x11\xe0"):  # the OLE2 container of .xls
        raise Invalid(OLD_EXCEL)
    if data.startswith(b"PK\x03\x04"):
        return Opened("xlsx", "", _sheet_names(data))
    encoding = detect_encoding(data)
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:  # a byte-order mark in front of something else
        raise Invalid(UNKNOWN_ENCODING) from None
    if "\x00" in text:
        raise Invalid(NOT_A_SPREADSHEET)
    return Opened("csv", encoding, [""])


def detect_encoding(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        return UTF8_BOM
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return UTF16
    for encoding in (UTF8, CP932):
        try:
            data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return encoding
    raise Invalid(UNKNOWN_ENCODING)


def _workbook(data: bytes) -> Any:
    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise Invalid(NOT_A_SPREADSHEET) from error


def _sheet_names(data: bytes) -> list[str]:
    workbook = _workbook(data)
    try:
        return [sheet.title for sheet in workbook.worksheets]
    finally:
        workbook.close()


def rows(data: bytes, opened: Opened, *, sheet: str = "") -> Iterator[tuple[int, list[Any]]]:
    """(row number, cells) of every row that holds anything, blank cells at the end dropped."""
    source = (
        _xlsx_rows(data, sheet or opened.sheets[0])
        if opened.kind == "xlsx"
        else _csv_rows(data, opened.encoding)
    )
    for number, cells in enumerate(source, start=1):
        values = list(cells)
        while values and cell_text(values[-1]) == "":
            values.pop()
        if values:
            yield number, values


def _csv_rows(data: bytes, encoding: str) -> Iterator[list[str]]:
    text = data.decode(encoding)
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
    yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)


def _xlsx_rows(data: bytes, sheet: str) -> Iterator[tuple[Any, ...]]:
    workbook = _workbook(data)
    try:
        if sheet not in workbook.sheetnames:
            raise Invalid(NO_SUCH_SHEET)
        yield from workbook[sheet].iter_rows(values_only=True)
    finally:
        workbook.close()
