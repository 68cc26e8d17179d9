"""The import pages in a real browser, as a manager uses them: upload a CP932 case book,
check the columns, read the dry run, confirm it. Every page passes axe-core (no serious or
critical violation) and the Nu HTML Checker, with no console error and no CSP violation; the
progress of a worker's run is polled with htmx and the page turns into the report by itself."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cases.models import Case
from records import services
from records.models import ImportJob, ImportStatus
from records.services import imports as import_services
from tests.e2e.browser import in_thread, wait_until
from tests.e2e.checks import axe_violations, vnu_errors
from tests.e2e.conftest import open_page  # noqa: F401 (the browser tests' fixture)
from tests.factories import client_for
from tests.records.fixtures import case_book, csv_bytes
from tests.records.import_helpers import alice_named_in_the_book  # noqa: F401 (a fixture)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("alice_named_in_the_book"),
]


@pytest.fixture
def new_page(request: Any) -> Any:
    """The browser tests' `open_page` (tests/e2e/conftest.py)."""
    return request.getfixturevalue("open_page")


def _signed_in(page: Any, live_server: Any, user: Any) -> None:
    cookie = in_thread(lambda: client_for(user).cookies["sessionid"].value)
    page.context.add_cookies([{"name": "sessionid", "value": cookie, "url": live_server.url}])


def test_a_manager_imports_a_case_book_in_the_browser(
    new_page: Any, live_server: Any, tmp_path: Path, centre_a: Any, mallory: Any, alice: Any
) -> None:
    book = tmp_path / "台帳.csv"
    book.write_bytes(csv_bytes(case_book()))
    page = new_page()
    _signed_in(page, live_server, mallory)
    documents: dict[str, str] = {}
    problems: list[str] = []

    def check(name: str) -> None:
        documents[name] = page.content()
        problems.extend(f"{name}: axe {v}" for v in axe_violations(page))

    page.goto("/records/import/")
    check("home")
    page.set_input_files("#id_file", str(book))
    page.get_by_role("button", name="アップロードして列を確かめる").click()
    page.wait_for_url("**/columns/")
    check("columns")
    page.get_by_role("button", name="確認する（まだ書き込みません）").click()
    page.wait_for_selector("[data-testid=import-report]")
    check("report")
    assert page.text_content("[data-count=planned_created]") == "6"
    assert page.text_content("[data-count=planned_invalid]") == "2"
    page.check("#id_skip_invalid")
    page.get_by_role("button", name="この確認の結果どおりに取り込む（8行）").click()
    page.wait_for_selector("[data-count=created]")
    check("result")
    assert page.text_content("[data-count=created]") == "6"
    assert in_thread(Case.objects.count) == 6

    problems += [f"console {e}" for e in page.console.errors]
    problems += [f"CSP {e}" for e in page.console.violations]
    for name, errors in vnu_errors(documents).items():
        problems += [f"{name}: html {error}" for error in errors]
    assert problems == [], "\n".join(problems)


def test_the_progress_bar_polls_and_the_page_turns_into_the_report(
    new_page: Any, live_server: Any, centre_a: Any, mallory: Any, alice: Any, monkeypatch: Any
) -> None:
    def a_job_left_for_a_worker() -> ImportJob:
        job = services.import_upload(
            centre=centre_a,
            by=mallory,
            shape="cases",
            file_name="台帳.csv",
            data=csv_bytes(case_book()),
            language="ja",
        )
        return services.import_set_mapping(
            job=job,
            by=mallory,
            sheet=job.sheet,
            header_row=job.header_row,
            columns={int(k): v for k, v in job.columns.items()},
        )

    job = in_thread(a_job_left_for_a_worker)
    in_thread(lambda: ImportJob.objects.filter(pk=job.pk).update(rows_total=8, rows_checked=3))
    page = new_page()
    _signed_in(page, live_server, mallory)
    page.goto(f"/records/import/{job.pk}/")
    assert page.get_attribute("progress", "value") == "3"
    in_thread(lambda: ImportJob.objects.filter(pk=job.pk).update(rows_checked=5))
    wait_until(page, "document.querySelector('progress')?.value === 5")
    # The worker's turn: the next poll finds the job checked and the page reloads.
    monkeypatch.setattr(import_services, "INLINE_MAX_BYTES", 0)
    assert in_thread(lambda: services.import_run(job_id=job.pk)) == ImportStatus.CHECKED
    page.wait_for_selector("[data-testid=import-report]", timeout=10_000)
    assert page.text_content("[data-count=planned_created]") == "6"
    assert page.console.errors == [] and page.console.violations == []
