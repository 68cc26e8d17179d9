"""Issue 17, the keyboard alone (Tab, typing, arrows, Space and Enter; never a click) and the
errors of a refused form: intake with a refused first submit, the contact quick-add refused
then saved (an htmx swap), a stale case edit refused with a form-level error, the ibasho
door's check-in and check-out, a family programme's attendance register, and a home
visit's check-in and check-out.

A refused form moves the focus to its first invalid field (static/js/form-errors.js), whose
`aria-describedby` names the error's text, or, with no field at fault, to the error box,
which is announced (role="alert"). Every page and swap passes axe-core, every page the Nu
checker, with no console error or CSP refusal (tests/e2e/browser.py `Checked`)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.db.models import F
from django.utils import timezone

from accounts.models import Centre, User
from cases.choices import Channel
from cases.models import Case, ContactEntry
from families import services as family_services
from families.models import AttendanceStatus, ProgrammeAttendance
from outreach.demo import visit_moved_in_time
from outreach.models import HomeVisit, IbashoAttendance
from tests.e2e.browser import (
    DESKTOP,
    Checked,
    Words,
    in_thread,
    session_running_now,
    sign_in,
    tab_to,
    wait_for_focus,
)
from tests.factories import make_case, make_programme, make_visit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TABLET = {"width": 768, "height": 1024}
CALL = "母親から。息子が家からほとんど出ない。"

FOCUSED = """() => {
  const e = document.activeElement;
  const ids = (e.getAttribute("aria-describedby") || "").split(/\\s+/).filter(Boolean);
  return {
    id: e.id,
    invalid: e.getAttribute("aria-invalid"),
    role: e.getAttribute("role"),
    text: e.textContent.trim(),
    described: ids.map(i => document.getElementById(i)?.textContent.trim() ?? null),
  };
}"""


def focused(page: Any) -> dict[str, Any]:
    return page.evaluate(FOCUSED)


def assert_focus_on_error(page: Any, control_id: str) -> None:
    """The focus is on the control, marked invalid, described by its error's text (the text
    shown under it)."""
    now = focused(page)
    assert now["id"] == control_id, now
    assert now["invalid"] == "true"
    error = page.locator(f"#{control_id} ~ .invalid-feedback").first.inner_text().strip()
    assert error and error in now["described"], (error, now["described"])


@pytest.mark.parametrize("language", ["ja", "en"])
def test_intake_by_keyboard_alone_a_refused_first_submit_focuses_the_first_error(
    open_page: Any, bob: User, language: str
) -> None:
    words = Words(language)
    checked = Checked()
    page = open_page(viewport=DESKTOP)
    sign_in(page, checked, bob, words)
    checked.goto(page, "/cases/intake/", "intake")
    # No error on the page: the focus is left alone.
    assert page.evaluate("document.activeElement === document.body")

    tab_to(page, "#id_contact-duration_minutes")
    page.keyboard.type("20")
    # The channel forgotten; the counterpart: 本人, then 家族.
    tab_to(page, "#id_contact-counterpart")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    assert page.input_value("#id_contact-counterpart") == "family"
    tab_to(page, "#id_contact-note")
    page.keyboard.type(CALL)
    tab_to(page, "#id_case-municipality")
    page.keyboard.type("杉並区")
    checked.follow(page, "intake (refused)", lambda: page.keyboard.press("Enter"))

    # Refused: the focus is on the channel, its error tied to it; the input kept.
    assert_focus_on_error(page, "id_contact-channel")
    assert page.input_value("#id_contact-note") == CALL
    assert page.input_value("#id_case-municipality") == "杉並区"
    assert in_thread(lambda: Case.objects.count()) == 0

    # Corrected where the focus is: the first choice (電話), then Tab to the button, Enter.
    page.keyboard.press("ArrowDown")
    assert page.input_value("#id_contact-channel") == Channel.PHONE
    tab_to(page, "main form button[type=submit]")
    assert page.evaluate("document.activeElement.textContent.trim()") == words("ケースを登録する")
    checked.follow(page, "case (new)", lambda: page.keyboard.press("Enter"))
    assert re.search(r"/cases/\d+/$", page.url), page.url

    def saved() -> tuple[Any, ...]:
        case = Case.objects.get()
        entry = ContactEntry.objects.get(case=case)
        return (
            case.municipality,
            entry.channel,
            entry.counterpart,
            entry.duration_minutes,
            entry.note,
        )

    assert in_thread(saved) == ("杉並区", Channel.PHONE, "family", 20, CALL)
    checked.finish(page)


def test_a_refused_contact_quick_add_focuses_its_first_error_then_saves_by_keyboard(
    open_page: Any, centre_a: Centre, alice: User
) -> None:
    """The plain form (accounts.plain_forms), swapped in by htmx."""
    case = make_case(centre_a, alice, primary_counsellor=alice)
    checked = Checked()
    page = open_page(viewport=DESKTOP)
    sign_in(page, checked, alice, Words("ja"))
    checked.goto(page, f"/cases/{case.pk}/", "case")

    tab_to(page, "#contact-panel #id_duration_minutes")
    page.keyboard.type("10")
    tab_to(page, "#contact-panel #id_note")
    page.keyboard.type(CALL)
    page.keyboard.press("Tab")  # to the next action: Enter there submits
    page.keyboard.press("Enter")
    # Swapped back refused: the focus on the first invalid control, the channel.
    wait_for_focus(page, "#contact-panel #id_channel")
    assert_focus_on_error(page, "id_channel")
    assert page.locator("#contact-panel #id_counterpart").get_attribute("aria-invalid") == "true"
    assert page.input_value("#contact-panel #id_note") == CALL
    checked.axe(page, "case (contact refused)")

    page.keyboard.press("ArrowDown")  # 電話
    tab_to(page, "#contact-panel #id_counterpart")
    page.keyboard.press("ArrowDown")  # 本人
    tab_to(page, "#contact-panel button[type=submit]")
    page.keyboard.press("Enter")
    page.locator("#contact-panel [role=status]").wait_for()
    # Saved: nothing refused, so nothing takes the focus away.
    assert page.locator("#contact-panel [aria-invalid=true]").count() == 0
    checked.axe(page, "case (contact added)")
    assert in_thread(
        lambda: list(ContactEntry.objects.values_list("channel", "counterpart", "note"))
    ) == [(Channel.PHONE, "person", CALL)]
    checked.finish(page)


def test_a_stale_case_edit_focuses_the_announced_form_error(
    open_page: Any, centre_a: Centre, alice: User
) -> None:
    """A crispy form refused with no field at fault: the focus on the error box, an alert."""
    case = make_case(centre_a, alice, primary_counsellor=alice, municipality="杉並区")
    checked = Checked()
    page = open_page(viewport=DESKTOP)
    sign_in(page, checked, alice, Words("ja"))
    checked.goto(page, f"/cases/{case.pk}/edit/", "case edit")
    # Someone else saves the case meanwhile.
    in_thread(lambda: Case.objects.filter(pk=case.pk).update(version=F("version") + 1))

    tab_to(page, "#id_municipality")
    page.keyboard.press("End")
    page.keyboard.type("阿佐谷")
    with page.expect_navigation() as navigation:
        page.keyboard.press("Enter")
    assert navigation.value.status == 409
    checked.documents["case edit (stale)"] = navigation.value.text()
    checked.axe(page, "case edit (stale)")
    # The browser logs every 409 document as a failed load: that one is expected.
    conflict = [e for e in page.console.errors if "status of 409" in e]
    assert len(conflict) == 1
    page.console.errors.remove(conflict[0])

    now = focused(page)
    assert now["role"] == "alert", now
    assert "他の人が更新しました" in now["text"]
    assert page.evaluate("document.activeElement.tabIndex") == -1
    assert page.input_value("#id_municipality") == "杉並区阿佐谷"
    assert page.locator("[aria-invalid=true]").count() == 0
    checked.finish(page)


def test_the_ibasho_door_check_in_and_check_out_by_keyboard(
    open_page: Any, centre_a: Centre, alice: User
) -> None:
    session = session_running_now(centre_a, alice, [alice])
    make_case(
        centre_a,
        alice,
        family_name="森",
        given_name="陽太",
        family_name_kana="モリ",
        given_name_kana="ヨウタ",
        primary_counsellor=alice,
    )
    checked = Checked()
    page = open_page(viewport=TABLET, has_touch=True)
    sign_in(page, checked, alice, Words("ja"))
    checked.goto(page, "/outreach/ibasho/checkin/", "ibasho check-in")
    assert page.evaluate("document.activeElement.id") == "checkin-q"

    page.keyboard.type("もり")
    page.wait_for_selector("[data-testid=checkin-result]")
    checked.axe(page, "ibasho check-in (found)")
    tab_to(page, "[data-testid=checkin-result] button[type=submit]")
    page.keyboard.press("Enter")
    present = page.locator("[data-testid=room-present]", has_text="森 陽太")
    present.wait_for()
    checked.axe(page, "ibasho check-in (in)")

    # Out: Tab from the search to the row's check-out button, Enter.
    tab_to(page, "[data-testid=room-present] [data-testid=check-out]")
    assert "森 陽太" in page.evaluate(
        "document.activeElement.closest('[data-testid=room-present]').textContent"
    )
    page.keyboard.press("Enter")
    page.locator("[data-testid=room-gone]", has_text="森 陽太").wait_for()
    assert page.inner_text("[data-testid=count-in-room]") == "0人"
    checked.axe(page, "ibasho check-in (out)")

    def left() -> list[bool]:
        return [a.left_at is not None for a in IbashoAttendance.objects.filter(session=session)]

    assert in_thread(left) == [True]
    checked.finish(page)


def test_the_family_programme_attendance_register_by_keyboard(
    open_page: Any, centre_a: Centre, alice: User
) -> None:
    programme = make_programme(centre_a, alice, count=2, capacity=20)
    mothers = []
    for given, kana in (("花子", "はなこ"), ("和子", "かずこ")):
        member = family_services.member_add(
            case=make_case(centre_a, alice),
            by=alice,
            fields={
                "family_name": "山田",
                "given_name": given,
                "family_name_kana": "やまだ",
                "given_name_kana": kana,
                "contact_consent": True,
            },
            link_fields={"relation": "mother"},
        )
        family_services.programme_enrol(programme=programme, member=member, by=alice)
        mothers.append(member)
    session = programme.sessions.order_by("starts_at").first()
    assert session is not None

    checked = Checked()
    page = open_page(viewport=DESKTOP)
    sign_in(page, checked, alice, Words("ja"))
    url = f"/families/programmes/sessions/{session.pk}/register/"
    checked.goto(page, url, "attendance register")
    absent = mothers[1]

    # Everyone is marked present: Tab into the second row's marks, an arrow to 欠席, Tab to
    # its note, type, Enter saves.
    tab_to(page, f"input[name=status-{absent.pk}]")
    assert page.evaluate("document.activeElement.value") == AttendanceStatus.ATTENDED
    page.keyboard.press("ArrowRight")
    assert page.evaluate("document.activeElement.value") == AttendanceStatus.ABSENT
    assert page.evaluate("document.activeElement.checked")
    tab_to(page, f"#id_note-{absent.pk}")
    page.keyboard.type("体調不良")
    checked.follow(page, "attendance register (saved)", lambda: page.keyboard.press("Enter"))
    assert "出欠を保存しました。" in page.inner_text("main")

    def marks() -> dict[int, tuple[str, str]]:
        rows = ProgrammeAttendance.objects.filter(session=session)
        return {row.member_id: (row.status, row.note) for row in rows}

    assert in_thread(marks) == {
        mothers[0].pk: (AttendanceStatus.ATTENDED, ""),
        absent.pk: (AttendanceStatus.ABSENT, "体調不良"),
    }
    checked.finish(page)


def test_a_home_visit_checked_in_and_out_by_keyboard(
    open_page: Any, centre_a: Centre, alice: User
) -> None:
    case = make_case(centre_a, alice, primary_counsellor=alice)
    visit = make_visit(case, alice, status="briefed")
    start = (timezone.now() - dt.timedelta(minutes=5)).replace(second=0, microsecond=0)
    visit_moved_in_time(visit, to=start)

    checked = Checked()
    page = open_page(viewport=DESKTOP)
    sign_in(page, checked, alice, Words("ja"))
    checked.goto(page, f"/outreach/visits/{visit.pk}/", "visit (the day)")
    assert page.get_attribute("[data-testid=next-action]", "data-next") == "check_in"

    tab_to(page, "[data-testid=check-in]")
    checked.follow(page, "visit (checked in)", lambda: page.keyboard.press("Enter"))
    assert page.locator("[data-testid=checked-in]").count() == 1
    tab_to(page, "[data-testid=check-out]")
    checked.follow(page, "visit (checked out)", lambda: page.keyboard.press("Enter"))
    assert page.locator("[data-testid=checked-out]").count() == 1

    def times() -> tuple[bool, bool]:
        done = HomeVisit.objects.get(pk=visit.pk)
        return (done.checked_in_at is not None, done.checked_out_at is not None)

    assert in_thread(times) == (True, True)
    checked.finish(page)
