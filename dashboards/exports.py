"""The statistics as files for the prefecture: a CSV that Excel opens correctly (UTF-8 with a
byte-order mark, every table one after another under its heading) and an XLSX workbook (one
sheet per table, the centre and the 和暦 period in its title row).

Both write the report's own Table objects, so they hold exactly the numbers of the page. The
tables hold only labels and numbers; every text cell is still neutralised against formula
injection (a centre's name is typed by people), as OWASP recommends for any export."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Border, Font, Side
from openpyxl.utils import get_column_letter

from accounts.spreadsheets import csv_text, neutralise
from dashboards.statistics import Report, Table


def file_name(report: Report, extension: str) -> str:
    """statistics-fy2026-centre3.csv: the period and the centre's id, never its name."""
    scope = f"centre{report.centres[0].pk}" if len(report.centres) == 1 else "all-centres"
    return f"statistics-{report.period.slug}-{scope}.{extension}"


def _period_line(report: Report) -> list[str]:
    return [
        _("集計期間"),
        _("%(first)s〜%(last)s（日本時間）")
        % {
            "first": report.period.first_day.isoformat(),
            "last": report.period.last_day.isoformat(),
        },
    ]


def _header(table: Table) -> list[str]:
    return [table.row_heading, *(label for _key, label in table.columns)]


def _body(table: Table) -> Iterator[list[Any]]:
    for row, numbers in table.lines():
        yield [row.label, *numbers]


def csv_rows(report: Report) -> Iterator[list[Any]]:
    yield [report.title]
    yield _period_line(report)
    for table in report.tables:
        yield []
        yield [table.title]
        yield _header(table)
        yield from _body(table)
        if table.note:
            yield [table.note]


def csv_bytes(report: Report) -> bytes:
    return csv_text(csv_rows(report)).encode("utf-8")


_THIN = Side(style="thin")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


def _sheet_title(table: Table, taken: set[str]) -> str:
    """At most 31 characters, none of []:*?/\\, and unique in the workbook."""
    title = "".join("_" if char in "[]:*?/\\" else char for char in table.sheet)[:31]
    base, number = title, 2
    while title in taken:
        suffix = f" ({number})"
        title, number = base[: 31 - len(suffix)] + suffix, number + 1
    taken.add(title)
    return title


def _write_row(sheet: Any, row: int, values: list[Any], **style: Any) -> None:
    for column, value in enumerate(values, start=1):
        cell = sheet.cell(row=row, column=column, value=neutralise(value))
        for name, setting in style.items():
            setattr(cell, name, setting)


def xlsx_bytes(report: Report) -> bytes:
    """One sheet per table: the title row (centre, 和暦 period, table), the period's dates,
    then the table with borders from row 4, and its note under it."""
    workbook = Workbook()
    workbook.remove(workbook.active)  # type: ignore[arg-type]
    taken: set[str] = set()
    for table in report.tables:
        sheet = workbook.create_sheet(_sheet_title(table, taken))
        title = f"{report.scope_label}　{report.period.label}　{table.title}"
        _write_row(sheet, 1, [title], font=Font(bold=True, size=13))
        _write_row(sheet, 2, _period_line(report))
        _write_row(sheet, 4, _header(table), font=Font(bold=True), border=_BOX)
        row_number = 4
        for row_number, (row, values) in enumerate(
            zip(table.rows, _body(table), strict=True), start=5
        ):
            _write_row(sheet, row_number, values, font=Font(bold=row.is_total), border=_BOX)
        if table.note:
            _write_row(sheet, row_number + 2, [table.note])
        sheet.column_dimensions["A"].width = 30
        for index in range(2, len(table.columns) + 2):
            sheet.column_dimensions[get_column_letter(index)].width = 14
        sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
