"""static/js/bar-charts.js draws every bar chart of the app from its json_script island: the
case page's ibasho visits (and the managers' dashboard's trends, drawn by the same file, are
checked with their tables in tests/dashboards). A chart whose script failed would leave an
empty box with no error on the page: this test looks for the canvas itself."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import Centre, User
from outreach import services
from tests.e2e.browser import in_thread, log_in
from tests.factories import make_case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_ibasho_panel_draws_its_bar_chart(open_page: Any, centre_a: Centre, alice: User):
    case = make_case(centre_a, alice, primary_counsellor=alice)
    arrived_at = timezone.now() - dt.timedelta(days=3)
    session = services.session_create(
        centre=centre_a,
        by=alice,
        fields={
            "place": "フリースペース",
            "starts_at": arrived_at - dt.timedelta(minutes=10),
            "ends_at": arrived_at + dt.timedelta(minutes=50),
        },
        staff=[],
    )
    services.check_in_case(session=session, case=case, by=alice, at=arrived_at)

    page = open_page()
    log_in(page, alice)
    page.goto(f"/cases/{case.pk}/")
    chart = page.locator("[data-testid=ibasho-trend-chart] canvas")
    chart.wait_for()
    assert chart.get_attribute("aria-hidden") == "true"  # the table beside it is read instead
    drawn = page.evaluate("() => Object.values(Chart.instances).map(c => c.data.datasets[0].data)")
    island = page.evaluate(
        "() => JSON.parse(document.getElementById('ibasho-trend-data').textContent)"
    )
    # The island's twelve months, drawn as they are: one visit in all (this month or the
    # last, by the Tokyo date of three days ago).
    assert drawn == [island["datasets"][0]["values"]]
    assert len(drawn[0]) == 12 and sum(drawn[0]) == 1 and drawn[0][-2:] in ([0, 1], [1, 0])
    assert in_thread(lambda: case.ibasho_attendances.count()) == 1
    assert page.console.violations == [] and page.console.errors == []
