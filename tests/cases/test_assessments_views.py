"""The assessment form: scoring on save and refusing bad answers."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_assessment_is_scored_on_save(as_alice, case):
    url = reverse("cases:assessment_add", args=[case.pk]) + "?instrument=ucla3:jp-gov"
    response = as_alice.post(
        url, {"assessed_on": "2026-11-01", "item_1": "4", "item_2": "3", "item_3": "2"}
    )
    assert response.status_code == 302
    assessment = case.assessments.get()
    assert assessment.total_score == 9 and assessment.answers == [4, 3, 2]


def test_out_of_range_assessment_answer_is_rejected_and_input_kept(as_alice, case):
    url = reverse("cases:assessment_add", args=[case.pk]) + "?instrument=ucla3:hughes2004"
    response = as_alice.post(
        url, {"assessed_on": "2026-11-01", "item_1": "2", "item_2": "7", "item_3": "1"}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "項目2" in body and 'value="7"' in body
    assert not case.assessments.exists()


def test_huge_assessment_answer_is_a_clear_error_not_a_500(as_alice, case):
    url = reverse("cases:assessment_add", args=[case.pk]) + "?instrument=gaf:dsm-iv-tr"
    response = as_alice.post(url, {"assessed_on": "2026-11-01", "item_1": "9" * 5000})
    assert response.status_code == 200 and "項目1" in response.content.decode()
