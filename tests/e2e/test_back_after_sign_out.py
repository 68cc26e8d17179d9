"""A shared centre PC: after signing out, the browser's back button shows no case. Every
signed-in response is `Cache-Control: no-store, private`, so Chromium keeps the page
neither in its HTTP cache nor in its back/forward cache, and going back asks the server,
which wants a sign-in. Playwright turns Chromium's back/forward cache off by default; a real
browser has it on, so this test turns it back on (without no-store, going back restores the
case page from memory). The idle warning's script also runs here, under the strict CSP."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from accounts.models import Centre, User
from tests.e2e.browser import log_in, wait_until
from tests.e2e.conftest import CHROMIUM_ARGS, Console, chromium_path
from tests.factories import make_case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NAME = "秘密野"


@pytest.fixture
def open_real_browser_page(live_server: Any) -> Iterator[Callable[[], Any]]:
    """`page = open_real_browser_page()`: a tab of Chromium as people run it, with the
    back/forward cache; opened when the test asks (after its data fixtures, as open_page)."""
    from playwright.sync_api import sync_playwright

    with ExitStack() as stack:

        def open_() -> Any:
            playwright = stack.enter_context(sync_playwright())
            browser = playwright.chromium.launch(
                executable_path=chromium_path(),
                headless=True,
                args=CHROMIUM_ARGS,
                ignore_default_args=["--disable-back-forward-cache"],
            )
            stack.callback(browser.close)
            page = browser.new_context(base_url=live_server.url, locale="ja-JP").new_page()
            page.console = Console(page)
            return page

        yield open_


def test_the_back_button_after_sign_out_shows_no_case(
    open_real_browser_page: Callable[[], Any], centre_a: Centre, alice: User
) -> None:
    case = make_case(centre_a, alice, family_name=NAME, primary_counsellor=alice)
    page = open_real_browser_page()
    log_in(page, alice)
    page.goto("/cases/")
    page.goto(f"/cases/{case.pk}/")
    assert NAME in page.content()

    page.get_by_test_id("user-menu").click()
    page.get_by_test_id("logout").click()
    page.wait_for_url("**/accounts/login/")

    # A page restored from memory fires no load event: wait for the navigation only.
    page.go_back(wait_until="commit")
    wait_until(page, "document.readyState === 'complete'")
    assert NAME not in page.content()
    assert case.case_number not in page.content()
    assert "/accounts/login/" in page.url  # the server was asked, and wants a sign-in
    assert page.console.violations == []


def test_the_idle_warning_appears_and_continuing_keeps_the_session(
    open_page: Any, centre_a: Centre, alice: User, settings: Any
) -> None:
    """With a (test-only) two-minute idle time the warning shows after a minute; "continue"
    keeps the session and hides it."""
    settings.IDLE_TIMEOUT_ENFORCED = True
    Centre.objects.filter(pk=centre_a.pk).update(idle_timeout_minutes=2)
    page = open_page()
    page.clock.install()
    log_in(page, alice)
    page.goto("/cases/")
    assert page.locator("body").get_attribute("data-idle-timeout") == "120"
    page.clock.run_for(61_000)
    warning = page.get_by_test_id("idle-warning")
    warning.wait_for()
    assert "まもなく自動的にログアウト" in warning.inner_text()
    with page.expect_response("**/accounts/session/keepalive/") as kept:
        warning.get_by_role("button").click()
    assert kept.value.status == 204
    warning.wait_for(state="detached")
    assert page.console.violations == []
    assert page.console.errors == []
