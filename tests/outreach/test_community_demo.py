"""The demo's community work (`seed_demo_community`): a lecture last month, a training and a
network meeting this month, and a support conference this month that discussed two of the
centre's open cases (on their timelines); running it again changes nothing."""

from __future__ import annotations

import datetime as dt
import os

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from accounts.models import AuditEvent, Centre
from cases import selectors
from cases.choices import CaseStatus
from dashboards.statistics import TOKYO, Period, statistics_report
from outreach.demo import seed_demo_community
from outreach.models import ActivityKind, CommunityActivity, DiscussedCase
from tests.factories import make_case

pytestmark = pytest.mark.django_db


def test_seed_demo_community_on_the_demo_data_and_idempotent():
    with open(os.devnull, "w") as quiet:
        call_command("seed_demo", "--i-know-this-is-not-production", stdout=quiet)
    centre = Centre.objects.get(name="みなと市ひきこもり地域支援センター")
    # seed_demo made them (it calls seed_demo_community for every centre).
    assert CommunityActivity.objects.filter(centre=centre).count() == 4
    activities = CommunityActivity.objects.filter(centre=centre)
    today = timezone.localdate()
    this_month, last_month = today.replace(day=1), (today.replace(day=1) - dt.timedelta(days=1))
    assert {(a.kind, (a.held_on.year, a.held_on.month)) for a in activities} == {
        (ActivityKind.LECTURE, (last_month.year, last_month.month)),
        (ActivityKind.TRAINING, (this_month.year, this_month.month)),
        (ActivityKind.NETWORK_MEETING, (this_month.year, this_month.month)),
        (ActivityKind.SUPPORT_MEETING, (this_month.year, this_month.month)),
    }
    assert all(a.held_on <= today and a.staff.exists() for a in activities)
    links = DiscussedCase.objects.filter(activity__centre=centre).select_related("case")
    assert len(links) == 2
    assert all(link.case.centre_id == centre.pk for link in links)
    assert all(link.case.status == CaseStatus.OPEN for link in links)
    for link in links:
        kinds = [item.kind for item in selectors.case_timeline(link.case)]
        assert "meeting" in kinds
    events = AuditEvent.objects.count()
    assert seed_demo_community(centre=centre) == 0  # idempotent
    assert CommunityActivity.objects.filter(centre=centre).count() == 4
    assert AuditEvent.objects.count() == events
    report = statistics_report([centre], Period.month(this_month.year, this_month.month))
    assert report.table("community").value("total", "events") == 3
    assert report.table("community").value("total", "cases") == 2


def test_seed_demo_community_on_the_first_of_a_month(centre_a, alice, bob, mallory):
    with time_machine.travel(dt.datetime(2026, 5, 1, 9, 0, tzinfo=TOKYO), tick=False):
        cases = [make_case(centre_a, alice) for _ in range(3)]
        assert seed_demo_community(centre=centre_a) == 4
        days = set(CommunityActivity.objects.values_list("held_on", flat=True))
        assert days == {dt.date(2026, 4, 15), dt.date(2026, 5, 1)}
        linked = set(DiscussedCase.objects.values_list("case", flat=True))
        assert linked == {cases[0].pk, cases[1].pk}
