"""Issue 17, the counsellor's day in a real browser, in Japanese and once in English (the
language switch on the login page). alice signs in and lands on "my day", finds her case in
the case list, and plans a home visit on her 375 × 740 phone (a touch screen): a day inside
the centre's notice period is refused with the earliest allowed day shown and what she typed
kept, then a day after it is planned; announced by phone and agreed. On the visit's day "my
day" asks her to read the briefing; she acknowledges it (her colleague too). On the phone she
checks in and out with one tap each, writes the outcome and report, and finds them on the
case's timeline. Her private calendar feed, fetched without signing in as a calendar app
does, parses, holds the visit as "訪問 K-…" and nothing about the person. Every phone page
fits the phone's width, unzoomed.

Every page passed through gets axe-core at once and the Nu HTML checker at the end, with no
console error and no CSP refusal (tests/e2e/browser.py `Checked`). (This journey took in
the former tests/e2e/test_visit_journey.py, the same visit on a phone: its checks are here.)

The visit is announced today for a day past the notice period; to check in, it is then moved
in time to start now, the way the demo dates its visits (outreach.demo.visit_moved_in_time)."""

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
from outreach.models import HomeVisit, VisitOutcome, VisitStatus
from tests.e2e.browser import DESKTOP, Checked, Words, in_thread, second_tab, sign_in, tab_to
from tests.factories import UserFactory, make_case, record_contact

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 740}
PURPOSE = "近況をうかがい、居場所を紹介する"
REPORT = "玄関先で10分ほど話せた。居場所のちらしを受け取ってくれた。"


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


def moved_to_start_now(visit_pk: int) -> None:
    """The visit's day has come: it (and its announcement) moved to start a few minutes ago,
    on the minute, as entered through the forms."""
    visit = HomeVisit.objects.select_related("centre").get(pk=visit_pk)
    start = (timezone.now() - dt.timedelta(minutes=5)).replace(second=0, microsecond=0)
    visit_moved_in_time(visit, to=start)


