import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from django.core.management import call_command

from accounts.models import Centre, User

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_no_missing_migrations():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_ruff_passes():
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "."], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


APP_LAYERS = ["dashboards", "records", "outreach", "families", "reminders", "cases", "accounts"]


def lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(cwd)},
        capture_output=True,
        text=True,
    )


def test_the_apps_form_the_layers_of_the_style_guide():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    layers = [c for c in config["contracts"] if c["type"] == "layers"]
    assert [contract["layers"] for contract in layers] == [APP_LAYERS]
    assert set(APP_LAYERS) <= set(config["root_packages"])
    for app in APP_LAYERS:
        assert (ROOT / app / "apps.py").exists(), app


def test_import_contracts_are_kept():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        # an upward import inside a function counts as much as one at the top
        ("accounts/upward.py", "def f():\n    import dashboards.apps\n", "accounts is not allowed"),
        ("cases/upward.py", "from reminders import services\n", "cases is not allowed"),
        ("reminders/services/upward.py", "def f():\n    from reminders import tasks\n", "tasks"),
    ],
)
def test_a_new_upward_import_breaks_the_contracts(tmp_path, module, line, broken):
    """On a copy of the project: the real tree is never touched."""
    ignore = shutil.ignore_patterns("__pycache__", "migrations")
    for package in tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"][
        "root_packages"
    ]:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=ignore)
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    assert lint_imports(tmp_path).returncode == 0
    (tmp_path / module).write_text(line)
    result = lint_imports(tmp_path)
    assert result.returncode != 0
    assert "BROKEN" in result.stdout and broken in result.stdout, result.stdout


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
    from cases.models import Assessment, Case, ContactEntry, SupportPlan

    call_command(
        "seed_demo",
        "--i-know-this-is-not-production",
        stdout=open(os.devnull, "w"),  # noqa: SIM115
    )
    counts = (Case.objects.count(), ContactEntry.objects.count(), User.objects.count())
    call_command(
        "seed_demo",
        "--i-know-this-is-not-production",
        stdout=open(os.devnull, "w"),  # noqa: SIM115
    )
    assert (Case.objects.count(), ContactEntry.objects.count(), User.objects.count()) == counts
    for centre in Centre.objects.all():
        cases = Case.objects.filter(centre=centre)
        assert cases.count() >= 10
        assert ContactEntry.objects.filter(case__centre=centre).count() > 5 * cases.count()
        assert Assessment.objects.filter(case__centre=centre).exists()
        assert SupportPlan.objects.filter(case__centre=centre).exists()
        assert cases.filter(status="closed").exists() and cases.filter(status="paused").exists()
    _assert_demo_households_and_a_running_course()
    alice = User.objects.get(username="alice")
    assert alice.check_password("tsunagu-demo-2026") and alice.role == "counsellor"
    assert {u.username for u in User.objects.filter(centres__name__startswith="みなと")} >= {
        "alice",
        "bob",
        "mallory",
    }


def _assert_demo_households_and_a_running_course():
    from django.db.models import Count
    from django.utils import timezone

    from cases.models import Case, ContactEntry
    from families.models import FamilyMember, FamilyProgramme, ProgrammeAttendance

    for centre in Centre.objects.all():
        cases = Case.objects.filter(centre=centre)
        # one 80/50 household (computed from the mother's age), its plan still to write
        assert cases.filter(risk_8050=True, household_links__relation="mother").exists()
        # two withdrawn siblings share one mother
        shared = FamilyMember.objects.filter(centre=centre).annotate(n=Count("links"))
        assert shared.filter(n=2).count() == 1
        course = FamilyProgramme.objects.get(centre=centre, kind="craft")
        assert course.sessions.count() == 8 and course.members.count() == 5
        held = course.sessions.filter(starts_at__lt=timezone.now())
        assert ProgrammeAttendance.objects.filter(session__in=held, status="attended").exists()
        assert ContactEntry.objects.filter(case__centre=centre, source="family_class").exists()


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
