"""The reasons in `registry.NOT_EDIT_FORMS`, shown where they are least obvious: recording a
visit's outcome is a one-way step, so of two users recording it from the same page the
second is refused (the visit is done), their text still on the page, the first outcome
kept; never a second contact entry or an outcome written over the first."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cases.models import ContactEntry
from outreach.models import HomeVisit, VisitOutcome, VisitStatus
from tests.concurrency.html_forms import form_fields
from tests.concurrency.registry import World, visit_two_days_ago
from tests.factories import client_for

pytestmark = pytest.mark.django_db


def test_the_second_of_two_visit_outcomes_is_refused_and_keeps_its_text(
    centre_a, alice, bob, mallory
):
    visit = visit_two_days_ago(World(centre=centre_a, alice=alice, bob=bob, mallory=mallory))
    page = reverse("outreach:visit_detail", args=[visit.pk])
    action = reverse("outreach:visit_outcome", args=[visit.pk])
    first, second = client_for(alice), client_for(mallory)
    forms = [
        form_fields(client.get(page).content.decode(), action=action, page=page)
        for client in (first, second)
    ]

    recorded = first.post(
        action,
        {**forms[0], "outcome-outcome": VisitOutcome.MET_PERSON, "outcome-report": "玄関で五分"},
    )
    assert recorded.status_code == 302
    refused = second.post(
        action,
        {**forms[1], "outcome-outcome": VisitOutcome.NO_ANSWER, "outcome-report": "応答なし"},
    )

    body = refused.content.decode()
    assert "この訪問には結果を記録できません。" in body
    assert form_fields(body, action=action, page=page)["outcome-report"] == ["応答なし"]
    visit = HomeVisit.objects.get(pk=visit.pk)
    assert (visit.status, visit.outcome, visit.report) == (
        VisitStatus.DONE,
        VisitOutcome.MET_PERSON,
        "玄関で五分",
    )
    assert ContactEntry.objects.filter(case=visit.case, source="home_visit").count() == 1
