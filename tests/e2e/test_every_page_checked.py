"""Every page of the seeded demo, as the role that uses it, in a real browser: 0 serious or
critical axe-core violations, 0 Nu HTML Checker errors, no console error and no CSP
violation (tests/e2e/checks.py). The journeys of issue 17 check the pages they pass through
the same way; this tour covers the pages one by one so that a page no journey reaches is
checked too.

The tour also takes the README's screenshots (docs/screenshots/, written only when
SAVE_SCREENSHOTS=1) of the demo's pages, as the role that uses each: the case page, a family
member of its household, "my day", a visit briefing, the dashboard and the statistics on a
desktop, and the ibasho check-in on a 768 px tablet (a touch screen)."""

from __future__ import annotations

import os
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import User
from cases.models import Case
from families.models import FamilyProgramme, HouseholdLink
from outreach.models import DiscussedCase, HomeVisit, IbashoSession
from records.models import ImportJob
from tests.e2e.browser import DESKTOP, count_checked, in_thread, screenshot, second_tab
from tests.e2e.checks import axe_violations, vnu_errors
from tests.factories import client_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _demo() -> dict[str, Any]:
    with open(os.devnull, "w") as quiet:
        call_command("seed_demo", "--i-know-this-is-not-production", stdout=quiet)
    users = {u.username: u for u in User.objects.all()}
    alice = users["alice"]
    case = (
        Case.objects.filter(primary_counsellor=alice, household_links__isnull=False)
        .filter(home_visits__isnull=False)
        .distinct()
        .order_by("id")
        .first()
    )
    assert case is not None
    visit = (
        HomeVisit.objects.filter(case__centre=case.centre, assignments__user=alice)
        .filter(starts_at__gte=timezone.now())
        .order_by("starts_at")
        .first()
    )
    link = HouseholdLink.objects.filter(case=case).order_by("id").first()
    session = (
        IbashoSession.objects.filter(centre=case.centre, starts_at__date=timezone.localdate())
        .order_by("starts_at")
        .first()
    )
    programme = FamilyProgramme.objects.filter(centre=case.centre).order_by("id").first()
    job = ImportJob.objects.filter(centre=case.centre).order_by("id").first()
    meeting = DiscussedCase.objects.filter(case__centre=case.centre).order_by("id").first()
    # The demo has all of these (tests/outreach/test_demo.py): a page of each is checked.
    assert visit and link and session and programme and meeting and job
    return {
        # Signed in as each (the second factor too, for the manager): the session cookie.
        "sessions": {
            name: client_for(users[name]).cookies["sessionid"].value
            for name in ("alice", "bob", "mallory")
        },
        "case": case.pk,
        "case_number": case.case_number,
        "visit": visit.pk,
        "member": link.member_id,
        "session": session.pk,
        "programme": programme.pk,
        "meeting": meeting.activity_id,
        "job": job.pk,
    }


def _pages(demo: dict[str, Any]) -> dict[str, list[str]]:
    case, visit, member = demo["case"], demo["visit"], demo["member"]
    session, programme, meeting = demo["session"], demo["programme"], demo["meeting"]
    return {
        "alice": [
            "/dashboards/my-day/",
            "/cases/",
            "/cases/intake/",
            f"/cases/{case}/",
            f"/cases/{case}/edit/",
            f"/cases/{case}/contacts/",
            f"/cases/{case}/assessments/add/",
            f"/cases/{case}/plans/new/",
            f"/families/cases/{case}/members/add/",
            f"/families/cases/{case}/members/{member}/",
            f"/outreach/visits/new/{case}/",
            f"/outreach/visits/{visit}/",
            f"/outreach/visits/{visit}/briefing/",
            "/outreach/calendar/",
            "/outreach/ibasho/",
            f"/outreach/ibasho/{session}/",
            "/outreach/ibasho/checkin/",
            "/outreach/ibasho/walk-ins/",
            "/families/programmes/",
            f"/families/programmes/{programme}/",
            "/outreach/community/",
            "/outreach/community/new/",
            f"/outreach/community/{meeting}/",
            f"/outreach/community/{meeting}/edit/",
            "/reminders/inbox/",
            "/accounts/preferences/",
            f"/records/case-record/{case}/",
            f"/records/case-record/{case}/print/",
        ],
        "bob": [
            "/cases/",
            f"/outreach/ibasho/checkin/{session}/",
            f"/records/case-record/{case}/",
            f"/records/case-record/{case}/print/",
        ],
        "mallory": [
            "/dashboards/centre/",
            "/dashboards/statistics/",
            "/dashboards/statistics/print/",
            "/dashboards/transfers/caseload/",
            f"/cases/{case}/audit/",
            "/reminders/escalations/",
            "/families/8050/",
            "/outreach/visits/safety/",
            "/records/export/",
            "/records/disposal-log/",
            "/accounts/security/",
            "/records/import/",
            f"/records/import/{demo['job']}/",
        ],
    }


