"""Formula injection: what the case and contact forms accept, however hostile, leaves every
export (the centre's book as CSV and XLSX, each shape; the statistics) without a cell a
spreadsheet would run as a formula (accounts.spreadsheets.neutralise)."""

from __future__ import annotations

import csv
import io
from typing import Any

import openpyxl
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from accounts.spreadsheets import FORMULA_STARTS
from records.exports import SHAPES
from tests.factories import case_form_data, client_for, make_case
from tests.fuzz.strategies import FORMULA_PAYLOADS, STRATEGIES
from tests.fuzz.world import World

_formula = st.one_of(
    st.sampled_from(FORMULA_PAYLOADS),
    st.tuples(st.sampled_from(FORMULA_PAYLOADS), STRATEGIES["text"]).map("".join),
    STRATEGIES["text"],
)
CASE_TEXTS = ("family_name", "given_name", "municipality", "address_line")


class _Rollback(Exception):
    pass


def _body(response: Any) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def _cells(response: Any) -> list[str]:
    body = _body(response)
    if response["Content-Type"].startswith("text/csv"):
        rows = csv.reader(io.StringIO(body.decode("utf-8-sig")))
        return [cell for row in rows for cell in row]
    book = openpyxl.load_workbook(io.BytesIO(body), read_only=True)
    return [
        cell
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for cell in row
        if isinstance(cell, str)
    ]


def _assert_no_formula(cells: list[str], where: str) -> None:
    for cell in cells:
        assert not cell.startswith(FORMULA_STARTS), f"{where}: a formula cell {cell[:40]!r}"


def test_hostile_text_saved_through_the_forms_is_never_a_formula_in_an_export(
    world: World, db: None
) -> None:
    alice, mallory = client_for(world.users["alice"]), client_for(world.users["mallory"])
    case = make_case(world.centre, world.users["alice"], primary_counsellor=world.users["alice"])
    stored_formulas = []

    @given(names=st.fixed_dictionaries({name: _formula for name in CASE_TEXTS}), note=_formula)
    def export(names: dict[str, str], note: str) -> None:
        try:
            with transaction.atomic():
                case.refresh_from_db()
                edited = alice.post(
                    reverse("cases:edit", args=[case.pk]), case_form_data(case, **names)
                )
                contact = alice.post(
                    reverse("cases:contact_add", args=[case.pk]),
                    {
                        "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
                        "duration_minutes": "10",
                        "channel": "phone",
                        "counterpart": "person",
                        "two_way": "on",
                        "note": note,
                    },
                )
                assert edited.status_code < 500 and contact.status_code < 500
                case.refresh_from_db()
                if any(getattr(case, n).startswith(FORMULA_STARTS) for n in CASE_TEXTS):
                    stored_formulas.append(names)
                for shape in SHAPES:
                    for file_format in ("csv", "xlsx"):
                        response = mallory.post(
                            reverse("records:export"),
                            {
                                "centre": world.centre.pk,
                                "shape": shape,
                                "file_format": file_format,
                                "with_sensitive": "on",
                            },
                        )
                        assert response.status_code == 200, (shape, file_format)
                        _assert_no_formula(_cells(response), f"{shape}.{file_format}")
                for name in ("dashboards:statistics_csv", "dashboards:statistics_xlsx"):
                    response = mallory.get(reverse(name))
                    assert response.status_code == 200, name
                    _assert_no_formula(_cells(response), name)
                raise _Rollback
        except _Rollback:
            pass

    export()
    # Not vacuous: some examples stored a formula-looking name or address to export.
    assert stored_formulas
