"""The statistics' CSV and XLSX parse back to the numbers of the page, are audited, name no
one, and neutralise anything a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.urls import reverse
from django.utils.http import urlencode
from openpyxl import load_workbook

from accounts.models import AuditAction, AuditEvent, Centre
from accounts.spreadsheets import neutralise
from dashboards.statistics import Report
from tests.dashboards.test_statistics import dataset, frozen_now  # noqa: F401 -- fixtures

FISCAL_2026 = {"period": "fiscal_year", "fiscal_year": "2026"}
APRIL_2026 = {"period": "month", "month": "2026-04"}


def _get(client: Any, name: str, query: dict[str, str]) -> Any:
    return client.get(reverse(f"dashboards:{name}") + "?" + urlencode(query))


def _page_report(client: Any, query: dict[str, str]) -> Report:
    response = _get(client, "statistics", query)
    assert response.status_code == 200
    return response.context["report"]


def _expected(report: Report) -> dict[str, list[list[Any]]]:
    """Each table as the rows a file should hold: the heading row, then label and numbers."""
    return {
        table.title: [
            [table.row_heading, *(label for _key, label in table.columns)],
            *([row.label, *numbers] for row, numbers in table.lines()),
        ]
        for table in report.tables
    }


def _csv_tables(rows: list[list[str]]) -> dict[str, list[list[Any]]]:
    """The CSV read back: a table is its title row, its heading row and the rows up to the
    next blank line (or its note, which is one cell)."""
    tables: dict[str, list[list[Any]]] = {}
    index = 0
    while index < len(rows):
        if rows[index] == [] and index + 2 < len(rows):
            title, body = rows[index + 1][0], [list[Any](rows[index + 2])]
            index += 3
            while index < len(rows) and len(rows[index]) > 1:
                label, *numbers = rows[index]
                body.append([label, *[int(n) for n in numbers]])
                index += 1
            tables[title] = body
        else:
            index += 1
    return tables


@pytest.mark.parametrize("query", [FISCAL_2026, APRIL_2026])
def test_csv_parses_back_to_the_numbers_of_the_page(dataset, as_mallory, query):  # noqa: F811
    report = _page_report(as_mallory, query)
    response = _get(as_mallory, "statistics_csv", query)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    body = response.content
    assert body.startswith(b"\xef\xbb\xbf")  # the BOM: Excel then reads UTF-8
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == [report.title]
    assert _csv_tables(rows) == _expected(report)
    assert len(_expected(report)) == len(report.tables) == 12  # no title clash lost one


def test_csv_file_name_has_the_period_and_the_centre_id_only(dataset, as_mallory, centre_a):  # noqa: F811
    response = _get(as_mallory, "statistics_csv", FISCAL_2026)
    assert response["Content-Disposition"] == (
        f'attachment; filename="statistics-fy2026-centre{centre_a.pk}.csv"'
    )


@pytest.mark.parametrize("query", [FISCAL_2026, APRIL_2026])
def test_xlsx_has_one_sheet_per_table_with_the_numbers_of_the_page(
    dataset,  # noqa: F811
    as_mallory,
    centre_a,
    query,
):
    report = _page_report(as_mallory, query)
    response = _get(as_mallory, "statistics_xlsx", query)
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    assert len(workbook.sheetnames) == len(report.tables)
    for sheet, table in zip(workbook.worksheets, report.tables, strict=True):
        title = sheet["A1"].value
        assert centre_a.name in title
        assert report.period.wareki in title  # 令和8年度 / 令和8年4月
        assert table.title in title
        rows = [list(row) for row in sheet.iter_rows(min_row=4, values_only=True)]
        body = rows[: len(table.rows) + 1]
        assert body == _expected(report)[table.title]


def test_exports_are_audited_against_the_centre(dataset, as_mallory, mallory, centre_a):  # noqa: F811
    _get(as_mallory, "statistics_csv", FISCAL_2026)
    _get(as_mallory, "statistics_xlsx", APRIL_2026)
    events = AuditEvent.objects.filter(action=AuditAction.EXPORT).order_by("at", "id")
    assert [(e.user_id, e.model, e.object_id, e.centre_id) for e in events] == [
        (mallory.pk, "accounts.centre", centre_a.pk, centre_a.pk)
    ] * 2
    assert [sorted(e.changed_fields) for e in events] == [
        ["csv", "fy2026", "statistics"],
        ["2026-04", "statistics", "xlsx"],
    ]


def test_viewing_the_page_is_not_an_export(dataset, as_mallory):  # noqa: F811
    _page_report(as_mallory, FISCAL_2026)
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()


def test_exports_name_no_client(dataset, as_mallory):  # noqa: F811
    csv_text = _get(as_mallory, "statistics_csv", FISCAL_2026).content.decode("utf-8-sig")
    workbook = load_workbook(io.BytesIO(_get(as_mallory, "statistics_xlsx", FISCAL_2026).content))
    cells = " ".join(
        str(value)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
    )
    for text in (csv_text, cells):
        assert "山田" not in text
        assert "ミカン" not in text


@pytest.mark.parametrize("text", ["=1+1", "+81", "-2", "@SUM(A1)", "\t=cmd"])
def test_neutralise_prefixes_formula_starts(text):
    assert neutralise(text) == "'" + text


def test_neutralise_leaves_labels_and_numbers():
    assert neutralise("電話") == "電話"
    assert neutralise(-3) == -3
    assert neutralise(12) == 12


def test_a_centre_named_like_a_formula_is_exported_as_text(dataset, as_mallory, centre_a):  # noqa: F811
    Centre.objects.filter(pk=centre_a.pk).update(name='=HYPERLINK("http://x","A")')
    rows = list(
        csv.reader(
            io.StringIO(_get(as_mallory, "statistics_csv", FISCAL_2026).content.decode("utf-8-sig"))
        )
    )
    assert rows[0][0].startswith("'=HYPERLINK")
    workbook = load_workbook(io.BytesIO(_get(as_mallory, "statistics_xlsx", FISCAL_2026).content))
    for sheet in workbook.worksheets:
        assert sheet["A1"].data_type == "s"
        assert sheet["A1"].value.startswith("'=HYPERLINK")
