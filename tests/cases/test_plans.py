"""Support plans and their milestones."""

import pytest
from django.urls import reverse

from cases.models import SupportPlan

pytestmark = pytest.mark.django_db


def test_plan_with_milestones_and_stale_plan_edit(as_alice, as_mallory, case, plan):
    data = {"goals": "新しい目標", "review_on": "2027-01-10", "version": "1"}
    url = reverse("cases:plan_edit", args=[case.pk, plan.pk])
    assert as_mallory.post(url, data).status_code == 302
    response = as_alice.post(url, {**data, "goals": "古い画面からの目標"})
    assert response.status_code == 409
    assert SupportPlan.objects.get(pk=plan.pk).goals == "新しい目標"


def test_editing_a_plan_never_overwrites_a_newer_plan(as_alice, as_mallory, case, plan):
    """Alice opened plan 1; meanwhile Mallory started plan 2. Alice's save stays on plan 1."""
    as_mallory.post(
        reverse("cases:plan_new", args=[case.pk]),
        {"goals": "新しい計画", "review_on": "2027-02-01"},
    )
    newer = case.plans.exclude(pk=plan.pk).get()
    as_alice.post(
        reverse("cases:plan_edit", args=[case.pk, plan.pk]),
        {"goals": "計画1の修正", "review_on": "2027-01-10", "version": "1"},
    )
    assert SupportPlan.objects.get(pk=plan.pk).goals == "計画1の修正"
    assert SupportPlan.objects.get(pk=newer.pk).goals == "新しい計画"