@pytest.mark.parametrize("language", ["ja", "en"])
def test_counsellor_plans_briefs_makes_and_records_a_home_visit(
    open_page: Any, live_server: Any, centre_a: Centre, alice: User, language: str
) -> None:
    words = Words(language)
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
    record_contact(case, alice, at=timezone.now() - dt.timedelta(days=20))
    today = timezone.localdate()
    earliest = today + dt.timedelta(days=centre_a.visit_notice_days)
    checked = Checked()
    page = open_page(viewport=DESKTOP)

    # --- signs in, and the day starts on "my day" -------------------------------------------
    sign_in(page, checked, alice, words)
    assert page.url.endswith("/dashboards/my-day/")
    assert words("今日の訪問はありません。") in page.inner_text("[data-testid=my-visits-today]")

    # --- to the case ---------------------------------------------------------------------------
    case_list = page.get_by_role("link", name=words("ケース一覧"))
    checked.follow(page, "case list", case_list.click)
    checked.follow(page, "case", page.get_by_role("link", name=case.case_number).first.click)
    assert page.url.endswith(f"/cases/{case.pk}/")

    # --- on the phone: a visit planned, too soon refused, then a day after the notice -------
    phone = second_tab(page, viewport=PHONE, has_touch=True, is_mobile=True, device_scale_factor=2)
    checked.goto(phone, f"/cases/{case.pk}/", "case (phone)")
    checked.follow(phone, "visit plan", phone.locator("[data-testid=visit-plan-button]").tap)
    assert phone.url.endswith(f"/outreach/visits/new/{case.pk}/")
    assert words.date(earliest) in phone.inner_text("[data-testid=earliest-day]")
    no_sideways_scroll(phone)

    too_soon = (today + dt.timedelta(days=3)).isoformat() + "T10:00"
    phone.fill("#id_starts_at", too_soon)
    phone.fill("#id_ends_at", "11:00")
    phone.fill("#id_purpose", PURPOSE)
    phone.get_by_label("佐藤 健").check()
    plan = phone.get_by_role("button", name=words("計画する"))
    checked.follow(phone, "visit plan (refused)", plan.tap)
    # Refused on the start, with the earliest allowed day; what was typed is still there.
    assert phone.locator("#id_starts_at.is-invalid").count() == 1
    # The focus moved to it (static/js/form-errors.js), its error read with it.
    assert phone.evaluate("document.activeElement.id") == "id_starts_at"
    assert phone.get_attribute("#id_starts_at", "aria-describedby") == "id_starts_at_error"
    refusal = words(
        "訪問は%(earliest)s以降にしてください。%(why)s",
        earliest=words.date(earliest),
        why="",
    )
    assert refusal.strip() in phone.inner_text("[data-testid=visit-plan-form]")
    assert phone.input_value("#id_starts_at") == too_soon
    assert phone.input_value("#id_ends_at") == "11:00"
    assert phone.input_value("#id_purpose") == PURPOSE
    assert phone.get_by_label("佐藤 健").is_checked()
    assert in_thread(lambda: HomeVisit.objects.count()) == 0
    no_sideways_scroll(phone)

    visit_day = earliest + dt.timedelta(days=1)  # one spare, should the test cross midnight
    phone.fill("#id_starts_at", visit_day.isoformat() + "T10:00")
    checked.follow(phone, "visit", plan.tap)
    assert re.search(r"/outreach/visits/\d+/$", phone.url), phone.url
    visit_pk = int(phone.url.rstrip("/").rsplit("/", 1)[-1])
    assert phone.get_attribute("[data-testid=next-action]", "data-next") == "announce"
    assert in_thread(lambda: HomeVisit.objects.get().status) == VisitStatus.PLANNED
    no_sideways_scroll(phone)

    # --- announced today by phone, and agreed -------------------------------------------------
    announce = phone.locator("[data-testid=announce-form]")
    announce.get_by_label(words("電話")).check()
    announce.get_by_label(words("了承")).check()
    record = announce.get_by_role("button", name=words("記録する"))
    checked.follow(phone, "visit (announced)", record.tap)
    assert phone.get_attribute("[data-testid=check-confirmed]", "data-ok") == "1"
    assert phone.inner_text("[data-testid=visit-status]").startswith(words("確定"))
    assert in_thread(lambda: HomeVisit.objects.get().status) == VisitStatus.CONFIRMED

    # --- the visit's day: "my day" shows it, and the briefing still to read ------------------
    in_thread(lambda: moved_to_start_now(visit_pk))
    checked.goto(page, "/dashboards/my-day/", "my day (visit day)")
    today_row = page.locator(f"[data-testid=my-visits-today] [data-visit='{visit_pk}']")
    assert today_row.count() == 1
    assert words("ブリーフィング未確認") in today_row.inner_text()
    briefing = page.locator(f"[data-testid=my-briefings] [data-visit='{visit_pk}'] a")
    checked.follow(page, "visit briefing", briefing.click)
    assert words("家庭内暴力") in page.inner_text("[data-testid=briefing-risks]")
    assert PURPOSE in page.inner_text("[data-testid=briefing-purpose]")
    checked.follow(
        page, "visit briefing (acknowledged)", page.locator("[data-testid=acknowledge]").click
    )
    assert page.get_attribute(f"[data-testid=ack-{alice.pk}]", "data-state") == "done"
    assert page.get_attribute(f"[data-testid=ack-{sato.pk}]", "data-state") == "missing"
    in_thread(
        lambda: services.briefing_acknowledge(visit=HomeVisit.objects.get(pk=visit_pk), by=sato)
    )

    # --- on the doorstep, on the phone: the briefing at hand, one tap in, one tap out -------
    checked.goto(phone, f"/outreach/visits/{visit_pk}/", "visit (the day, phone)")
    checked.follow(
        phone, "visit briefing (phone)", phone.locator("[data-testid=briefing-link]").tap
    )
    assert phone.url.endswith(f"/outreach/visits/{visit_pk}/briefing/")
    assert words("家庭内暴力") in phone.inner_text("[data-testid=briefing-risks]")
    assert phone.get_attribute(f"[data-testid=ack-{sato.pk}]", "data-state") == "done"
    no_sideways_scroll(phone)
    back = phone.get_by_role("link", name=words("訪問のページへ戻る"))
    checked.follow(phone, "visit (briefed, phone)", back.tap)
    assert phone.inner_text("[data-testid=check-briefed]").strip().endswith("2/2 ✓")
    assert phone.get_attribute("[data-testid=next-action]", "data-next") == "check_in"
    no_sideways_scroll(phone)

    # One tap in on the phone; out with the keyboard alone (a phone's keyboard, or one a
    # counsellor uses with a screen reader): Tab to the button, Enter.
    checked.follow(phone, "visit (checked in)", one_tap_button(phone, "check-in").tap)
    assert phone.locator("[data-testid=checked-in]").count() == 1
    checked_in = words("チェックインしました。終わったらチェックアウトしてください。")
    assert checked_in in phone.inner_text("main")
    no_sideways_scroll(phone)
    one_tap_button(phone, "check-out")
    tab_to(phone, "[data-testid=check-out]")
    checked.follow(phone, "visit (checked out)", lambda: phone.keyboard.press("Enter"))
    assert phone.locator("[data-testid=checked-out]").count() == 1
    assert phone.locator("[data-testid=check-out]").count() == 0
    no_sideways_scroll(phone)

    # --- the outcome and the report -----------------------------------------------------------
    met = words("本人と会えた")
    outcome = phone.locator("[data-testid=outcome-form]")
    outcome.get_by_label(met).check()
    outcome.get_by_label(words("訪問記録")).fill(REPORT)
    record_outcome = outcome.get_by_role("button", name=words("結果を記録する"))
    checked.follow(phone, "visit (outcome)", record_outcome.tap)
    assert phone.inner_text("[data-testid=visit-outcome]") == met
    assert REPORT in phone.inner_text("[data-testid=visit-report]")
    no_sideways_scroll(phone)

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

    # --- the case's timeline has the visit, as a two-way contact ------------------------------
    checked.follow(phone, "case (phone, after)", phone.locator("[data-testid=visit-case]").tap)
    assert phone.url.endswith(f"/cases/{case.pk}/")
    entry = phone.locator("[data-testid=timeline] article.kind-contact", has_text=met)
    assert entry.count() == 1
    assert entry.locator("strong").first.inner_text() == words("訪問")
    assert REPORT in entry.inner_text()
    assert words("一方向") not in entry.inner_text()

    # --- the private calendar feed: its address, fetched as a calendar app does, parses --------
    checked.goto(phone, "/outreach/calendar/feed/", "calendar feed (phone)")
    no_sideways_scroll(phone)
    shown = phone.input_value("[data-testid=feed-url]")
    assert shown.startswith(settings.SITE_URL + "/") and shown.endswith(".ics")
    # The address is for calendar apps, which don't sign in: fetched here without a cookie.
    calendar_app = page.context.browser.new_context(base_url=live_server.url)
    response = calendar_app.request.get(urllib.parse.urlsplit(shown).path)
    assert response.status == 200
    assert response.headers["content-type"].startswith("text/calendar")
    body = response.body()
    calendar_app.close()
    events = Calendar.from_ical(body).walk("VEVENT")
    number = in_thread(lambda: Case.objects.get(pk=case.pk).case_number)
    # In the user's own language (their preferences: Japanese), whatever the browser's switch.
    assert [str(event["SUMMARY"]) for event in events] == [f"訪問 {number}"]
    assert events[0]["UID"] == f"visit-{visit_pk}@tsunagu"
    assert events[0].decoded("DTSTART") == in_thread(lambda: HomeVisit.objects.get().starts_at)
    text = body.replace(b"\r\n ", b"").decode()  # unfolded: no name cut in two
    for private in ("森山", "陽太", "もりやま", "ようた", "杉並", "阿佐谷", "ひまわり", PURPOSE):
        assert private not in text
    assert REPORT not in text

    checked.finish(page, phone)