TABLET = {"width": 768, "height": 1024}


def _screenshots(demo: dict[str, Any]) -> dict[tuple[str, str], str]:
    """The README's pictures: (user, page of the tour) -> docs/screenshots/<name>.png."""
    case, member, visit = demo["case"], demo["member"], demo["visit"]
    return {
        ("alice", "/dashboards/my-day/"): "my-day",
        ("alice", f"/cases/{case}/"): "case",
        ("alice", f"/families/cases/{case}/members/{member}/"): "household-member",
        ("alice", f"/outreach/visits/{visit}/briefing/"): "visit-briefing",
        ("mallory", "/dashboards/centre/"): "manager-dashboard",
        ("mallory", "/dashboards/statistics/"): "statistics",
    }


def _shows_the_demo(page: Any, name: str) -> None:
    """What makes each picture worth showing: the demo's data on it, not an empty page."""
    if name == "case":
        assert page.locator("[data-testid=household-panel] tbody tr").count() >= 2
        assert page.locator("[data-testid=timeline] article").count() >= 3
    elif name == "my-day":
        assert page.locator("[data-visit]").count() >= 1
    elif name == "manager-dashboard":
        assert int(page.get_attribute("[data-testid=n-open]", "data-count")) >= 10
    elif name == "statistics":
        total = page.locator("[data-testid=table-channels] tr[data-row=total] td").last
        assert int(total.inner_text()) >= 10


def test_every_page_is_accessible_and_valid(open_page: Any, live_server: Any) -> None:
    demo = in_thread(_demo)
    documents: dict[str, str] = {}
    problems: list[str] = []
    pictures = _screenshots(demo)
    axe_pages: list[str] = []

    def axe(tab: Any, name: str) -> None:
        axe_pages.append(name)
        problems.extend(f"{name}: axe {v}" for v in axe_violations(tab))

    page = open_page(viewport=DESKTOP)
    failed: list[str] = []  # any file the pages load (a script, a style, the icon) missing
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    response = page.goto("/accounts/login/")
    documents["login"] = response.text()
    axe(page, "login")

    for username, urls in _pages(demo).items():
        page.context.clear_cookies()
        cookie = {"name": "sessionid", "value": demo["sessions"][username]}
        page.context.add_cookies([{**cookie, "url": live_server.url}])
        for url in urls:
            response = page.goto(url)
            assert response is not None and response.status == 200, (username, url)
            documents[f"{username} {url}"] = response.text()
            axe(page, f"{username} {url}")
            picture = pictures.pop((username, url), None)
            if picture:
                _shows_the_demo(page, picture)
                screenshot(page, picture)
    assert pictures == {}, pictures  # every picture's page is on the tour

    # The ibasho's door on a tablet, as bob (staff): the demo's room, open now.
    tablet = second_tab(page, viewport=TABLET, has_touch=True)
    tablet.context.clear_cookies()
    cookie = {"name": "sessionid", "value": demo["sessions"]["bob"]}
    tablet.context.add_cookies([{**cookie, "url": live_server.url}])
    url = f"/outreach/ibasho/checkin/{demo['session']}/"
    response = tablet.goto(url)
    assert response is not None and response.status == 200
    documents[f"bob {url} (tablet)"] = response.text()
    axe(tablet, f"bob {url} (tablet)")
    # Two people in, as bob lets them in: a case found by its number, and a first-timer.
    tablet.fill("#checkin-q", demo["case_number"])
    result = tablet.locator("[data-testid=checkin-result]", has_text=demo["case_number"])
    result.locator("button[type=submit]").tap()
    tablet.locator("[data-testid=room-present]").first.wait_for()
    tablet.tap("#id_nickname")
    tablet.keyboard.type("そら")
    tablet.locator("[data-testid=walk-in-form] button[type=submit]").tap()
    tablet.locator("[data-testid=room-present]", has_text="そら").wait_for()
    assert tablet.locator("[data-testid=room-present]").count() == 2
    axe(tablet, f"bob {url} (tablet, two in)")
    assert tablet.evaluate("document.documentElement.scrollWidth") <= TABLET["width"]
    screenshot(tablet, "ibasho-checkin-tablet")
    problems += [f"loaded {f}" for f in failed]
    for tab in (page, tablet):
        problems += [f"console {e}" for e in tab.console.errors]
        problems += [f"CSP {e}" for e in tab.console.violations]

    count_checked(len(axe_pages), len(documents))
    for name, errors in vnu_errors(documents).items():
        problems += [f"{name}: html {error}" for error in errors]
    assert problems == [], "\n".join(problems)
