"""The printed case record in Chromium: a counsellor and a staff member each choose the sections
on the real page, open the print page and save it as an A4 PDF (what "print to PDF" makes);
the PDF's text holds what the role may see and nothing else, every page ends with the footer
(the centre, the printing user), and a long contact log runs over several pages.

The PDF's text is read with pypdf and normalised (NFKC): the CJK font maps some kanji to their
compatibility forms (⼭ for 山), which NFKC folds back."""

from __future__ import annotations

import datetime as dt
import io
import unicodedata
from typing import Any

import pytest
from django.utils import timezone
from pypdf import PdfReader

from accounts.models import Centre, User
from cases import instruments, services
from cases.models import CaseSensitiveInfo
from tests.e2e.browser import in_thread, log_in
from tests.e2e.checks import axe_violations, vnu_errors
from tests.factories import bulk_contacts, client_for, make_case, make_member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DIAGNOSIS = "うつ病の診断あり"
HEALTH_NOTE = "膝の手術後で通院中"
PLAN_GOAL = "週1回外出する"
A4_POINTS = (595, 842)  # 210 × 297 mm


def pdf_pages(pdf: bytes) -> list[str]:
    reader = PdfReader(io.BytesIO(pdf))
    for page in reader.pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert (round(width), round(height)) == A4_POINTS
    return [unicodedata.normalize("NFKC", page.extract_text()) for page in reader.pages]


def flat(text: str) -> str:
    """Without line breaks and spaces (a long phrase may wrap in the PDF), in NFKC as the
    PDF's text is (a full-width colon read back as ":")."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def checked(page: Any, documents: dict[str, str], name: str) -> None:
    """The page as it is now: no serious accessibility violation; its HTML kept for the Nu
    checker (one Java run for all of them, at the end)."""
    assert axe_violations(page) == [], name
    documents[name] = page.content()


def printed(
    page: Any, case_pk: int, *, tick: tuple[str, ...] = (), documents: dict[str, str]
) -> list[str]:
    """Choose the sections on the real page (the defaults, plus `tick`), open the print
    page, and print it to an A4 PDF: the text of each page."""
    page.goto(f"/records/case-record/{case_pk}/")
    checked(page, documents, f"choose {tick}")
    for section in tick:
        page.check(f"input[name=sections][value={section}]")
    with page.expect_navigation():
        page.click("[data-testid=open-print-page]")
    assert "/print/" in page.url
    assert page.locator("[data-testid=print-button]").is_visible()
    checked(page, documents, f"print {tick}")
    return pdf_pages(page.pdf(format="A4", prefer_css_page_size=True))


@pytest.fixture
def case(centre_a: Centre, alice: User) -> Any:
    case = make_case(centre_a, alice, primary_counsellor=alice, person_aware="no")
    CaseSensitiveInfo.objects.filter(case=case).update(conditions=DIAGNOSIS)
    services.plan_save(
        case=case, by=alice, fields={"goals": PLAN_GOAL, "review_on": timezone.localdate()}
    )
    services.assessment_record(
        case=case,
        by=alice,
        instrument=instruments.GAF,
        answers=[37],
        assessed_on=timezone.localdate() - dt.timedelta(days=3),
    )
    make_member(case, alice, health_notes=HEALTH_NOTE)
    bulk_contacts(case, alice, 60)  # a long log: several A4 pages
    return case


def test_a_counsellor_prints_the_sensitive_sections_chosen(
    open_page: Any, centre_a: Centre, alice: User, case: Any
) -> None:
    page = open_page()
    log_in(page, alice)
    documents: dict[str, str] = {}
    pages = printed(
        page, case.pk, tick=("sensitive", "assessments", "family_health"), documents=documents
    )
    text = flat("".join(pages))
    assert "ケース記録票" in text and case.case_number in text and "山田太郎" in text
    assert flat("注意：本人は家族が相談していることを知りません。") in text
    assert DIAGNOSIS in text and HEALTH_NOTE in text
    assert "GAF" in text and "37" in text
    assert PLAN_GOAL in text and "記録001" in text and "記録060" in text
    assert "令和" in text
    assert len(pages) >= 2
    for page_text in pages:  # the footer at the foot of every page
        assert flat(f"{case.case_number}{centre_a.name}印刷：{alice}") in flat(page_text)
    assert page.console.violations == [] and page.console.errors == []
    assert vnu_errors(documents) == {}


def test_staff_print_no_sensitive_data_and_cannot_choose_it(
    open_page: Any, centre_a: Centre, bob: User, case: Any
) -> None:
    page = open_page()
    log_in(page, bob)
    page.goto(f"/records/case-record/{case.pk}/")
    for section in ("sensitive", "assessments", "family_health", "contingency"):
        assert page.locator(f"input[name=sections][value={section}]").count() == 0
    pages = printed(page, case.pk, documents={})
    text = flat("".join(pages))
    assert case.case_number in text and PLAN_GOAL in text and "記録060" in text
    assert flat("注意：本人は家族が相談していることを知りません。") in text
    assert DIAGNOSIS not in text and HEALTH_NOTE not in text
    assert "GAF" not in text and "アセスメント" not in text
    for page_text in pages:
        assert flat(f"{case.case_number}{centre_a.name}印刷：{bob}") in flat(page_text)

    # Asked for by hand, a sensitive section is refused: nothing of it reaches the page.
    today = timezone.localdate().isoformat()
    response = page.goto(
        f"/records/case-record/{case.pk}/print/?sections=sensitive&since={today}&until={today}"
    )
    assert response.status == 400
    assert DIAGNOSIS not in page.content()
    assert page.console.violations == []


def test_a_manager_exports_the_centres_cases_from_the_page(
    open_page: Any, live_server: Any, centre_a: Centre, mallory: User, case: Any
) -> None:
    """Signed in with the second factor (the session of client_for), from the menu to a
    downloaded CSV that names the case, in Japanese, and no sensitive column."""
    session = in_thread(lambda: client_for(mallory).cookies["sessionid"].value)
    page = open_page()
    page.context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])
    page.goto("/")
    page.click("[data-testid=nav-export]")
    assert axe_violations(page) == []
    assert vnu_errors({"export": page.content()}) == {}
    with page.expect_download() as download:
        page.click("[data-testid=export-form] button[type=submit]")
    assert download.value.suggested_filename.startswith(f"records-cases-centre{centre_a.pk}-")
    content = open(download.value.path(), encoding="utf-8-sig").read()  # noqa: SIM115
    assert content.startswith("ケース番号,姓,名,")
    assert case.case_number in content and "山田" in content and DIAGNOSIS not in content
    assert page.console.violations == [] and page.console.errors == []
