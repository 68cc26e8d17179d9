"""Support plans and their milestones."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import services
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


def test_the_case_keeps_its_current_plan_s_review_date(as_alice, as_mallory, case, plan):
    """`Case.current_plan_review_on` is the newest plan's review date, whichever plan is
    edited (what "plan review overdue" counts on the dashboard and the case list)."""

    def current() -> dt.date | None:
        case.refresh_from_db()
        return case.current_plan_review_on

    assert current() == plan.review_on
    as_mallory.post(
        reverse("cases:plan_new", args=[case.pk]),
        {"goals": "新しい計画", "review_on": "2027-02-01"},
    )
    newer = case.plans.exclude(pk=plan.pk).get()
    assert current() == dt.date(2027, 2, 1)
    # An older plan's new date is not the case's: the newest plan is the current one.
    as_alice.post(
        reverse("cases:plan_edit", args=[case.pk, plan.pk]),
        {"goals": "計画1の修正", "review_on": "2026-12-01", "version": "1"},
    )
    assert current() == dt.date(2027, 2, 1)
    as_alice.post(
        reverse("cases:plan_edit", args=[case.pk, newer.pk]),
        {"goals": "新しい計画", "review_on": "2026-12-24", "version": "1"},
    )
    assert current() == dt.date(2026, 12, 24)


def test_the_overdue_filter_agrees_with_the_newest_plan(as_alice, case, plan, alice):
    """The case list's "plan review overdue" reads the column: a case whose newest plan is
    overdue is listed, one whose older plan was overdue but whose newest is not is not."""
    services.plan_save(
        plan=plan,
        case=case,
        by=alice,
        fields={"review_on": timezone.localdate() - dt.timedelta(days=1)},
        expected_version=plan.version,
    )
    listed = as_alice.get(reverse("cases:list"), {"plan_review": "overdue"}).context["page"]
    assert [c.pk for c in listed] == [case.pk]
    services.plan_save(
        case=case,
        by=alice,
        fields={"goals": "次の計画", "review_on": timezone.localdate() + dt.timedelta(days=60)},
    )
    listed = as_alice.get(reverse("cases:list"), {"plan_review": "overdue"}).context["page"]
    assert list(listed) == []
