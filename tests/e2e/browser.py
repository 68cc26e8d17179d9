"""Helpers the browser tests share (not fixtures): signing in through the real login page,
and ORM look-ups made from a thread of their own while Playwright's event loop runs."""

from __future__ import annotations

import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
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
