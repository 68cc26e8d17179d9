"""Issue 17, the staff member's day in a real browser, in Japanese and once in English (the
language switch on the login page): bob signs in through the login page, takes a mother's
first phone call as a new case (the person's name not yet known), adds the mother to the household, logs two more contacts (the second with the
keyboard alone: Tab, typing and Enter), then, on the tablet at the ibasho's door
(768 × 1024, a touch screen), checks the person (found by case number) and a walk-in into
today's session and checks both out. After each step the database holds what was done.
Last, the manager's dashboard counts the new case.

Every page passed through gets axe-core at once (after each htmx swap too) and the Nu HTML
checker at the end, and no page writes a console error or meets a CSP refusal
(tests/e2e/browser.py `Checked`)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.conf import settings

from accounts.models import Centre, User
from cases.choices import Channel, ContactSource
from cases.models import Case, ContactEntry
from families.models import HouseholdLink
from outreach.models import IbashoAttendance
from tests.e2e.browser import (
    DESKTOP,
    Checked,
    Words,
    in_thread,
    second_tab,
    session_running_now,
    sign_in,
    tab_to,
)
from tests.factories import client_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TABLET = {"width": 768, "height": 1024}
FIRST_CALL = "母親から。息子が3年ほど部屋からほとんど出ない。本人は相談を知らない。"
SECOND_CALL = "母親から折り返し。居場所の日程を伝えた。"
BY_KEYBOARD = "母親から。本人が居場所に行ってみると言っている。"


def contacts(case_pk: int) -> list[tuple[str, str, bool, str]]:
    return [
        (c.channel, c.counterpart, c.two_way, c.note)
        for c in ContactEntry.objects.filter(case_id=case_pk).order_by("occurred_at", "id")
    ]


@pytest.mark.parametrize("language", ["ja", "en"])
def test_staff_takes_a_first_call_adds_the_family_and_runs_the_ibasho_door(
    open_page: Any,
    live_server: Any,
    centre_a: Centre,
    alice: User,
    bob: User,
    mallory: User,
    language: str,
) -> None:
    words = Words(language)

    def people(n: int) -> str:
        return words.n("%(counter)s人", "%(counter)s人", n, counter=n)

    session = session_running_now(centre_a, alice, [alice, bob])
    checked = Checked()
    page = open_page(viewport=DESKTOP)

    # --- signs in through the login page ----------------------------------------------------
    sign_in(page, checked, bob, words)

    # --- a mother's first phone call: a new case, the person's name unknown -----------------
    checked.goto(page, "/cases/intake/", "intake")
    # The contact's time is filled in (now), the caller a family member by default.
    assert page.input_value("#id_contact-occurred_at")
    assert page.input_value("#id_case-first_contact_by") == "family"
    page.fill("#id_contact-duration_minutes", "25")
    page.select_option("#id_contact-channel", "phone")
    page.select_option("#id_contact-counterpart", "family")
    page.check("#id_contact-two_way")
    page.fill("#id_contact-note", FIRST_CALL)
    page.select_option("#id_case-age_band", "30s")
    page.select_option("#id_case-gender", "male")
    page.select_option("#id_case-person_aware", "no")
    page.fill("#id_case-municipality", "杉並区")
    # The person's name fields stay empty: the mother did not give it yet.
    for name in ("family_name", "given_name", "family_name_kana", "given_name_kana"):
        assert page.input_value(f"#id_case-{name}") == ""
    checked.follow(
        page, "case (new)", page.get_by_role("button", name=words("ケースを登録する")).click
    )
    assert re.search(r"/cases/\d+/$", page.url), page.url
    case_pk = int(page.url.rstrip("/").rsplit("/", 1)[-1])
    assert words("（氏名未確認）") in page.inner_text("main")

    def intake() -> dict[str, Any]:
        case = Case.objects.get(pk=case_pk)
        return {
            "centre": case.centre_id,
            "name": (case.family_name, case.given_name),
            "age_band": case.age_band,
            "person_aware": case.person_aware,
            "first_contact_by": case.first_contact_by,
            "contacts": contacts(case_pk),
            "number": case.case_number,
        }

    saved = in_thread(intake)
    number = saved.pop("number")
    assert saved == {
        "centre": centre_a.pk,
        "name": ("", ""),
        "age_band": "30s",
        "person_aware": "no",
        "first_contact_by": "family",
        "contacts": [(Channel.PHONE, "family", True, FIRST_CALL)],
    }
    assert number in page.inner_text("main")

    # --- the household: the mother, from the case page's panel ------------------------------
    panel = page.locator("[data-testid=household-panel]")
    panel.get_by_text(words("家族を追加"), exact=True).click()
    add = page.locator("[data-testid=member-add-form]")
    add.locator("#id_member-relation").select_option("mother")
    add.locator("#id_member-family_name").fill("森山")
    add.locator("#id_member-given_name").fill("和子")
    add.locator("#id_member-family_name_kana").fill("もりやま")
    add.locator("#id_member-given_name_kana").fill("かずこ")
    add.locator("#id_member-birth_year").fill("1962")
    add.locator("#id_member-person_aware").select_option("no")
    add.locator("#id_member-is_primary_contact").check()
    add.locator("#id_member-contact_consent").check()
    add.get_by_role("button", name=words("追加"), exact=True).click()
    row = page.locator("[data-testid=household-panel] tbody tr", has_text="森山 和子")
    row.wait_for()
    assert row.inner_text().startswith(words("母"))
    checked.axe(page, "case (household added)")

    def household() -> list[tuple[str, str, bool, bool, str]]:
        return [
            (
                link.relation,
                link.member.family_name,
                link.is_primary_contact,
                link.member.contact_consent,
                link.person_aware,
            )
            for link in HouseholdLink.objects.filter(case_id=case_pk).select_related("member")
        ]

    assert in_thread(household) == [("mother", "森山", True, True, "no")]
    checked.follow(page, "family member", row.get_by_role("link", name="森山 和子").click)
    assert "森山 和子" in page.inner_text("main")

    # --- a second contact, with the mouse, from the case page's quick-add --------------------
    checked.goto(page, f"/cases/{case_pk}/", "case")
    contact = page.locator("#contact-panel")
    contact.locator("#id_duration_minutes").fill("10")
    contact.locator("#id_channel").select_option("phone")
    contact.locator("#id_counterpart").select_option("family")
    contact.locator("#id_two_way").check()
    contact.locator("#id_note").fill(SECOND_CALL)
    contact.get_by_role("button", name=words("記録する")).click()
    added = words("相談記録を追加しました。")
    page.locator("#contact-panel [role=status]", has_text=added).wait_for()
    assert SECOND_CALL in page.inner_text("[data-testid=timeline]")
    checked.axe(page, "case (contact added)")
    assert [c[3] for c in in_thread(lambda: contacts(case_pk))] == [FIRST_CALL, SECOND_CALL]

    # --- a third, with the keyboard alone: Tab, typing, arrows, Space and Enter --------------
    checked.goto(page, f"/cases/{case_pk}/", "case (again)")
    tab_to(page, "#contact-panel #id_duration_minutes")
    page.keyboard.type("15")
    tab_to(page, "#contact-panel #id_channel")
    page.keyboard.press("ArrowDown")  # the first choice: 電話
    tab_to(page, "#contact-panel #id_counterpart")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")  # 本人, then 家族
    tab_to(page, "#contact-panel #id_two_way")
    # Two-way is ticked already (the usual case); Space twice: off, then on again.
    assert page.evaluate("document.activeElement.checked")
    page.keyboard.press("Space")
    assert not page.evaluate("document.activeElement.checked")
    page.keyboard.press("Space")
    tab_to(page, "#contact-panel #id_note")
    page.keyboard.type(BY_KEYBOARD)
    tab_to(page, "#contact-panel #id_next_action")
    page.keyboard.type("居場所の見学日を決める")
    page.keyboard.press("Enter")  # submits the form from its last text field
    page.locator("#contact-panel [role=status]", has_text=added).wait_for()
    checked.axe(page, "case (contact added by keyboard)")

    def third() -> tuple[Any, ...]:
        entry = ContactEntry.objects.filter(case_id=case_pk).order_by("-id").first()
        assert entry is not None
        return (entry.channel, entry.counterpart, entry.two_way, entry.note, entry.next_action)

    assert in_thread(third) == (
        Channel.PHONE,
        "family",
        True,
        BY_KEYBOARD,
        "居場所の見学日を決める",
    )
    assert in_thread(lambda: ContactEntry.objects.filter(case_id=case_pk).count()) == 3

    # --- the tablet at the ibasho's door: the person (by case number) and a walk-in --------
    tablet = second_tab(page, viewport=TABLET, has_touch=True)
    checked.goto(tablet, "/outreach/ibasho/checkin/", "ibasho check-in (tablet)")
    assert tablet.evaluate("document.documentElement.lang") == language
    assert "ひだまりルーム" in tablet.inner_text("[data-testid=checkin-session]")
    tablet.fill("#checkin-q", number)
    unnamed = words("（氏名未確認）")
    result = tablet.locator("[data-testid=checkin-result]", has_text=unnamed)
    result.wait_for()
    check_in = result.locator("button[type=submit]")
    assert check_in.inner_text().startswith(words.p("ibasho check-in button", "受付"))
    check_in.tap()
    person_row = tablet.locator("[data-testid=room-present]", has_text=unnamed)
    person_row.wait_for()
    checked.axe(tablet, "ibasho check-in (the person in)")

    tablet.tap("#id_nickname")
    tablet.keyboard.type("そら")
    tablet.get_by_role("button", name=words("ニックネームで受付")).tap()
    walk_in_row = tablet.locator("[data-testid=room-present]", has_text="そら")
    walk_in_row.wait_for()
    assert tablet.inner_text("[data-testid=count-in-room]") == people(2)
    assert tablet.inner_text("[data-testid=count-walk-ins]") == people(1)
    checked.axe(tablet, "ibasho check-in (a walk-in in)")

    def attendance() -> dict[str, Any]:
        rows = IbashoAttendance.objects.filter(session=session).select_related("walk_in")
        return {
            "people": sorted(
                (a.case_id or 0, a.walk_in.nickname if a.walk_in else "", a.left_at is not None)
                for a in rows
            ),
            "ibasho contacts": ContactEntry.objects.filter(
                case_id=case_pk, source=ContactSource.IBASHO
            ).count(),
        }

    assert in_thread(attendance) == {
        "people": [(0, "そら", False), (case_pk, "", False)],
        "ibasho contacts": 1,
    }

    # Both leave: each checked out with a tap, their rows greyed under the room.
    check_out = person_row.locator("[data-testid=check-out]")
    assert check_out.inner_text().startswith(words.p("ibasho check-out button", "退出"))
    check_out.tap()
    tablet.locator("[data-testid=room-gone]", has_text=unnamed).wait_for()
    walk_in_row.locator("[data-testid=check-out]").tap()
    tablet.locator("[data-testid=room-gone]", has_text="そら").wait_for()
    assert tablet.inner_text("[data-testid=count-in-room]") == people(0)
    assert tablet.inner_text("[data-testid=count-came]") == people(2)
    assert tablet.evaluate("document.documentElement.scrollWidth") <= TABLET["width"]
    checked.axe(tablet, "ibasho check-in (both out)")
    # Loaded afresh, the page lists who came, with their times (valid HTML too).
    checked.goto(tablet, "/outreach/ibasho/checkin/", "ibasho check-in (reloaded)")
    assert tablet.locator("[data-testid=room-gone]").count() == 2
    assert in_thread(attendance) == {
        "people": [(0, "そら", True), (case_pk, "", True)],
        "ibasho contacts": 1,
    }

    # --- the manager's view of the day: the new case counted ---------------------------------
    manager = second_tab(page, viewport=DESKTOP)
    manager.context.clear_cookies()
    cookie = in_thread(lambda: client_for(mallory).cookies["sessionid"].value)
    manager.context.add_cookies(
        [
            {"name": "sessionid", "value": cookie, "url": live_server.url},
            # the language bob chose, on the same browser
            {"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url},
        ]
    )
    checked.goto(manager, "/dashboards/centre/", "manager dashboard")
    assert manager.get_attribute("[data-testid=n-open]", "data-count") == "1"
    checked.goto(manager, "/dashboards/statistics/", "statistics")
    assert manager.locator("[data-testid=export-csv]").count() == 1

    checked.finish(page, tablet, manager)
