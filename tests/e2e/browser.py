"""Helpers the browser tests share (not fixtures): signing in through the real login page,
and ORM look-ups made from a thread of their own while Playwright's event loop runs."""

from __future__ import annotations

import os
import re
import time
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
        count_checked(len(self.axe_pages), len(self.documents))
        assert self.problems == [], "\n".join(self.problems)


def count_checked(axe: int, vnu: int) -> None:
    """With E2E_COUNTS=<file>, add a line per test: how many pages (and htmx swaps) axe-core
    checked and how many documents the Nu checker did (the issue's closing figures)."""
    path = os.environ.get("E2E_COUNTS")
    if path:
        test = os.environ.get("PYTEST_CURRENT_TEST", "?").split(" ")[0]
        with open(path, "a", encoding="utf-8") as counts:
            counts.write(f"{test}\taxe={axe}\tvnu={vnu}\n")


def screenshot(page: Any, name: str) -> None:
    """docs/screenshots/<name>.png of the whole page, only when SAVE_SCREENSHOTS=1 (so that
    ordinary test runs leave the committed pictures alone)."""
    if os.environ.get("SAVE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        # caret="initial": the default hides the text caret by giving every input an inline
        # style, which a later htmx swap would copy (and the CSP refuse).
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True, caret="initial")


class Words:
    """The UI's words in a journey's language: each Japanese source string translated as the
    pages translate it (the same catalogue), so one journey runs in Japanese and in English
    with the same steps. In English a source string without a translation fails the test
    (else the English journey would pass by finding the Japanese text)."""

    def __init__(self, language: str) -> None:
        self.language = language

    def __call__(self, source: str, **params: Any) -> str:
        from django.utils import translation

        with translation.override(self.language):
            return self._checked(source, translation.gettext(source), params)

    def p(self, context: str, source: str) -> str:
        """A string translated in a context (`{% translate "受付" context "…" %}`)."""
        from django.utils import translation

        with translation.override(self.language):
            return self._checked(source, translation.pgettext(context, source), {})

    def n(self, source: str, plural: str, count: int, **params: Any) -> str:
        """A counted string (`{% blocktranslate count counter=… %}`)."""
        from django.utils import translation

        with translation.override(self.language):
            return self._checked(source, translation.ngettext(source, plural, count), params)

    def _checked(self, source: str, text: str, params: dict[str, Any]) -> str:
        assert self.language == "ja" or text != source, f"no {self.language} text: {source}"
        return text % params if params else text

    def date(self, day: Any) -> str:
        """A day as the pages write it (accounts' `jdate`: 2026年12月8日, 8 Dec 2026)."""
        from django.utils import translation

        from accounts.templatetags.tsunagu import jdate

        with translation.override(self.language):
            return jdate(day)


def choose_language(page: Any, checked: Checked, words: Words) -> None:
    """On the page shown (the login page), switch the UI to the journey's language with the
    navbar's switch, as a user does (a cookie; the browser's own language stays Japanese)."""
    if words.language != page.evaluate("document.documentElement.lang"):
        switch = page.locator(f"[data-testid=lang-{words.language}]")
        checked.follow(page, f"{page.url} ({words.language})", switch.click)
    assert page.evaluate("document.documentElement.lang") == words.language


def sign_in(page: Any, checked: Checked, user: User, words: Words) -> None:
    """Through the login page, in the journey's language (chosen there first)."""
    checked.goto(page, "/accounts/login/", "login")
    choose_language(page, checked, words)
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    submit = page.locator("main form button[type=submit]")
    assert submit.inner_text().strip() == words("ログイン")
    checked.follow(page, "signed in", submit.click)
    assert "/accounts/login/" not in page.url


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


def wait_until(page: Any, expression: str, *, timeout: float = 10.0) -> None:
    """Until the page's expression is true, asked from here with `page.evaluate` (the
    DevTools protocol, outside the page's CSP). Not `page.wait_for_function`: Playwright
    polls a string predicate with eval inside the page, which the CSP refuses whenever the
    first check is false."""
    from playwright.sync_api import Error

    deadline = time.monotonic() + timeout
    while True:
        try:
            if page.evaluate(expression):
                return
        except Error:  # a navigation replaced the document meanwhile: ask the new one
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"never true within {timeout} s: {expression}")
        time.sleep(0.05)


def wait_for_focus(page: Any, selector: str, *, timeout: float = 5000) -> None:
    """Until the focus is on an element matching the selector (htmx moves it once a swap
    settles, a moment after the new content shows). Through a locator, not
    `page.wait_for_function`: Playwright polls a string predicate with eval, which the
    pages' CSP refuses whenever the first check is false."""
    from playwright.sync_api import expect

    expect(page.locator(f":is({selector}):focus")).to_have_count(1, timeout=timeout)


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
