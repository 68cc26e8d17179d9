"""Issue 17, the counsellor's day in a real browser, in Japanese: alice signs in and lands on
"my day", finds her case, plans a home visit (a day inside the centre's notice period refused
with the earliest allowed day shown), announces it; on the visit's day "my day" asks her to
read the briefing, she acknowledges it; on a 375 × 812 phone she checks in and out, writes
the outcome and finds it on the case's timeline; her private calendar feed parses and holds
the visit. (tests/e2e/test_visit_journey.py checks the phone layout of each step in detail;
this journey checks every page it passes through with axe-core and the Nu HTML checker, with
no console error and no CSP refusal, and saves the screenshots when SAVE_SCREENSHOTS=1.)"""

from __future__ import annotations

import datetime as dt
import re
import urllib.parse
from typing import Any

import pytest
from django.utils import timezone
from icalendar import Calendar

from accounts.models import Centre, Role, User
from cases.choices import Channel, ContactSource
from cases.models import ContactEntry
from outreach import services
from outreach.demo import visit_moved_in_time
from outreach.models import HomeVisit, VisitOutcome, VisitStatus
from tests.e2e.browser import DESKTOP, Checked, in_thread, screenshot, second_tab
from tests.e2e.test_visit_journey import day_label
from tests.factories import PASSWORD, UserFactory, make_case, record_contact

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 812}
PURPOSE = "近況をうかがい、居場所を紹介する"
REPORT = "玄関先で10分ほど話せた。居場所のちらしを受け取ってくれた。"


def moved_to_start_now(visit_pk: int) -> None:
    """The visit's day has come: it (and its announcement) moved to start a few minutes ago,
    on the minute, as entered through the forms."""
    visit = HomeVisit.objects.select_related("centre").get(pk=visit_pk)
    start = (timezone.now() - dt.timedelta(minutes=5)).replace(second=0, microsecond=0)
    visit_moved_in_time(visit, to=start)


