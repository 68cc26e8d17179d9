"""Browser tests: Playwright (Python) driving Debian's chromium, the binary on PATH.

Never a downloaded browser: `scripts/services.sh` installs the `chromium` package, and a
machine without it fails these tests loudly instead of skipping them.

While Playwright's sync API runs, its event loop makes Django refuse ORM calls in the test's
thread (SynchronousOnlyOperation). So the browser opens only when the test asks for it,
after its data fixtures have run, and any later database look-up goes through `in_thread`."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-gpu",
]


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.fail("Debian's chromium is not on PATH: run `bash scripts/services.sh`")
    return path


class Console:
    """What the page wrote to its console, and every Content-Security-Policy violation."""

    def __init__(self, page: Any) -> None:
        self.errors: list[str] = []
        self.violations: list[str] = []
        page.on("console", self._message)
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        # The browser also raises an event per violation, whatever it logs.
        page.add_init_script(
            "document.addEventListener('securitypolicyviolation', e => console.error("
            "'CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI))"
        )

    def _message(self, message: Any) -> None:
        if message.type == "error":
            # Where it came from: "Failed to load resource" names no file in its text.
            where = (message.location or {}).get("url", "")
            self.errors.append(f"{message.text} ({where})" if where else message.text)
            if "Content Security Policy" in message.text or "CSP violation" in message.text:
                self.violations.append(message.text)


@pytest.fixture
def open_page(live_server: Any) -> Iterator[Callable[..., Any]]:
    """`page = open_page()`: a Japanese-locale tab on the live server, its console recorded
    in `page.console`. Closed, with Chromium, before the test database is emptied. Options
    go to the browser context: `open_page(viewport={"width": 768, "height": 1024},
    has_touch=True)` is a tablet."""
    from playwright.sync_api import sync_playwright

    with ExitStack() as stack:

        def open_(**context_options: Any) -> Any:
            playwright = stack.enter_context(sync_playwright())
            browser = playwright.chromium.launch(
                executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS
            )
            stack.callback(browser.close)
            context = browser.new_context(
                base_url=live_server.url, locale="ja-JP", **context_options
            )
            page = context.new_page()
            page.console = Console(page)
            return page

        yield open_
