import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_no_missing_migrations():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_ruff_passes():
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "."], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_templates_load_nothing_from_a_cdn():
    for template in (ROOT / "templates").rglob("*.html"):
        text = template.read_text()
        assert "cdn." not in text and "unpkg.com" not in text, template


def test_production_settings_pass_check_deploy_without_warnings():
    import os

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": "x" * 30 + "-production-secret-" + "y" * 30,
        "ALLOWED_HOSTS": "tsunagu.example.jp",
        "CSRF_TRUSTED_ORIGINS": "https://tsunagu.example.jp",
        "EMAIL_URL": "smtp+tls://user:pass@smtp.example.jp:587",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.django_db
def test_seed_demo_creates_realistic_cases_in_both_centres_and_is_idempotent():
    from accounts.models import Centre, User
    from cases.models import Assessment, Case, ContactEntry, SupportPlan

    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    counts = (Case.objects.count(), ContactEntry.objects.count(), User.objects.count())
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    assert (Case.objects.count(), ContactEntry.objects.count(), User.objects.count()) == counts
    for centre in Centre.objects.all():
        cases = Case.objects.filter(centre=centre)
        assert cases.count() >= 10
        assert ContactEntry.objects.filter(case__centre=centre).count() > 5 * cases.count()
        assert Assessment.objects.filter(case__centre=centre).exists()
        assert SupportPlan.objects.filter(case__centre=centre).exists()
        assert cases.filter(status="closed").exists() and cases.filter(status="paused").exists()
    alice = User.objects.get(username="alice")
    assert alice.check_password("tsunagu-demo-2026") and alice.role == "counsellor"
    assert {u.username for u in User.objects.filter(centres__name__startswith="みなと")} >= {
        "alice",
        "bob",
        "mallory",
    }


def test_english_catalogue_is_complete():
    po = ROOT / "locale" / "en" / "LC_MESSAGES" / "django.po"
    untranslated = subprocess.run(
        ["msgattrib", "--untranslated", "--no-wrap", str(po)], capture_output=True, text=True
    ).stdout
    fuzzy = subprocess.run(
        ["msgattrib", "--only-fuzzy", "--no-wrap", str(po)], capture_output=True, text=True
    ).stdout
    missing = [
        line
        for line in untranslated.splitlines()
        if line.startswith('msgid "') and line != 'msgid ""'
    ]
    assert missing == [] and "msgid" not in fuzzy.replace('msgid ""', "", 1)


def test_services_script_starts_redis_when_it_does_not_answer(unused_tcp_port):
    """The start path of scripts/services.sh, on a port of its own (never the machine's
    Redis); PostgreSQL already answers, so that part must do nothing."""
    import signal

    env = {**os.environ, "REDIS_PORT": str(unused_tcp_port), "WITH_CHROMIUM": "0"}
    pidfile = Path(f"/var/lib/redis/tsunagu-{unused_tcp_port}.pid")
    try:
        result = subprocess.run(
            ["bash", "scripts/services.sh"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert f"starting Redis on port {unused_tcp_port}" in result.stdout
        ping = subprocess.run(
            ["redis-cli", "-p", str(unused_tcp_port), "ping"], capture_output=True, text=True
        )
        assert ping.stdout.strip() == "PONG"
        again = subprocess.run(
            ["bash", "scripts/services.sh"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert "starting" not in again.stdout  # already answering: nothing to do
    finally:
        if pidfile.exists():
            os.kill(int(pidfile.read_text().strip()), signal.SIGTERM)
