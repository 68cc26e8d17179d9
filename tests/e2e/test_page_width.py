"""A manager's pages fit a 1280 px laptop screen: the menu (the longest, with every
oversight link) wraps instead of widening the page."""

from __future__ import annotations

from typing import Any

import pytest

from accounts.models import User
from tests.e2e.browser import in_thread
from tests.factories import client_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_managers_dashboard_is_no_wider_than_a_laptop(
    open_page: Any, live_server: Any, mallory: User
) -> None:
    session = in_thread(lambda: client_for(mallory).cookies["sessionid"].value)
    page = open_page(viewport={"width": 1280, "height": 800})
    page.context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])
    page.goto("/dashboards/centre/")
    assert page.locator("[data-testid=nav-manager-dashboard]").is_visible()
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 1280, width