def test_counsellor_plans_briefs_makes_and_records_a_home_visit(
    open_page: Any, live_server: Any, centre_a: Centre, alice: User
) -> None:
    sato = UserFactory(
        username="sato", display_name="佐藤 健", role=Role.COUNSELLOR, centre=centre_a
    )
    case = make_case(
        centre_a,
        alice,
        family_name="森山",
        given_name="陽太",
        family_name_kana="もりやま",
        given_name_kana="ようた",
        municipality="杉並区",
        risk_violence=True,
        primary_counsellor=alice,
    )
    record_contact(case, alice, at=timezone.now() - dt.timedelta(days=20))
    today = timezone.localdate()
    earliest = today + dt.timedelta(days=centre_a.visit_notice_days)
    checked = Checked()
    page = open_page(viewport=DESKTOP)

    # --- signs in, and the day starts on "my day" -------------------------------------------
    checked.goto(page, "/accounts/login/", "login")
    page.fill("#id_username", alice.username)
    page.fill("#id_password", PASSWORD)
    checked.follow(page, "my day", page.get_by_role("button", name="ログイン", exact=True).click)
    assert page.url.endswith("/dashboards/my-day/")
    assert "今日の訪問はありません。" in page.inner_text("[data-testid=my-visits-today]")

    # --- to the case, and a visit planned: too soon refused, then a day after the notice ----
    checked.follow(page, "case list", page.get_by_role("link", name="ケース一覧").click)
    checked.follow(page, "case", page.get_by_role("link", name=case.case_number).first.click)
    assert page.url.endswith(f"/cases/{case.pk}/")
    checked.follow(page, "visit plan", page.locator("[data-testid=visit-plan-button]").click)
    assert day_label(earliest) in page.inner_text("[data-testid=earliest-day]")

    too_soon = (today + dt.timedelta(days=2)).isoformat() + "T10:00"
    page.fill("#id_starts_at", too_soon)
    page.fill("#id_ends_at", "11:00")
    page.fill("#id_purpose", PURPOSE)
    page.get_by_label("佐藤 健").check()
    checked.follow(page, "visit plan (refused)", page.get_by_role("button", name="計画する").click)
    assert f"訪問は{day_label(earliest)}以降にしてください" in page.inner_text(
        "[data-testid=visit-plan-form]"
    )
    assert page.input_value("#id_starts_at") == too_soon
    assert page.input_value("#id_purpose") == PURPOSE
    assert in_thread(lambda: HomeVisit.objects.count()) == 0

    visit_day = earliest + dt.timedelta(days=1)  # one spare, should the test cross midnight
    page.fill("#id_starts_at", visit_day.isoformat() + "T10:00")
    checked.follow(page, "visit", page.get_by_role("button", name="計画する").click)
    assert re.search(r"/outreach/visits/\d+/$", page.url), page.url
    visit_pk = int(page.url.rstrip("/").rsplit("/", 1)[-1])
    assert in_thread(lambda: HomeVisit.objects.get().status) == VisitStatus.PLANNED

    # --- announced by phone, agreed -----------------------------------------------------------
    announce = page.locator("[data-testid=announce-form]")
    announce.get_by_label("電話").check()
    announce.get_by_label("了承").check()
    checked.follow(page, "visit (announced)", announce.get_by_role("button", name="記録する").click)
    assert page.get_attribute("[data-testid=check-confirmed]", "data-ok") == "1"
    assert in_thread(lambda: HomeVisit.objects.get().status) == VisitStatus.CONFIRMED

    # --- the visit's day: "my day" shows it, and the briefing still to read ------------------
    in_thread(lambda: moved_to_start_now(visit_pk))
    checked.goto(page, "/dashboards/my-day/", "my day (visit day)")
    today_row = page.locator(f"[data-testid=my-visits-today] [data-visit='{visit_pk}']")
    assert today_row.count() == 1 and "ブリーフィング未確認" in today_row.inner_text()
    screenshot(page, "my-day")
    briefing = page.locator(f"[data-testid=my-briefings] [data-visit='{visit_pk}'] a")
    checked.follow(page, "visit briefing", briefing.click)
    assert "家庭内暴力" in page.inner_text("[data-testid=briefing-risks]")
    assert PURPOSE in page.inner_text("[data-testid=briefing-purpose]")
    screenshot(page, "visit-briefing")
    checked.follow(
        page, "visit briefing (acknowledged)", page.locator("[data-testid=acknowledge]").click
    )
    assert page.get_attribute(f"[data-testid=ack-{alice.pk}]", "data-state") == "done"
    in_thread(
        lambda: services.briefing_acknowledge(visit=HomeVisit.objects.get(pk=visit_pk), by=sato)
    )

    # --- on the doorstep, on the phone: one tap in, one tap out, the outcome -----------------
    phone = second_tab(page, viewport=PHONE, has_touch=True, is_mobile=True)
    checked.goto(phone, f"/outreach/visits/{visit_pk}/", "visit (phone)")
    assert phone.get_attribute("[data-testid=next-action]", "data-next") == "check_in"
    checked.follow(phone, "visit (checked in)", phone.locator("[data-testid=check-in]").tap)
    assert phone.locator("[data-testid=checked-in]").count() == 1
    checked.follow(phone, "visit (checked out)", phone.locator("[data-testid=check-out]").tap)
    assert phone.locator("[data-testid=checked-out]").count() == 1
    outcome = phone.locator("[data-testid=outcome-form]")
    outcome.get_by_label("本人と会えた").check()
    outcome.get_by_label("訪問記録").fill(REPORT)
    checked.follow(
        phone, "visit (outcome)", outcome.get_by_role("button", name="結果を記録する").tap
    )
    assert phone.inner_text("[data-testid=visit-outcome]") == "本人と会えた"
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    def recorded() -> dict[str, Any]:
        visit = HomeVisit.objects.get(pk=visit_pk)
        contact = ContactEntry.objects.get(case=case, source=ContactSource.HOME_VISIT)
        return {
            "status": visit.status,
            "outcome": visit.outcome,
            "in_out": (visit.checked_in_by_id, visit.checked_out_by_id),
            "contact": (contact.pk == visit.contact_id, contact.channel, contact.two_way),
        }

    assert in_thread(recorded) == {
        "status": VisitStatus.DONE,
        "outcome": VisitOutcome.MET_PERSON,
        "in_out": (alice.pk, alice.pk),
        "contact": (True, Channel.HOME_VISIT, True),
    }

    # --- the case's timeline has the visit ----------------------------------------------------
    checked.follow(phone, "case (phone)", phone.locator("[data-testid=visit-case]").tap)
    entry = phone.locator("[data-testid=timeline] article.kind-contact", has_text="本人と会えた")
    assert entry.count() == 1 and REPORT in entry.inner_text()

    # --- the calendar feed: its address, fetched as a calendar app does, parses --------------
    checked.goto(page, "/outreach/calendar/feed/", "calendar feed")
    path = urllib.parse.urlsplit(page.input_value("[data-testid=feed-url]")).path
    calendar_app = page.context.browser.new_context(base_url=live_server.url)
    response = calendar_app.request.get(path)
    assert response.status == 200
    assert response.headers["content-type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.body())
    calendar_app.close()
    events = calendar.walk("VEVENT")
    assert [str(event["SUMMARY"]) for event in events] == [f"訪問 {case.case_number}"]
    start = events[0].decoded("DTSTART")
    visit_start = in_thread(lambda: HomeVisit.objects.get().starts_at)
    assert start == visit_start

    checked.finish(page, phone)
