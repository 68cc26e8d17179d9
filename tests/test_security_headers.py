"""Every page carries the Content-Security-Policy: nothing inline, nothing from elsewhere.
(That the pages still work under it is tests/e2e/test_content_security_policy.py.)"""

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def policy(response) -> dict[str, str]:
    header = response.headers["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in header.split(";"))


@pytest.mark.parametrize("who", ["anonymous", "alice"])
def test_every_page_carries_a_strict_policy(who, alice, as_alice):
    client = as_alice if who == "alice" else Client()
    for url in (reverse("login"), reverse("home"), reverse("cases:list"), "/admin/login/"):
        response = client.get(url)
        assert response.status_code in (200, 302), url
        directives = policy(response)
        assert directives["default-src"] == "'self'"
        assert directives["script-src"] == "'self'"  # no 'unsafe-inline', no 'unsafe-eval'
        assert directives["style-src"] == "'self'"
        assert directives["object-src"] == "'none'"
        assert directives["frame-ancestors"] == "'none'"
        assert directives["base-uri"] == "'none'"
