"""Issue 17, the manager's day in a real browser, in Japanese and once in English (the
language switch on the login page): mallory signs in through the login page and her
authenticator's code (a TOTP device of her own, its code computed as the app computes it). A
case of alice's has gone silent: the silence sweep (the real service, run twice: the reminder
now, the escalation when the grace period has passed) escalates it, and the dashboard shows
it. She opens it from the dashboard's number (the list behind it has exactly that many rows),
then hands over alice's caseload (alice is leaving) to two colleagues: the preview, then the
confirmation; the cases are the colleagues' as the preview said. Last, this month's
statistics, downloaded as CSV and XLSX, parsed, and their totals checked against the
dashboard's.

Every page passed through gets axe-core at once and the Nu HTML checker at the end, with no
console error and no CSP refusal (tests/e2e/browser.py `Checked`)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import time_machine
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Centre, Role, User
from cases.choices import SilenceStage
from cases.models import Case
from reminders.services import sweep_silence
from tests.e2e.browser import DESKTOP, Checked, Words, choose_language, in_thread
from tests.factories import PASSWORD, UserFactory, make_case, record_contact

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def cell(rows: list[list[Any]], header_at: int, label: str, column: str) -> Any:
    """The value in the row so labelled and the column so headed, of the table whose header
    is rows[header_at] (its rows run to the first empty one)."""
    header = rows[header_at]
    for row in rows[header_at + 1 :]:
        if not row or row[0] is None:
            break
        if row[0] == label:
            return row[header.index(column)]
    raise AssertionError(f"no row {label} under {header}")


def csv_cell(body: bytes, title: str, label: str, column: str) -> int:
    """The CSV holds every table one after another, each under its title row."""
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    return int(cell(rows, rows.index([title]) + 1, label, column))


def xlsx_cell(body: bytes, sheet: str, label: str, column: str) -> int:
    """One sheet per table, its header on row 4 (dashboards.exports.xlsx_bytes)."""
    workbook = openpyxl.load_workbook(io.BytesIO(body), read_only=True)
    rows = [list(row) for row in workbook[sheet].iter_rows(values_only=True)]
    workbook.close()
    return int(cell(rows, 3, label, column))


@pytest.mark.parametrize("language", ["ja", "en"])
def test_manager_sees_an_escalation_hands_over_a_caseload_and_exports_the_month(
    open_page: Any, live_server: Any, centre_a: Centre, alice: User, mallory: User, language: str
) -> None:
    words = Words(language)
    sato = UserFactory(
        username="sato", display_name="佐藤 健", role=Role.COUNSELLOR, centre=centre_a
    )
    tanaka = UserFactory(
        username="tanaka", display_name="田中 優", role=Role.COUNSELLOR, centre=centre_a
    )
    device = TOTPDevice.objects.create(user=mallory, name="電話", confirmed=True)
    now = timezone.now()
    today = timezone.localdate()
    # alice's caseload: a case silent for 60 days (its last contact two months ago), and two
    # opened today by a first call each; sato has one of long standing, called today. (This
    # month's figures below assume the test does not run across the end of a Tokyo month.)
    with time_machine.travel(now - dt.timedelta(days=60)):  # opened then, not heard since
        silent = make_case(
            centre_a, alice, primary_counsellor=alice, first_contact_date=today - dt.timedelta(60)
        )
        record_contact(silent, alice)
    new = [
        make_case(centre_a, alice, primary_counsellor=alice, first_contact_date=today)
        for _ in range(2)
    ]
    for case in new:
        record_contact(case, alice)
    older = make_case(
        centre_a, sato, primary_counsellor=sato, first_contact_date=today - dt.timedelta(90)
    )
    record_contact(older, sato)
    alices = sorted([silent.pk, *(case.pk for case in new)])
    checked = Checked()
    page = open_page(viewport=DESKTOP)

    # --- signs in: the password, then the authenticator's code ------------------------------
    checked.goto(page, "/accounts/login/", "login")
    choose_language(page, checked, words)
    page.fill("#id_username", mallory.username)
    page.fill("#id_password", PASSWORD)
    checked.follow(page, "two-factor", page.locator("main form button[type=submit]").click)
    assert "/accounts/two-factor/" in page.url
    page.fill("#id_code", f"{totp(device.bin_key, step=device.step, digits=device.digits):06d}")
    checked.follow(page, "home", page.locator("main form button[type=submit]").first.click)
    assert "/accounts/" not in page.url, page.url

    # --- before the sweep: nothing escalated --------------------------------------------------
    dashboard_link = page.locator("[data-testid=nav-manager-dashboard]")
    checked.follow(page, "dashboard", dashboard_link.click)
    assert page.get_attribute("[data-testid=n-escalated]", "data-count") == "0"
    assert page.get_attribute("[data-testid=n-open]", "data-count") == "4"

    # --- the sweep: the reminder now, the escalation once the grace period is over ---------
    reminded = in_thread(lambda: sweep_silence().counts())
    assert (reminded["reminded"], reminded["escalated"]) == (1, 0)
    after_grace = now + dt.timedelta(days=centre_a.escalation_grace_days + 1)
    escalated = in_thread(lambda: sweep_silence(now=after_grace).counts())
    assert (escalated["reminded"], escalated["escalated"]) == (0, 1)
    assert in_thread(lambda: Case.objects.get(pk=silent.pk).silence_stage) == (
        SilenceStage.ESCALATED
    )

    checked.goto(page, "/dashboards/centre/", "dashboard (after the sweep)")
    number = page.locator("[data-testid=n-escalated]")
    assert number.get_attribute("data-count") == number.inner_text() == "1"
    month = f"{today:%Y-%m}"
    # This Tokyo month: the new cases (by their first contact's day) and every contact of the
    # log. The statistics count the same for the month: every contact of the log dated in it
    # (相談方法別, the total's 延人員), and the people with a contact in it whose first
    # contact is in it (新規): here each new case was opened by a call this month, so the two
    # new-case figures must agree too.
    new_cases = int(page.inner_text(f"[data-testid=trend-new_cases-{month}] td"))
    contacts = int(page.inner_text(f"[data-testid=trend-contacts-{month}] td"))
    assert (new_cases, contacts) == (2, 3)

    # --- opened from the number: the list behind it, exactly that many rows, then the case --
    checked.follow(page, "case list (escalated)", number.click)
    rows = page.locator("[data-testid=case-table] tbody tr")
    assert rows.count() == 1  # as many as the number said
    assert silent.case_number in rows.first.inner_text()
    assert words("エスカレーション済み") in rows.first.inner_text()
    checked.follow(page, "case (escalated)", rows.first.get_by_role("link").first.click)
    assert page.url.endswith(f"/cases/{silent.pk}/")

    # --- alice leaves: her caseload to sato and tanaka, previewed, then confirmed -----------
    checked.goto(page, "/dashboards/centre/", "dashboard (again)")
    checked.follow(
        page, "caseload transfer", page.locator("[data-testid=caseload-transfer-link]").click
    )
    page.select_option("#id_from_user", str(alice.pk))
    for colleague in (sato, tanaka):
        page.check(f"input[name=to_users][value='{colleague.pk}']")
    choose = page.locator("[data-testid=transfer-choose] button[type=submit]")
    checked.follow(page, "caseload transfer (preview)", choose.click)
    preview = page.locator("[data-testid=transfer-preview] tr[data-case]")
    assert (
        sorted(int(pk) for pk in preview.evaluate_all("rows => rows.map(r => r.dataset.case)"))
        == alices
    )
    planned = {
        int(row.get_attribute("data-case")): int(row.locator("[data-to]").get_attribute("data-to"))
        for row in preview.all()
    }
    # The fewest cases first: tanaka (none) takes two, sato (one) one.
    assert sorted(planned.values()) == sorted([sato.pk, tanaka.pk, tanaka.pk])
    # Nothing moved by the preview alone.
    assert in_thread(
        lambda: set(
            Case.objects.filter(pk__in=alices).values_list("primary_counsellor_id", flat=True)
        )
    ) == {alice.pk}
    confirm = page.locator("[data-testid=transfer-confirm]")
    confirm.locator("#id_reason").fill("退職")
    checked.follow(page, "caseload transfer (done)", confirm.locator("button[type=submit]").click)
    assert words("%(n)s件のケースを引き継ぎました。", n=3) in page.inner_text("main")

    def owners() -> dict[int, int | None]:
        return dict(Case.objects.filter(pk__in=alices).values_list("pk", "primary_counsellor_id"))

    assert in_thread(owners) == planned

    # --- this month's statistics: the page, the CSV and the XLSX -----------------------------
    checked.follow(page, "statistics", page.locator("[data-testid=nav-statistics]").click)
    page.check("input[name=period][value=month]")
    page.fill("#id_month", month)
    submit = page.locator("main form[method=get] button[type=submit]").first
    checked.follow(page, "statistics (this month)", submit.click)
    channels = page.locator("[data-testid=table-channels] tr[data-row=total] td")
    assert [int(n) for n in channels.all_inner_texts()] == [3, contacts]  # 3 people, a call each
    new_row = page.locator("[data-testid=table-new_continuing] tr[data-row=new] td").first
    assert int(new_row.inner_text()) == new_cases

    with page.expect_download() as csv_download:
        page.locator("[data-testid=export-csv]").click()
    assert csv_download.value.suggested_filename == f"statistics-{month}-centre{centre_a.pk}.csv"
    body = Path(csv_download.value.path()).read_bytes()
    assert body.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    with page.expect_download() as xlsx_download:
        page.locator("[data-testid=export-xlsx]").click()
    assert xlsx_download.value.suggested_filename.endswith(f"centre{centre_a.pk}.xlsx")
    workbook = Path(xlsx_download.value.path()).read_bytes()

    total, contacts_column, people_column = words("計"), words("延人員"), words("実人員")
    channels_title, channels_sheet = words("相談方法別 実人員・延人員"), words("相談方法別")
    new_title, new_sheet, new_label = (
        words("新規・継続別 実人員"),
        words("新規・継続別"),
        words("新規"),
    )
    assert csv_cell(body, channels_title, total, contacts_column) == contacts
    assert xlsx_cell(workbook, channels_sheet, total, contacts_column) == contacts
    assert csv_cell(body, new_title, new_label, people_column) == new_cases
    assert xlsx_cell(workbook, new_sheet, new_label, people_column) == new_cases

    checked.finish(page)
