"""The tablet at the ibasho's door, in a real browser at 768 × 1024 with a touch screen: one
person checked in with the keyboard only, another by tapping, a walk-in by nickname (and the
mistake undone), one person checked out by tapping; the room list and the database agree, the
touch targets are large enough and the Content-Security-Policy refuses nothing."""

from __future__ import annotations

import re
from typing import Any

import pytest

from accounts.models import Centre, User
from cases.choices import ContactSource
from cases.models import Case, ContactEntry
from outreach.models import IbashoAttendance, IbashoSession
from tests.e2e.browser import in_thread, log_in, session_running_now, wait_for_focus
from tests.factories import make_case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TABLET = {"width": 768, "height": 1024}


def person(centre: Centre, by: User, family: str, given: str, kana: tuple[str, str]) -> Case:
    return make_case(
        centre,
        by,
        family_name=family,
        given_name=given,
        family_name_kana=kana[0],
        given_name_kana=kana[1],
        primary_counsellor=by,
    )


def room_row(page: Any, name: str, *, present: bool = True) -> Any:
    testid = "room-present" if present else "room-gone"
    return page.locator(f"[data-testid={testid}]", has_text=name)


def test_checking_in_and_out_at_the_door_with_keyboard_and_touch(
    open_page: Any, centre_a: Centre, alice: User
) -> None:
    session = session_running_now(centre_a, alice, [alice])
    mori = person(centre_a, alice, "森", "陽太", ("モリ", "ヨウタ"))
    kawaguchi = person(centre_a, alice, "川口", "葵", ("かわぐち", "あおい"))

    page = open_page(viewport=TABLET, has_touch=True)
    log_in(page, alice)
    page.goto("/outreach/ibasho/checkin/")
    assert "ひだまりルーム" in page.inner_text("[data-testid=checkin-session]")
    # Ready to type at once: the search box has the focus.
    assert page.evaluate("document.activeElement.id") == "checkin-q"

    # The keyboard only: type, Tab past the search button to the result's button, Enter.
    page.keyboard.type("もり")
    page.wait_for_selector("[data-testid=checkin-result]")
    assert page.locator("[data-testid=checkin-result]").count() == 1
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert "受付" in focused and "森 陽太" in focused
    page.keyboard.press("Enter")
    room_row(page, "森 陽太").wait_for()
    # The search is cleared and has the focus again, for the next person.
    assert page.input_value("#checkin-q") == ""
    # htmx gives the new search box the focus (autofocus) once the swap settles, a moment
    # after the row appears: waited for, not read at once (a busy machine was slower).
    wait_for_focus(page, "#checkin-q")
    assert page.locator("[data-testid=checkin-result]").count() == 0

    # By tapping: the name typed on the screen keyboard, the result's button tapped.
    page.fill("#checkin-q", "カワグチ")
    result = page.locator("[data-testid=checkin-result]", has_text="川口 葵")
    result.wait_for()
    result.get_by_role("button", name=re.compile("受付")).tap()
    room_row(page, "川口 葵").wait_for()

    # A walk-in by nickname, then undone (checked in by mistake), the confirmation accepted.
    page.tap("#id_nickname")
    page.keyboard.type("そら")
    page.get_by_role("button", name="ニックネームで受付").tap()
    room_row(page, "そら").wait_for()
    page.once("dialog", lambda dialog: dialog.accept())
    room_row(page, "そら").get_by_role("button", name=re.compile("取消")).tap()
    room_row(page, "そら").wait_for(state="detached")

    # One check-out by tapping: the row stays, greyed, under those still in the room.
    room_row(page, "森 陽太").get_by_role("button", name=re.compile("退出")).tap()
    room_row(page, "森 陽太", present=False).wait_for()
    assert "checkin-left" in (room_row(page, "森 陽太", present=False).get_attribute("class") or "")
    assert page.inner_text("[data-testid=count-in-room]") == "1人"
    assert page.inner_text("[data-testid=count-came]") == "2人"
    assert page.inner_text("[data-testid=count-walk-ins]") == "0人"

    def recorded() -> dict[str, Any]:
        rows = IbashoAttendance.objects.filter(session=session).select_related("case")
        return {
            "left": {a.case.family_name: a.left_at is not None for a in rows if a.case},
            "walk_ins": rows.filter(case__isnull=True).count(),
            "contacts": ContactEntry.objects.filter(source=ContactSource.IBASHO).count(),
        }

    assert in_thread(recorded) == {
        "left": {"森": True, "川口": False},
        "walk_ins": 0,
        "contacts": 2,
    }
    assert in_thread(lambda: IbashoSession.objects.get().pk) == session.pk
    assert {mori.pk, kawaguchi.pk} == set(
        in_thread(lambda: list(IbashoAttendance.objects.values_list("case_id", flat=True)))
    )

    # A tablet layout: nothing wider than the screen, every control a 44 px touch target.
    assert page.evaluate("document.documentElement.scrollWidth") <= TABLET["width"]
    page.fill("#checkin-q", "かわ")
    page.wait_for_selector("[data-testid=checkin-result]")
    small = page.evaluate(
        """() => [...document.querySelectorAll(
              '.checkin button, .checkin a.btn, .checkin .nav-link, .checkin input:not([type=hidden]),'
              + ' .checkin select, .checkin summary')]
            .filter(e => e.offsetParent !== null)
            .map(e => [e.textContent.trim() || e.id, e.getBoundingClientRect()])
            .filter(([, r]) => r.height < 44 || r.width < 44)
            .map(([name, r]) => `${name}: ${Math.round(r.width)}x${Math.round(r.height)}`)"""
    )
    assert small == []

    assert page.console.violations == []
    assert page.console.errors == []
