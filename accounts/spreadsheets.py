"""What every export of the app shares (statistics, the centre's book, audit trails): the
content types, and formula-injection neutralising as OWASP recommends for any CSV/XLSX a person
will open in a spreadsheet. Lives in the bottom layer so every app's exports use this one
definition."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

# A spreadsheet reads a cell starting with one of these as a formula (a tab or carriage return
# can hide one after it).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def neutralise(value: Any) -> Any:
    """A text that a spreadsheet would run as a formula, made plain text by a leading '."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(rows: Iterable[Iterable[Any]]) -> str:
    """Rows as a CSV Excel opens as UTF-8 (a BOM first), every cell neutralised: the one
    writer of the app's small CSV downloads (the large centre book streams its own lines,
    records.exports.csv_lines)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow([neutralise(value) for value in row])
    return "\ufeff" + buffer.getvalue()
