"""The Content-Security-Policy refuses anything inline or from elsewhere; the app's own pages
must still work under it: styles, the trend chart, the htmx quick-add, the admin."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import Centre, Role, User
from cases import instruments, services
from cases.models import ContactEntry
from tests.e2e.browser import in_thread, log_in, wait_until
from tests.factories import PASSWORD, UserFactory, make_case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_pages_work_under_the_policy(open_page: Any, centre_a: Centre, alice: User) -> None:
    case = make_case(centre_a, alice, primary_counsellor=alice)
    for months_ago in (2, 1, 0):
        services.assessment_record(
            case=case,
            by=alice,
            instrument=instruments.HQ25,
            answers=[2] * 25,
            assessed_on=timezone.localdate() - dt.timedelta(days=30 * months_ago + 1),
        )

    page = open_page()
    log_in(page, alice)
    page.goto("/cases/")
    assert page.get_by_text(case.case_number).first.is_visible()
    # The stylesheet applied: Bootstrap's navbar is laid out as a flex row.
    assert page.eval_on_selector("nav", "e => getComputedStyle(e).display") == "flex"

    page.goto(f"/cases/{case.pk}/")
    wait_until(page, "!!window.Chart && Object.keys(Chart.instances).length > 0")

    # The quick-add posts with htmx and swaps the panel and the timeline in place.
    page.evaluate("window.notReloaded = true")
    page.select_option("#id_channel", index=1)
    page.select_option("#id_counterpart", index=1)
    page.fill("#id_note", "電話で近況を聞いた")
    page.click("#contact-panel button[type=submit]")
    page.wait_for_selector("#contact-panel .alert-success")
    assert page.evaluate("window.notReloaded") is True
    assert in_thread(ContactEntry.objects.filter(case=case).count) == 1

    assert page.console.violations == []
    assert page.console.errors == []


def test_two_factor_set_up_and_the_admin_work_under_the_policy(
    open_page: Any, centre_a: Centre
) -> None:
    """An administrator signs in to the admin, is sent to set up a second factor (the QR code
    is an inline SVG, which the policy allows), types the code and reaches the admin."""
    from base64 import b32decode

    from django_otp.oath import totp

    admin = UserFactory(username="root", role=Role.ADMIN, is_staff=True, is_superuser=True)
    page = open_page()
    page.goto("/admin/login/")
    page.fill("#id_username", admin.username)
    page.fill("#id_password", PASSWORD)
    page.click("#login-form [type=submit]")
    page.wait_for_url(re.compile(r"/accounts/two-factor/setup/"))
    assert page.locator("[data-testid=qr] svg").is_visible()
    secret = page.inner_text("[data-testid=secret]")
    page.fill("#id_code", f"{totp(b32decode(secret)):06d}")
    page.get_by_role("button", name="設定する").click()
    assert page.locator("[data-testid=backup-codes] li").count() == 10
    page.get_by_role("link", name="控えました").click()
    page.wait_for_url(re.compile(r"/admin/$"))
    page.goto(f"/admin/accounts/centre/{centre_a.pk}/change/")
    assert page.locator("#centre_form").count() == 1
    assert page.eval_on_selector("#header", "e => getComputedStyle(e).display") != "inline"
    assert page.console.violations == []
