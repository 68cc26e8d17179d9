"""Health data behind its own permission (issue 15): assessment scores, the above-cut-off badge
and the self-harm flag go to casework roles (case.view_health). Staff see that an assessment
exists (instrument and date) and, only where the centre allows, that a risk is recorded; the
case list never shows them health data. One test per place that shows it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts import access
from accounts.models import Role
from cases import instruments, services
from records import case_record
from tests.factories import make_case, make_visit

pytestmark = pytest.mark.django_db

SELF_HARM = "自傷・自殺のおそれ"
RISK_RECORDED = "要配慮のリスクあり"
CUTOFF = "カットオフ以上"


@pytest.fixture
def case(centre_a, alice):
    case = make_case(centre_a, alice, primary_counsellor=alice, risk_self_harm=True)
    services.assessment_record(
        case=case,
        by=alice,
        instrument=instruments.UCLA3_HUGHES2004,  # cut-off 6
        answers=[3, 3, 3],
        assessed_on=dt.date(2026, 10, 1),
    )
    return case


def _page(client, case) -> str:
    return client.get(reverse("cases:detail", args=[case.pk])).content.decode()


def _allow_staff_to_see_the_flag(centre) -> None:
    centre.risk_flag_visible_to_staff = True
    centre.save(update_fields=["risk_flag_visible_to_staff"])


def test_the_permission_is_casework_only():
    assert access.PERMISSIONS["case.view_health"] == {Role.COUNSELLOR, Role.MANAGER}


def test_case_page_scores_and_badge_for_casework_only(case, as_alice, as_bob):
    counsellor, staff = _page(as_alice, case), _page(as_bob, case)
    assert CUTOFF in counsellor and 'id="trend-data"' in counsellor
    assert "合計 9" in counsellor and "<td>9</td>" in counsellor  # the timeline, the tab
    # Staff: the assessment exists (instrument, date), no score, no badge, no chart data.
    assert "UCLA" in staff and "2026年10月1日" in staff
    assert CUTOFF not in staff and 'id="trend-data"' not in staff
    assert "合計 9" not in staff and "<td>9</td>" not in staff
    assert 'data-testid="scores-withheld"' in staff


def test_the_timeline_after_a_quick_add_shows_no_score_to_staff(case, as_bob):
    response = as_bob.post(
        reverse("cases:contact_add", args=[case.pk]),
        {
            "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "duration_minutes": "10",
            "channel": "phone",
            "counterpart": "family",
            "two_way": "on",
        },
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert response.status_code == 200 and "kind-assessment" in body
    assert CUTOFF not in body and "合計 9" not in body


def test_case_page_self_harm_flag_for_staff_only_where_the_centre_allows(
    case, centre_a, as_alice, as_bob
):
    assert SELF_HARM in _page(as_alice, case)
    staff = _page(as_bob, case)
    assert SELF_HARM not in staff and RISK_RECORDED not in staff
    _allow_staff_to_see_the_flag(centre_a)
    staff = _page(as_bob, case)
    assert RISK_RECORDED in staff and SELF_HARM not in staff  # that it exists, not which


def test_the_case_list_never_shows_health_data_to_staff(case, centre_a, as_alice, as_bob):
    _allow_staff_to_see_the_flag(centre_a)  # even then
    url = reverse("cases:list")
    assert SELF_HARM in as_alice.get(url).content.decode()
    staff = as_bob.get(url).content.decode()
    assert SELF_HARM not in staff and RISK_RECORDED not in staff
    # Nor can staff filter by it (which would show it as well).
    other = make_case(centre_a, case.primary_counsellor)
    rows = as_bob.get(url, {"risk": "self_harm"}).context["rows"]
    assert {row.case.pk for row in rows} == {case.pk, other.pk}
    rows = as_alice.get(url, {"risk": "self_harm"}).context["rows"]
    assert {row.case.pk for row in rows} == {case.pk}


def test_the_visit_briefing_shows_staff_the_flag_only_where_the_centre_allows(
    case, centre_a, alice, bob, as_bob, as_alice
):
    visit = make_visit(case, alice, staff=[alice, bob])
    url = reverse("outreach:visit_briefing", args=[visit.pk])
    assert SELF_HARM in as_alice.get(url).content.decode()
    staff = as_bob.get(url).content.decode()
    assert SELF_HARM not in staff and RISK_RECORDED not in staff
    _allow_staff_to_see_the_flag(centre_a)
    assert RISK_RECORDED in as_bob.get(url).content.decode()
    detail = as_bob.get(reverse("outreach:visit_detail", args=[visit.pk])).content.decode()
    assert SELF_HARM not in detail


def test_the_print_agrees_with_the_page(case, bob, alice, as_bob):
    assert case_record.ASSESSMENTS not in {s.key for s in case_record.sections_for(bob, case)}
    assert case_record.ASSESSMENTS in {s.key for s in case_record.sections_for(alice, case)}
    response = as_bob.get(
        reverse("records:case_record_print", args=[case.pk]),
        {"sections": [case_record.FACTS], "since": "2026-01-01", "until": "2026-11-30"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="risk-flags"' in body and SELF_HARM not in body


def test_every_role_that_exports_a_centre_sees_its_health_and_sensitive_data():
    """records.exports writes the self-harm column and the 要配慮 columns without a per-case
    check: that holds only while exporting stays with the centre's managers."""
    exporters = access.PERMISSIONS["records.export"]
    assert exporters <= access.PERMISSIONS["case.view_health"]
    assert exporters <= access.PERMISSIONS["case.view_sensitive"]
    assert exporters == {Role.MANAGER}  # cases.access: a manager sees every case's of the centre
