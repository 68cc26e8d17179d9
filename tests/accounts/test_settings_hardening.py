"""Smaller hardening: the Celery app never guesses its settings outside development,
seed_demo never runs against a production database by mistake, and the CSRF cookie is out
of JavaScript's reach (htmx takes the token from the page)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.models import Centre, User

ROOT = Path(__file__).resolve().parent.parent.parent


def import_celery_app(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DEBUG")}
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import config.celery, os; print(os.environ['DJANGO_SETTINGS_MODULE'])",
        ],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_celery_app_fails_loudly_without_its_settings_module():
    result = import_celery_app()
    assert result.returncode != 0
    assert "DJANGO_SETTINGS_MODULE is not set" in result.stderr


def test_the_celery_app_uses_the_settings_module_it_is_given():
    result = import_celery_app(DJANGO_SETTINGS_MODULE="config.settings.test")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "config.settings.test"


def test_in_development_the_celery_app_falls_back_to_the_local_settings():
    result = import_celery_app(DEBUG="true")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "config.settings.local"


@pytest.mark.django_db
def test_seed_demo_refuses_without_debug_or_the_flag(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="i-know-this-is-not-production"):
        call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    assert not User.objects.exists() and not Centre.objects.exists()


@pytest.mark.django_db
def test_seed_demo_runs_with_debug_on(settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    assert User.objects.filter(username="alice").exists()


@pytest.mark.django_db
def test_the_csrf_cookie_is_http_only_and_htmx_gets_the_token_from_the_page(as_alice):
    response = as_alice.get(reverse("cases:list"))
    cookie = response.cookies["csrftoken"]
    assert cookie["httponly"] is True
    assert 'hx-headers=\'{"X-CSRFToken": "' in response.content.decode()
