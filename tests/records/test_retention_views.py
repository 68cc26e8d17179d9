"""The disposal log page and its CSV (managers of the centre only; another centre's lines
never shown; a fixed number of queries however long the log), and the legal hold on the
case page (managers set and lift it; an outsider gets a 404, a counsellor a 403)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEvent, Centre, Role, User
from cases.models import Case, DisposalRecord
from records import retention
from tests.factories import UserFactory, client_for, make_case
from tests.records.retention_data import NOW, jst

pytestmark = pytest.mark.django_db

# The session, the user, their second factor, their centres, the unread badge, the count and
# the page of the log with its centres and users joined.
LOG_PAGE_QUERIES = 7


@pytest.fixture(autouse=True)
def frozen_now() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def dispose_old_cases(centre: Centre, by: User, n: int) -> list[Case]:
    from cases import services

    cases = []
    for _ in range(n):
        case = make_case(centre, by, first_contact_date=dt.date(2015, 4, 1))
        with time_machine.travel(jst(2020, 1, 1), tick=False):
            services.case_change_status(
                case=case, by=by, to_status="closed", closure_reason="moved"
            )
        cases.append(case)
    retention.purge_expired(now=NOW)
    return cases


def test_log_lists_own_centre_lines_without_names(
    as_mallory: Client, centre_a: Centre, centre_b: Centre, alice: User, charlie: User
) -> None:
    (mine,) = dispose_old_cases(centre_a, alice, 1)
    (theirs,) = dispose_old_cases(centre_b, charlie, 1)
    response = as_mallory.get(reverse("records:disposal_log"))
    assert response.status_code == 200
    html = response.content.decode()
    assert mine.case_number in html and "retention_years=5" in html
    assert theirs.case_number not in html and "山田" not in html
    assert 'data-testid="nav-disposal-log"' in html


def test_log_refused_to_counsellors_and_staff(as_alice: Client, as_bob: Client) -> None:
    for client in (as_alice, as_bob):
        assert client.get(reverse("records:disposal_log")).status_code == 403
        assert client.get(reverse("records:disposal_log_csv")).status_code == 403


def test_csv_is_excel_ready_own_centre_only_and_audited(
    as_mallory: Client,
    centre_a: Centre,
    centre_b: Centre,
    alice: User,
    charlie: User,
    mallory: User,
) -> None:
    mine = dispose_old_cases(centre_a, alice, 2)
    (theirs,) = dispose_old_cases(centre_b, charlie, 1)
    response = as_mallory.get(reverse("records:disposal_log_csv"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    lines = body.strip().splitlines()
    assert len(lines) == 3  # the header and two cases
    assert all(case.case_number in body for case in mine) and theirs.case_number not in body
    assert "山田" not in body
    event = AuditEvent.objects.get(user=mallory, action="export")
    assert event.centre_id == centre_a.pk and "rows:2" in event.changed_fields


@pytest.mark.parametrize("n", [1, 20])
def test_log_page_queries_do_not_grow(
    n: int, mallory: User, centre_a: Centre, alice: User, django_assert_num_queries: Any
) -> None:
    dispose_old_cases(centre_a, alice, n)
    client = client_for(mallory)
    with django_assert_num_queries(LOG_PAGE_QUERIES):
        assert client.get(reverse("records:disposal_log")).status_code == 200
    assert DisposalRecord.objects.count() == n


def closed(centre: Centre, by: User) -> Case:
    from cases import services

    case = make_case(centre, by)
    services.case_change_status(case=case, by=by, to_status="closed", closure_reason="moved")
    case.refresh_from_db()
    return case


def test_manager_sets_and_lifts_a_legal_hold(
    as_mallory: Client, centre_a: Centre, alice: User, mallory: User
) -> None:
    case = closed(centre_a, alice)
    page = as_mallory.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert 'data-testid="legal-hold-link"' in page
    url = reverse("cases:legal_hold", args=[case.pk])
    response = as_mallory.post(
        url, {"hold": "on", "reason": "訴訟の可能性", "version": case.version}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.legal_hold, case.legal_hold_by, case.legal_hold_reason) == (
        True,
        mallory,
        "訴訟の可能性",
    )
    page = as_mallory.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert 'data-testid="legal-hold"' in page
    assert AuditEvent.objects.filter(case_id=case.pk, user=mallory, action="change").exists()
    as_mallory.post(url, {"reason": "", "version": case.version})
    case.refresh_from_db()
    assert not case.legal_hold


def test_hold_without_reason_keeps_the_input_with_a_message(
    as_mallory: Client, centre_a: Centre, alice: User
) -> None:
    case = closed(centre_a, alice)
    url = reverse("cases:legal_hold", args=[case.pk])
    response = as_mallory.post(url, {"hold": "on", "version": case.version})
    assert response.status_code == 200
    assert "保全の理由を入力してください。" in response.content.decode()
    case.refresh_from_db()
    assert not case.legal_hold


def test_legal_hold_refused_to_counsellor_and_hidden_from_other_centre(
    as_alice: Client, as_charlie: Client, centre_a: Centre, alice: User
) -> None:
    case = closed(centre_a, alice)
    url = reverse("cases:legal_hold", args=[case.pk])
    assert as_alice.post(url, {"hold": "on", "reason": "x"}).status_code == 403
    assert as_charlie.post(url, {"hold": "on", "reason": "x"}).status_code == 404
    case.refresh_from_db()
    assert not case.legal_hold
    page = as_alice.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "legal-hold-link" not in page


def test_disposed_case_page_says_so(as_mallory: Client, centre_a: Centre, alice: User) -> None:
    (case,) = dispose_old_cases(centre_a, alice, 1)
    page = as_mallory.get(reverse("cases:detail", args=[case.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="case-disposed"' in html and "山田" not in html


def test_other_centre_manager_sees_none_of_a(
    centre_b: Centre, centre_a: Centre, alice: User
) -> None:
    dispose_old_cases(centre_a, alice, 1)
    manager_b = UserFactory(role=Role.MANAGER, centre=centre_b)
    html = client_for(manager_b).get(reverse("records:disposal_log")).content.decode()
    assert "K-0001" not in html
