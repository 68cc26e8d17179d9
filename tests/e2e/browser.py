"""Helpers the browser tests share (not fixtures): signing in through the real login page,
and ORM look-ups made from a thread of their own while Playwright's event loop runs."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from django.db import connections

from accounts.models import User
from tests.factories import PASSWORD


def in_thread[T](query: Callable[[], T]) -> T:
    """Run ORM code in a thread of its own (no event loop there) and close its connection."""

    def run() -> T:
        try:
            return query()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


def log_in(page: Any, user: User) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="ログイン", exact=True).click()
    # Home, after the redirect (a counsellor's home is their day).
    page.wait_for_url(re.compile(r"^https?://[^/]+/(dashboards/my-day/)?$"))


# --- for the journeys of issue 17 ------------------------------------------------------------

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
DESKTOP = {"width": 1280, "height": 800}


class Checked:
    """What a journey collects as it goes: every page it visits is checked by axe-core at once
    (after any htmx swap too), and the HTML each navigation brought is kept for one run of the
    Nu checker at the end (`finish`), with the console's errors and CSP violations."""

    def __init__(self) -> None:
        self.documents: dict[str, str] = {}
        self.problems: list[str] = []
        self.axe_pages: list[str] = []

    def axe(self, page: Any, name: str) -> None:
        from tests.e2e.checks import axe_violations

        self.axe_pages.append(name)
        self.problems += [f"{name}: axe {v}" for v in axe_violations(page)]

    def html(self, name: str, response: Any) -> None:
        assert response is not None and response.ok, (name, response and response.status)
        self.documents[name] = response.text()

    def goto(self, page: Any, url: str, name: str | None = None) -> Any:
        """Open the address, and check the page."""
        response = page.goto(url)
        self.html(name or url, response)
        self.axe(page, name or url)
        return response

    def follow(self, page: Any, name: str, action: Callable[[], Any]) -> Any:
        """Do what leads to a new page (a click, a key), wait for it, and check it."""
        with page.expect_navigation() as navigation:
            action()
        self.html(name, navigation.value)
        self.axe(page, name)
        return navigation.value

    def finish(self, *pages: Any) -> None:
        from tests.e2e.checks import vnu_errors

        for page in pages:
            self.problems += [f"console {e}" for e in page.console.errors]
            self.problems += [f"CSP {e}" for e in page.console.violations]
        for name, errors in vnu_errors(self.documents).items():
            self.problems += [f"{name}: html {error}" for error in errors]
        assert self.problems == [], "\n".join(self.problems)


def screenshot(page: Any, name: str) -> None:
    """docs/screenshots/<name>.png of the whole page, only when SAVE_SCREENSHOTS=1 (so that
    ordinary test runs leave the committed pictures alone)."""
    if os.environ.get("SAVE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        # caret="initial": the default hides the text caret by giving every input an inline
        # style, which a later htmx swap would copy (and the CSP refuse).
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True, caret="initial")


def second_tab(page: Any, **context_options: Any) -> Any:
    """A tab of another device (a viewport, a touch screen) in the same browser, signed in as
    the first one is (its cookies copied), its console recorded like the first's."""
    from tests.e2e.conftest import Console

    first = page.context
    base_url = re.match(r"^https?://[^/]+", page.url)
    assert base_url is not None
    context = first.browser.new_context(
        base_url=base_url.group(0), locale="ja-JP", **context_options
    )
    context.add_cookies(first.cookies())
    tab = context.new_page()
    tab.console = Console(tab)
    return tab


def tab_to(page: Any, selector: str, *, limit: int = 200) -> None:
    """Press Tab until the element matching the selector has the focus (as a keyboard user
    does); fails if it never gets it."""
    for _ in range(limit):
        if page.evaluate("s => document.activeElement?.matches(s) ?? false", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} never got the focus in {limit} presses of Tab")


def session_running_now(centre: Any, by: User, staff: list[User]) -> Any:
    """An ibasho session that runs now and began today in Tokyo (people are checked in on
    the session's day), at the door's usual room: the check-in tests' and journeys' session."""
    import datetime as dt

    from django.utils import timezone

    from outreach import services

    now = timezone.now()
    start_of_today = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    return services.session_create(
        centre=centre,
        by=by,
        fields={
            "place": "ひだまりルーム",
            "starts_at": max(now - dt.timedelta(hours=1), start_of_today),
            "ends_at": now + dt.timedelta(hours=2),
        },
        staff=staff,
    )
