"""A counsellor's home visit on a 375 px phone with a touch screen, in a real browser: planned
from the case page (a day inside the notice period refused with the earliest allowed day, the
input kept; then a day after it), announced and agreed, the briefing acknowledged by both who
go, checked in and out with one tap each, closed with its outcome and report, and found on the
case's timeline. Then the private calendar feed: fetched without signing in, it holds the
visit as "訪問 K-…" and nothing about the person.

The visit is announced today for a day a week ahead (the notice period); to check in, it is
then moved in time to start now, the way the demo dates its visits (direct updates)."""

from __future__ import annotations

import datetime as dt
import re
import urllib.parse
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone
from icalendar import Calendar

from accounts.models import Centre, Role, User
from cases.choices import Channel, ContactSource
from cases.models import Case, ContactEntry
from outreach import services
from outreach.demo import visit_moved_in_time
from outreach.models import (
    HomeVisit,
    VisitOutcome,
    VisitStatus,
)
from tests.e2e.browser import in_thread, log_in
from tests.factories import UserFactory, make_case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 740}
PURPOSE = "近況をうかがい、居場所を紹介する"
REPORT = "玄関先で15分ほど話せた。次回は居場所の見学に誘う。"


def day_label(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def no_sideways_scroll(page: Any) -> None:
    """Nothing wider than the phone, and the page not zoomed out to fit something wider."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url}: {width} px wide"
    assert page.evaluate("window.visualViewport.scale") == 1


def one_tap_button(page: Any, testid: str) -> Any:
    """The check-in/out button: a 44 px target, on the first screen, inside the phone's
    width (no zooming or scrolling sideways to reach it)."""
    button = page.locator(f"[data-testid={testid}]")
    box = button.bounding_box()
    assert box is not None
    assert box["height"] >= 44
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"]
    return button


def tap_and_load(page: Any, target: Any) -> None:
    """Tap a submit button or link and wait for the page it leads to (the same address, when
    a refused form comes back)."""
    with page.expect_navigation():
        target.tap()


def moved_to_start_now(visit_pk: int) -> None:
    """As if the announcement (made today, a week ahead) had been made a week ago: the visit
    and everything about it moved together so that it starts now (the demo's own shift)."""
    visit = HomeVisit.objects.select_related("centre").get(pk=visit_pk)
    visit_moved_in_time(visit, to=timezone.now() - dt.timedelta(minutes=5))


def test_a_home_visit_from_plan_to_report_on_a_phone_and_in_the_calendar_feed(
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
        address_line="阿佐谷北9-9-9 ひまわり荘201",
        risk_violence=True,
        primary_counsellor=alice,
    )
    today = timezone.localdate()
    earliest = today + dt.timedelta(days=centre_a.visit_notice_days)

    page = open_page(viewport=PHONE, has_touch=True, is_mobile=True, device_scale_factor=2)
    log_in(page, alice)

    # --- planned from the case page ----------------------------------------------------------
    page.goto(f"/cases/{case.pk}/")
    page.locator("[data-testid=visit-plan-button]").tap()
    page.wait_for_url(re.compile(rf"/outreach/visits/new/{case.pk}/$"))
    assert day_label(earliest) in page.inner_text("[data-testid=earliest-day]")
    no_sideways_scroll(page)

    too_soon = (today + dt.timedelta(days=3)).isoformat() + "T10:00"
    page.fill("#id_starts_at", too_soon)
    page.fill("#id_ends_at", "11:00")
    page.fill("#id_purpose", PURPOSE)
    page.get_by_label("佐藤 健").check()
    tap_and_load(page, page.get_by_role("button", name="計画する"))
    # Refused on the start, with the earliest allowed day; what was typed is still there.
    assert page.locator("#id_starts_at.is-invalid").count() == 1
    assert f"訪問は{day_label(earliest)}以降にしてください" in page.inner_text(
        "[data-testid=visit-plan-form]"
    )
    assert page.input_value("#id_starts_at") == too_soon
    assert page.input_value("#id_ends_at") == "11:00"
    assert page.input_value("#id_purpose") == PURPOSE
    assert page.get_by_label("佐藤 健").is_checked()
    assert in_thread(lambda: HomeVisit.objects.count()) == 0
    no_sideways_scroll(page)

    # A day past the notice period (one spare, should the test run across midnight).
    visit_day = earliest + dt.timedelta(days=1)
    page.fill("#id_starts_at", visit_day.isoformat() + "T10:00")
    tap_and_load(page, page.get_by_role("button", name="計画する"))
    page.wait_for_url(re.compile(r"/outreach/visits/\d+/$"))
    visit_pk = int(page.url.rstrip("/").rsplit("/", 1)[-1])
    assert page.get_attribute("[data-testid=next-action]", "data-next") == "announce"
    no_sideways_scroll(page)

    # --- announced today by phone, and agreed -------------------------------------------------
    announce = page.locator("[data-testid=announce-form]")
    announce.get_by_label("電話").check()
    announce.get_by_label("了承").check()
    tap_and_load(page, announce.get_by_role("button", name="記録する"))
    assert page.get_attribute("[data-testid=check-confirmed]", "data-ok") == "1"
    assert page.inner_text("[data-testid=visit-status]").startswith("確定")

    # The day comes: the visit starts now, as announced a week ago.
    in_thread(lambda: moved_to_start_now(visit_pk))

    # --- the briefing, acknowledged by both ---------------------------------------------------
    page.reload()
    page.locator("[data-testid=briefing-link]").tap()
    page.wait_for_url(re.compile(rf"/outreach/visits/{visit_pk}/briefing/$"))
    assert "家庭内暴力" in page.inner_text("[data-testid=briefing-risks]")
    assert PURPOSE in page.inner_text("[data-testid=briefing-purpose]")
    no_sideways_scroll(page)
    tap_and_load(page, page.locator("[data-testid=acknowledge]"))
    assert page.get_attribute(f"[data-testid=ack-{alice.pk}]", "data-state") == "done"
    assert page.get_attribute(f"[data-testid=ack-{sato.pk}]", "data-state") == "missing"
    no_sideways_scroll(page)
    in_thread(
        lambda: services.briefing_acknowledge(visit=HomeVisit.objects.get(pk=visit_pk), by=sato)
    )

    # --- on the doorstep: one tap in, one tap out ---------------------------------------------
    page.get_by_role("link", name="訪問のページへ戻る").tap()
    page.wait_for_url(re.compile(rf"/outreach/visits/{visit_pk}/$"))
    assert page.inner_text("[data-testid=check-briefed]").strip().endswith("2/2 ✓")
    assert page.get_attribute("[data-testid=next-action]", "data-next") == "check_in"
    no_sideways_scroll(page)
    tap_and_load(page, one_tap_button(page, "check-in"))
    assert page.locator("[data-testid=checked-in]").count() == 1
    assert "チェックインしました" in page.inner_text("main")
    no_sideways_scroll(page)
    tap_and_load(page, one_tap_button(page, "check-out"))
    assert page.locator("[data-testid=checked-out]").count() == 1
    assert page.locator("[data-testid=check-out]").count() == 0
    no_sideways_scroll(page)

    # --- the outcome and the report -----------------------------------------------------------
    outcome = page.locator("[data-testid=outcome-form]")
    outcome.get_by_label("本人と会えた").check()
    outcome.get_by_label("訪問記録").fill(REPORT)
    tap_and_load(page, outcome.get_by_role("button", name="結果を記録する"))
    assert page.inner_text("[data-testid=visit-outcome]") == "本人と会えた"
    assert REPORT in page.inner_text("[data-testid=visit-report]")
    no_sideways_scroll(page)

    def recorded() -> dict[str, Any]:
        visit = HomeVisit.objects.get(pk=visit_pk)
        contact = ContactEntry.objects.get(case=case, source=ContactSource.HOME_VISIT)
        return {
            "status": visit.status,
            "outcome": visit.outcome,
            "in_by": visit.checked_in_by_id,
            "out_by": visit.checked_out_by_id,
            "contact": (contact.pk == visit.contact_id, contact.channel, contact.two_way),
        }

    assert in_thread(recorded) == {
        "status": VisitStatus.DONE,
        "outcome": VisitOutcome.MET_PERSON,
        "in_by": alice.pk,
        "out_by": alice.pk,
        "contact": (True, Channel.HOME_VISIT, True),
    }

    # The case's timeline has the visit, as a two-way contact.
    page.locator("[data-testid=visit-case]").tap()
    page.wait_for_url(re.compile(rf"/cases/{case.pk}/$"))
    entry = page.locator("[data-testid=timeline] article.kind-contact", has_text="本人と会えた")
    assert entry.count() == 1
    assert entry.locator("strong").first.inner_text() == "訪問"
    assert REPORT in entry.inner_text()
    assert "一方向" not in entry.inner_text()

    # --- the private calendar feed ------------------------------------------------------------
    page.goto("/outreach/calendar/feed/")
    no_sideways_scroll(page)
    shown = page.input_value("[data-testid=feed-url]")
    assert shown.startswith(settings.SITE_URL + "/") and shown.endswith(".ics")
    # The address is for calendar apps, which don't sign in: fetched here without a cookie.
    path = urllib.parse.urlsplit(shown).path
    calendar_app = page.context.browser.new_context(base_url=live_server.url)
    response = calendar_app.request.get(path)
    assert response.status == 200
    assert response.headers["content-type"].startswith("text/calendar")
    body = response.body()
    calendar_app.close()
    events = Calendar.from_ical(body).walk("VEVENT")
    number = in_thread(lambda: Case.objects.get(pk=case.pk).case_number)
    assert [str(event["SUMMARY"]) for event in events] == [f"訪問 {number}"]
    assert events[0]["UID"] == f"visit-{visit_pk}@tsunagu"
    text = body.replace(b"\r\n ", b"").decode()  # unfolded: no name cut in two
    for private in ("森山", "陽太", "もりやま", "ようた", "杉並", "阿佐谷", "ひまわり", PURPOSE):
        assert private not in text
    assert REPORT not in text

    assert page.console.violations == []
    assert page.console.errors == []
