"""Load test of the pages staff use all day (issue 13): locust, headless, against gunicorn (3 sync
workers) with the production settings and all their middleware, every request sent as the
TLS-terminating proxy sends it (`X-Forwarded-Proto: https`, `X-Forwarded-For`).

    uv run python bench/load.py --db tsunagu_bench_load                  # 50 users, 5 min, 2 x 60 s
    uv run python bench/load.py --db tsunagu_bench_load --users 10 --minutes 1 --capacity-seconds 30
    uv run python bench/load.py --db tsunagu_bench_load --seed-cases 2000  # seeds an empty database
    uv run python bench/load.py --help

The database must hold `manage.py seed_scale` data (its counsellors and managers are the
simulated users); `--seed-cases N` runs `seed_scale --cases N` on it first if it has no
cases. The command refuses the developer's database (`tsunagu`): it writes sessions, an
authenticator per manager and audit events (every case page viewed is one).

1. **Sessions, no password, no second factor.** Hashing a password costs ~1 s of CPU per
   login, and managers must enter a TOTP code. So, before locust starts, one real Django
   session per simulated user is written directly into the database with the session engine
   (`SessionStore`): the auth keys `django.contrib.auth.login()` writes (user id, backend,
   session auth hash under the server's SECRET_KEY) and, for a user who needs a second factor
   (`accounts.services.two_factor_required`), django-otp's `otp_device_id`, the persistent id
   of a confirmed TOTP device of theirs (one named "load benchmark" is created if they have
   none): what `django_otp.login()` stores once a code is verified, and what
   `OTPMiddleware` reads to make `user.is_verified()` true. Managers are `--manager-share` of
   the simulated users; several simulated users may share an account (one session each).
   Each session is checked to be signed in (its first GET answers 200, not a redirect) before
   the load starts; all of them are deleted at the end.
2. **The server.** `gunicorn config.wsgi --workers 3` on a free port of 127.0.0.1, with
   `config.settings.production` and the environment production needs: a random SECRET_KEY,
   ALLOWED_HOSTS=127.0.0.1,localhost, DATABASE_URL of the benchmark database, STATIC_ROOT a
   temporary directory that `collectstatic` fills first (the manifest storage needs its
   staticfiles.json to render `{% static %}`; collected with Django's
   ManifestStaticFilesStorage, which writes the same hashed names and manifest as the
   production whitenoise storage without its ~30 s of gzip and brotli compression: the test
   requests pages, not the static files a browser keeps cached). SECURE_SSL_REDIRECT stays
   on: the proxy header makes the requests secure (checked: one without it is redirected to
   https). REDIS_URL and the rest come from the environment (nothing here publishes a task).
   The workers boot while this process migrates and prepares the sessions; once they answer,
   a few requests of each page warm them (templates, translations). Python's bytecode of the
   processes started here goes to $TMPDIR/tsunagu-load-pycache, not into the tree: where
   PYTHONDONTWRITEBYTECODE is set every worker would compile the whole app again. The server's
   log is scanned for errors afterwards; only the processes this command started are stopped
   (SIGTERM to the gunicorn master's PID, SIGKILL to its process group if it lingers).
3. **(a) Staff** (`--users`, a page every `--wait-min`..`--wait-max` s, `--minutes`):
   locust `StaffUser` (bench/locustfile.py): counsellors go round the case list, a case page
   of their own and "my day"; managers also the centre dashboard.
4. **(b) Capacity** (`--capacity-users`, no think time, `--capacity-seconds` each): the case
   list alone, then the case page alone (`CapacityUser`, counsellors' sessions), reported as
   requests per second.
5. **Results**: per page requests, failures, median and p95 (locust's, which rounds times
   above 100 ms to 10 ms), requests per second; the CPU count and load average; the CPU
   seconds used by gunicorn and by locust itself (locust shares the 2 CPUs with the server,
   so the capacity figure is a floor), and the machine's busy share. Written as JSON
   (`--out`) and as a markdown fragment beside it (same name, `.md`). The exit status is 1 if
   any request failed or the server logged an error; the latency and capacity targets are
   reported, not enforced (they depend on the machine).

From another script that has set Django up on the database (bench/pages.py):
`load.run_load(db=..., users=..., minutes=...)` returns the results, `load.markdown(results)`
the fragment for bench/results.md; importing this module has no side effects.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import http.client
import json
import os
import platform
import random
import re
import resource
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.sweep_db import PROTECTED_DATABASES, database_url  # noqa: E402

SETTINGS_MODULE = "config.settings.production"
WORKERS = 3
LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"
DEVICE_NAME = "load benchmark"
CASES_PER_USER = 100  # case pages each simulated user chooses from
PAGES = ("case list", "case page", "my day", "dashboard")
CAPACITY_PAGES = ("case list", "case page")
# Bytecode of every process the load test starts (and of this one, run as a command), kept
# outside the tree: with PYTHONDONTWRITEBYTECODE set, as here, each gunicorn worker and each
# locust run would compile ~1,500 source files again (~5 s of CPU), where production loads
# cached bytecode.
PYCACHE = Path(tempfile.gettempdir()) / "tsunagu-load-pycache"
TOKYO = ZoneInfo("Asia/Tokyo")
TARGET_P95_MS = 250.0
TARGET_CASE_LIST_RPS = 60.0


# --- arguments ---------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Load test (locust) of the staff pages against gunicorn, production settings.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--db", required=True, help="database with seed_scale data")
    parser.add_argument("--users", type=int, default=50, help="simulated staff for (a)")
    parser.add_argument("--minutes", type=float, default=5.0, help="duration of (a)")
    parser.add_argument("--spawn-rate", type=float, default=10.0, help="users started per second")
    parser.add_argument("--wait-min", type=float, default=5.0, help="think time, seconds")
    parser.add_argument("--wait-max", type=float, default=15.0, help="think time, seconds")
    parser.add_argument(
        "--manager-share", type=float, default=0.2, help="share of the simulated users"
    )
    parser.add_argument(
        "--capacity-seconds", type=int, default=60, help="duration of each run of (b); 0 skips"
    )
    parser.add_argument(
        "--capacity-users", type=int, default=6, help="concurrent users with no think time"
    )
    parser.add_argument(
        "--seed-cases", type=int, default=0, help="seed_scale --cases N if the db has no cases"
    )
    parser.add_argument("--seed", type=int, default=1, help="random choice of users and cases")
    parser.add_argument(
        "--out",
        type=Path,
        default=ROOT / "bench" / "load_results.json",
        help="the JSON; the markdown fragment goes beside it (.md)",
    )
    args = parser.parse_args(argv)
    if args.users < 1 or args.capacity_users < 1:
        parser.error("--users and --capacity-users must be at least 1")
    if args.minutes <= 0 or args.capacity_seconds < 0:
        parser.error("--minutes must be positive, --capacity-seconds at least 0")
    if not 0 < args.wait_min <= args.wait_max:
        parser.error("need 0 < --wait-min <= --wait-max")
    if not 0 <= args.manager_share <= 1:
        parser.error("--manager-share must be between 0 and 1")
    return args


# --- the database and Django (this process: sessions, static files) -----------------------


def server_env(db: str, static_root: Path, secret_key: str) -> dict[str, str]:
    """The environment production needs (config/settings/production.py), for gunicorn and
    for this process, which must sign sessions with the same SECRET_KEY."""
    env = {**os.environ}
    for name in ("DEBUG", "DATABASE_REPLICA_URL"):  # production's own, and one database
        env.pop(name, None)
    env.update(
        DJANGO_SETTINGS_MODULE=SETTINGS_MODULE,
        SECRET_KEY=secret_key,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=database_url(db),
        STATIC_ROOT=str(static_root),
        PYTHONUNBUFFERED="1",
    )
    return with_bytecode_cache(env)


def with_bytecode_cache(env: dict[str, str]) -> dict[str, str]:
    env = {**env, "PYTHONPYCACHEPREFIX": str(PYCACHE)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def django_setup(db: str, env: dict[str, str], seed_cases: int) -> None:
    """Django in this process on the benchmark database (created if missing). Run as a
    command, with the production settings and the server's environment; imported by a script
    that has set Django up already (bench/pages.py), with its settings: the server then gets
    that process's SECRET_KEY, which signs the sessions."""
    if db in PROTECTED_DATABASES or db.startswith("test"):
        sys.exit(f"refusing to use database {db!r}: the load test writes sessions and devices")
    import psycopg
    from psycopg import sql

    with psycopg.connect(database_url("postgres"), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db]).fetchone():
            if not seed_cases:
                sys.exit(f"no database {db!r}: create it and run seed_scale, or --seed-cases N")
            print(f"creating database {db}")
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db)))

    import django
    from django.apps import apps
    from django.db import connection

    if not apps.ready:
        os.environ.update(env)
        django.setup()
    if connection.settings_dict["NAME"] != db:
        sys.exit(f"Django is connected to {connection.settings_dict['NAME']!r}, not {db!r}")


def migrate_and_seed(db: str, seed_cases: int) -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)

    from cases.models import Case

    if not Case.objects.exists():
        if not seed_cases:
            sys.exit(f"{db!r} has no cases: run manage.py seed_scale on it, or --seed-cases N")
        call_command("seed_scale", cases=seed_cases)


def collect_static(static_root: Path) -> None:
    from django.conf import settings
    from django.core.management import call_command
    from django.test.utils import override_settings

    storage = "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
    with override_settings(
        STATIC_ROOT=str(static_root),
        STORAGES={**settings.STORAGES, "staticfiles": {"BACKEND": storage}},
    ):
        call_command("collectstatic", interactive=False, verbosity=0)


def client_ip(n: int) -> str:
    return f"10.20.{n // 250}.{n % 250 + 1}"


def prepare_sessions(args: argparse.Namespace, two_factor_roles: list[str]) -> dict[str, Any]:
    """One signed-in (and, where the server asks for it, second-factor-verified) session per
    simulated user, written with the session engine; what the locustfile reads."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.test.utils import override_settings
    from django.urls import reverse
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.models import Role, User
    from accounts.services import two_factor_required
    from cases.models import Case

    rng = random.Random(args.seed)
    store = import_module(settings.SESSION_ENGINE).SessionStore
    backend = "django.contrib.auth.backends.ModelBackend"
    assert backend in settings.AUTHENTICATION_BACKENDS
    accounts = {
        role: list(
            User.objects.filter(role=role, is_active=True, centres__isnull=False)
            .distinct()
            .order_by("id")
        )
        for role in (Role.COUNSELLOR, Role.MANAGER)
    }
    if not accounts[Role.COUNSELLOR] or not accounts[Role.MANAGER]:
        sys.exit("the database needs counsellors and managers: run manage.py seed_scale on it")
    managers = round(args.users * args.manager_share)
    if args.users > 1 and args.manager_share > 0:
        managers = min(max(managers, 1), args.users - 1)  # both roles, however few users
    roles = [Role.MANAGER] * managers + [Role.COUNSELLOR] * (args.users - managers)
    rng.shuffle(roles)
    people: list[dict[str, Any]] = []
    turns = {role: 0 for role in accounts}
    for n, role in enumerate(roles):
        user = accounts[role][turns[role] % len(accounts[role])]
        turns[role] += 1
        centres = user.centres.all()
        cases = Case.objects.filter(centre__in=centres)
        if role == Role.COUNSELLOR and cases.filter(primary_counsellor=user).exists():
            cases = cases.filter(primary_counsellor=user)
        ids = list(cases.order_by("id").values_list("id", flat=True))
        chosen = rng.sample(ids, min(CASES_PER_USER, len(ids)))
        session = store()
        session[SESSION_KEY] = user._meta.pk.value_to_string(user)
        session[BACKEND_SESSION_KEY] = backend
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        with override_settings(TWO_FACTOR_ROLES=two_factor_roles):  # the server's, not ours
            verify = two_factor_required(user)
        if verify:
            device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()
            if device is None:
                device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=True)
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.create()
        people.append(
            {
                "username": user.username,
                "role": str(role),
                "session": session.session_key,
                "ip": client_ip(n),
                "cases": [reverse("cases:detail", args=[pk]) for pk in chosen],
            }
        )
    return {
        "cookie": settings.SESSION_COOKIE_NAME,
        "login": reverse(settings.LOGIN_URL),
        "pages": {
            "case list": reverse("cases:list"),
            "my day": reverse("dashboards:my_day"),
            "dashboard": reverse("dashboards:manager"),
        },
        "users": people,
    }


def delete_sessions(prepared: dict[str, Any]) -> None:
    from importlib import import_module

    from django.conf import settings

    store = import_module(settings.SESSION_ENGINE).SessionStore
    for person in prepared["users"]:
        store(session_key=person["session"]).delete()


def data_summary() -> dict[str, Any]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM cases_case), (SELECT count(*) FROM accounts_centre), "
            "(SELECT count(*) FROM cases_contactentry), version()"
        )
        cases, centres, contacts, version = cursor.fetchone()
    return {
        "cases": cases,
        "centres": centres,
        "contact_entries": contacts,
        "postgresql": version.split(" on ")[0],
    }


# --- gunicorn --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get(
    port: int, path: str, headers: dict[str, str] | None = None, timeout: float = 10.0
) -> tuple[int, str]:
    """One GET, no redirect followed: (status, Location)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        response.read()
        return response.status, response.getheader("Location") or ""
    finally:
        conn.close()


def proxy_headers(ip: str, session: str | None = None, cookie: str = "sessionid") -> dict[str, str]:
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": ip}
    if session:
        headers["Cookie"] = f"{cookie}={session}"
    return headers


@contextmanager
def gunicorn(env: dict[str, str], log_path: Path) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """gunicorn with the production settings on a free port, booting while the caller goes
    on (`wait_until_up`); stopped by its PID on exit."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi",
        "--workers",
        str(WORKERS),
        "--bind",
        f"127.0.0.1:{port}",
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        yield port, process
    finally:
        stop(process)


def wait_until_up(port: int, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited ({process.returncode}):\n{tail(log_path)}")
        try:
            status, _ = get(port, "/accounts/login/", proxy_headers("10.20.255.1"), 2)
            if status == 200:
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"gunicorn did not answer within 60 s:\n{tail(log_path)}")
        time.sleep(0.25)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)  # the master stops its workers gracefully
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # its own session: only what it started
            process.wait()


def tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def cpu_seconds(pid: int) -> float:
    """CPU time of a process and its live children (the gunicorn master and its workers)."""
    import psutil

    total = 0.0
    master = psutil.Process(pid)
    for proc in [master, *master.children(recursive=True)]:
        try:
            times = proc.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, all cores."""
    import psutil

    times = psutil.cpu_times()
    total = sum(times)
    idle = times.idle + getattr(times, "iowait", 0.0)
    return total - idle, total


LOG_PROBLEM = re.compile(r"Traceback|\bERROR\b|\bCRITICAL\b|WORKER TIMEOUT|\[ERROR\]")


LOG_WARNING = re.compile(r"\bWARNING\b|\[WARNING\]")
LOG_RAISED = re.compile(r"[\w.]+(Error|Exception|Timeout|Warning)\b")


def server_log(path: Path) -> dict[str, Any]:
    """Errors (a 500, a traceback, a worker killed) fail the run; warnings (a 4xx, Django's
    security checks) are only counted."""
    lines = path.read_text(errors="replace").splitlines()
    problems = [line for line in lines if LOG_PROBLEM.search(line)]
    warnings = [line for line in lines if LOG_WARNING.search(line)]
    # What each traceback ended with (the exception and its message), to say what failed.
    raised = [
        line
        for line, following in zip(lines, [*lines[1:], ""], strict=True)
        if line
        and not line.startswith((" ", "Traceback"))
        and LOG_RAISED.match(line)
        and not following.startswith(" ")
    ]
    return {
        "problems": len(problems),
        "first": problems[:20],
        "raised": sorted(set(raised))[:20],
        "warnings": len(warnings),
        "first_warnings": warnings[:10],
    }


# --- locust ------------------------------------------------------------------------------------


def run_locust(
    *,
    user_class: str,
    users: int,
    spawn_rate: float,
    seconds: int,
    port: int,
    workdir: Path,
    label: str,
    extra_env: dict[str, str],
    server_pid: int,
) -> dict[str, Any]:
    """One headless locust run; its CSV summary per page, and the CPU it and the server used."""
    prefix = workdir / label
    command = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--users",
        str(users),
        "--spawn-rate",
        str(spawn_rate),
        "--run-time",
        f"{seconds}s",
        "--host",
        f"http://127.0.0.1:{port}",
        "--csv",
        str(prefix),
        "--only-summary",
        "--loglevel",
        "WARNING",
        "--exit-code-on-error",
        "0",
        "--stop-timeout",
        "5",
        user_class,
    ]
    env = with_bytecode_cache({**os.environ, **extra_env})
    log_path = workdir / f"{label}-locust.log"
    load_before = os.getloadavg()
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_before = cpu_seconds(server_pid)
    busy_before, total_before = machine_busy()
    started = time.perf_counter()
    with log_path.open("wb") as log:
        finished = subprocess.run(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, check=False
        )
    wall = time.perf_counter() - started
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy_after, total_after = machine_busy()
    if finished.returncode != 0:
        raise RuntimeError(f"locust exited with {finished.returncode}:\n{tail(log_path)}")
    pages, total = read_stats(prefix)
    locust_log = log_path.read_text(errors="replace")
    return {
        "user_class": user_class,
        "users": users,
        "seconds": seconds,
        "wall_seconds": round(wall, 1),
        "pages": pages,
        "total": total,
        "failures": read_failures(prefix),
        "locust_cpu_seconds": round(
            children.ru_utime
            - children_before.ru_utime
            + children.ru_stime
            - children_before.ru_stime,
            2,
        ),
        "locust_cpu_warning": "CPU usage" in locust_log,
        "gunicorn_cpu_seconds": round(cpu_seconds(server_pid) - server_before, 2),
        "machine_busy_percent": round(
            100 * (busy_after - busy_before) / max(total_after - total_before, 1e-9), 1
        ),
        "loadavg_before": [round(x, 2) for x in load_before],
        "loadavg_after": [round(x, 2) for x in os.getloadavg()],
    }


def page_figures(row: dict[str, str]) -> dict[str, Any]:
    def number(key: str) -> float:
        value = row.get(key, "") or "0"
        return 0.0 if value == "N/A" else float(value)

    return {
        "requests": int(number("Request Count")),
        "failures": int(number("Failure Count")),
        "median_ms": number("50%"),
        "p95_ms": number("95%"),
        "p99_ms": number("99%"),
        "max_ms": round(number("Max Response Time"), 1),
        "mean_ms": round(number("Average Response Time"), 1),
        "rps": round(number("Requests/s"), 2),
    }


def read_stats(prefix: Path) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    pages: dict[str, dict[str, Any]] = {}
    total: dict[str, Any] = {}
    with Path(f"{prefix}_stats.csv").open(newline="", encoding="utf-8") as file:
        for row in csv.DictReader(file):
            if row["Name"] == "Aggregated":
                total = page_figures(row)
            else:
                pages[row["Name"]] = page_figures(row)
    return pages, total


def read_failures(prefix: Path) -> list[dict[str, Any]]:
    path = Path(f"{prefix}_failures.csv")
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as file:
        return [
            {"page": row["Name"], "error": row["Error"], "count": int(row["Occurrences"])}
            for row in csv.DictReader(file)
        ]


# --- the run ----------------------------------------------------------------------------------


def check_sessions(port: int, prepared: dict[str, Any]) -> dict[str, bool]:
    """Every prepared session is signed in (my day answers 200, not a redirect to the login
    or the second factor); the workers are warmed; and without the proxy's header the
    production settings redirect to https, so the header is what makes the requests
    secure."""
    for person in prepared["users"]:
        headers = proxy_headers(person["ip"], person["session"], prepared["cookie"])
        status, location = get(port, prepared["pages"]["my day"], headers)
        if status != 200:
            raise RuntimeError(
                f"the prepared session of {person['username']} is not signed in: "
                f"{status} {location}"
            )
    # Warm: each worker compiles its templates and loads its translations on first use, as
    # a long-running production worker did long ago.
    by_role = {person["role"]: person for person in prepared["users"]}
    for page in PAGES:
        person = by_role.get("manager" if page == "dashboard" else "counsellor")
        if person is None:
            continue
        path = person["cases"][0] if page == "case page" else prepared["pages"][page]
        for _ in range(WORKERS):
            get(port, path, proxy_headers(person["ip"], person["session"], prepared["cookie"]))
    plain, location = get(port, prepared["pages"]["my day"])
    return {
        "every prepared session signed in (200)": True,
        "without X-Forwarded-Proto: redirected to https": plain in (301, 302)
        and location.startswith("https://"),
    }


def step(started: float, text: str) -> None:
    print(f"[{time.perf_counter() - started:6.1f} s] {text}", flush=True)


def run(args: argparse.Namespace) -> dict[str, Any]:
    started_at = dt.datetime.now(TOKYO)  # the app's time zone, whatever this process's
    started, load_at_start = time.perf_counter(), os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="tsunagu-load-") as tmp:
        workdir = Path(tmp)
        env = server_env(args.db, workdir / "static", secrets.token_urlsafe(50))
        django_setup(args.db, env, args.seed_cases)
        from django.conf import settings
        from django.db import connections

        env["SECRET_KEY"] = settings.SECRET_KEY  # what signs the sessions (see django_setup)
        # production.py's default, or what the environment says (the server reads the same).
        roles = env.get("TWO_FACTOR_ROLES", "counsellor,manager,admin").split(",")
        collect_static(workdir / "static")
        step(started, "static files collected (manifest); gunicorn starting")
        log_path = workdir / "gunicorn.log"
        prepared: dict[str, Any] = {"users": []}
        results: dict[str, Any] = {}
        try:
            # The workers boot (import the app) while this process migrates and prepares.
            with gunicorn(env, log_path) as (port, server):
                migrate_and_seed(args.db, args.seed_cases)
                step(started, f"database {args.db} migrated")
                data = data_summary()
                prepared = prepare_sessions(args, [r.strip() for r in roles if r.strip()])
                connections.close_all()  # nothing held open while the server works
                sessions_file = workdir / "sessions.json"
                sessions_file.write_text(json.dumps(prepared), encoding="utf-8")
                step(started, f"{len(prepared['users'])} sessions prepared")
                results = initial_results(args, started_at, load_at_start, data, prepared)
                wait_until_up(port, server, log_path)
                step(started, f"gunicorn answers on 127.0.0.1:{port}")
                results["checks"] = check_sessions(port, prepared)
                step(started, f"sessions signed in, workers warm; (a) {args.users} staff")
                locust_env = {
                    "TSUNAGU_LOAD_SESSIONS": str(sessions_file),
                    "TSUNAGU_LOAD_WAIT": f"{args.wait_min},{args.wait_max}",
                }
                results["staff"] = run_locust(
                    user_class="StaffUser",
                    users=args.users,
                    spawn_rate=args.spawn_rate,
                    seconds=round(args.minutes * 60),
                    port=port,
                    workdir=workdir,
                    label="staff",
                    extra_env=locust_env,
                    server_pid=server.pid,
                )
                results["capacity"] = {}
                for page in CAPACITY_PAGES if args.capacity_seconds else ():
                    step(started, f"(b) capacity: {page} for {args.capacity_seconds} s")
                    results["capacity"][page] = run_locust(
                        user_class="CapacityUser",
                        users=args.capacity_users,
                        spawn_rate=args.capacity_users,
                        seconds=args.capacity_seconds,
                        port=port,
                        workdir=workdir,
                        label=f"capacity-{page.replace(' ', '-')}",
                        extra_env={**locust_env, "TSUNAGU_LOAD_TARGET": page},
                        server_pid=server.pid,
                    )
            step(started, "gunicorn stopped")
        finally:
            delete_sessions(prepared)
            connections.close_all()
        results["server_log"] = server_log(log_path)
        results["machine"]["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
        results["targets"] = targets(results)
        return results


def initial_results(
    args: argparse.Namespace,
    started_at: dt.datetime,
    load_at_start: tuple[float, float, float],
    data: dict[str, Any],
    prepared: dict[str, Any],
) -> dict[str, Any]:
    simulated = [person["role"] for person in prepared["users"]]
    data["simulated"] = {role: simulated.count(role) for role in sorted(set(simulated))}
    data["accounts"] = len({person["username"] for person in prepared["users"]})
    return {
        "parameters": {
            "db": args.db,
            "users": args.users,
            "minutes": args.minutes,
            "wait_seconds": [args.wait_min, args.wait_max],
            "spawn_rate": args.spawn_rate,
            "capacity_seconds": args.capacity_seconds,
            "capacity_users": args.capacity_users,
            "gunicorn_workers": WORKERS,
            "settings": SETTINGS_MODULE,
        },
        "machine": {
            "started_at": started_at.isoformat(timespec="seconds"),
            "cpus": os.cpu_count(),
            "loadavg_at_start": [round(x, 2) for x in load_at_start],
            "python": platform.python_version(),
            "machine": platform.machine(),
        },
        "data": data,
    }


def targets(results: dict[str, Any]) -> dict[str, Any]:
    staff = results["staff"]
    capacity = results.get("capacity", {})
    failures = staff["total"].get("failures", 0) + sum(
        c["total"].get("failures", 0) for c in capacity.values()
    )
    worst = max((p["p95_ms"] for p in staff["pages"].values()), default=0.0)
    out: dict[str, Any] = {
        "errors": {"target": 0, "value": failures, "met": failures == 0},
        "p95_ms_every_page": {
            "target": TARGET_P95_MS,
            "value": worst,
            "met": worst <= TARGET_P95_MS,
        },
    }
    if "case list" in capacity:
        rps = capacity["case list"]["total"]["rps"]
        out["case_list_rps"] = {
            "target": TARGET_CASE_LIST_RPS,
            "value": rps,
            "met": rps >= TARGET_CASE_LIST_RPS,
        }
    return out


# --- the report --------------------------------------------------------------------------------


def _met(ok: bool) -> str:
    return "met" if ok else "**not met**"


def _ms(value: float) -> str:
    return f"{value:,.0f} ms"


def markdown(results: dict[str, Any]) -> str:
    """The results as a markdown fragment for bench/results.md (no side effects)."""
    params, machine, data = results["parameters"], results["machine"], results["data"]
    staff = results["staff"]
    wait = params["wait_seconds"]
    simulated = ", ".join(
        f"{n} {role}{'s' if n != 1 else ''}" for role, n in data.get("simulated", {}).items()
    )
    lines = [
        f"## Load test at {data['cases']:,} cases ({machine['started_at'][:10]}): locust "
        f"against gunicorn ({params['gunicorn_workers']} sync workers, production settings)",
        "",
        f"{machine['started_at'][11:16]} JST, {machine['cpus']} CPUs, load average "
        f"{machine['loadavg_at_start'][0]:.2f} at the start, "
        f"{machine.get('loadavg_at_end', [0.0])[0]:.2f} at the end; database `{params['db']}`: "
        f"{data['cases']:,} cases, {data['centres']} centre(s), {data['contact_entries']:,} "
        f"contact entries. Requests carry `X-Forwarded-Proto: https` and `X-Forwarded-For`; "
        "sessions prepared in the database (no password hashing, second factor verified).",
        "",
        f"**(a) {params['users']} staff** ({simulated} on {data.get('accounts', '?')} accounts), "
        f"a page every {wait[0]:g}–{wait[1]:g} s for {params['minutes']:g} min:",
        "",
        "| page | requests | failures | median | p95 | p99 | max | p95 ≤ 250 ms |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for page in [*PAGES, *sorted(set(staff["pages"]) - set(PAGES))]:
        if page in staff["pages"]:
            f = staff["pages"][page]
            lines.append(
                f"| {page} | {f['requests']:,} | {f['failures']:,} | {_ms(f['median_ms'])} | "
                f"{_ms(f['p95_ms'])} | {_ms(f['p99_ms'])} | {_ms(f['max_ms'])} | "
                f"{_met(f['p95_ms'] <= TARGET_P95_MS)} |"
            )
    t = staff["total"]
    lines += [
        f"| all | {t['requests']:,} | {t['failures']:,} | {_ms(t['median_ms'])} | "
        f"{_ms(t['p95_ms'])} | {_ms(t['p99_ms'])} | {_ms(t['max_ms'])} | |",
        "",
        f"{t['rps']:.1f} requests/s; CPU: gunicorn {staff['gunicorn_cpu_seconds']:.1f} s "
        f"({_per_request(staff)}), locust itself {staff['locust_cpu_seconds']:.1f} s; "
        f"the machine {staff['machine_busy_percent']:.0f} % busy (all processes).",
    ]
    capacity = results.get("capacity") or {}
    if capacity:
        first = next(iter(capacity.values()))
        lines += [
            "",
            f"**(b) capacity**: {first['users']} users with no think time, "
            f"{first['seconds']} s per page:",
            "",
            "| page | requests | failures | requests/s | median | p95 | gunicorn CPU | "
            "locust CPU | machine busy |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for page, run in capacity.items():
            f = run["total"]
            lines.append(
                f"| {page} | {f['requests']:,} | {f['failures']:,} | **{f['rps']:.1f}** | "
                f"{_ms(f['median_ms'])} | {_ms(f['p95_ms'])} | {run['gunicorn_cpu_seconds']:.1f} s "
                f"({_per_request(run)}) | {run['locust_cpu_seconds']:.1f} s | "
                f"{run['machine_busy_percent']:.0f} % |"
            )
        lines += [
            "",
            "Locust runs on the same CPUs as gunicorn and PostgreSQL: its CPU time above is "
            "taken from the server, so requests/s is a floor.",
        ]
    targets = results.get("targets", {})
    if targets:
        parts = [
            f"0 errors {_met(targets['errors']['met'])} ({targets['errors']['value']})",
            f"p95 ≤ 250 ms on every page {_met(targets['p95_ms_every_page']['met'])} "
            f"(worst {_ms(targets['p95_ms_every_page']['value'])})",
        ]
        if "case_list_rps" in targets:
            rps = targets["case_list_rps"]
            parts.append(f"case list ≥ 60 requests/s {_met(rps['met'])} ({rps['value']:.1f}/s)")
        lines += ["", "Targets: " + "; ".join(parts) + "."]
    problems = results.get("server_log", {}).get("problems", 0)
    if problems:
        lines += ["", f"The server logged {problems} error line(s); see the JSON."]
        raised = results["server_log"].get("raised", [])
        lines += [f"- `{line}`" for line in raised]
    return "\n".join(lines) + "\n"


def _per_request(run: dict[str, Any]) -> str:
    requests = run["total"].get("requests", 0)
    if not requests:
        return "no requests"
    return f"{run['gunicorn_cpu_seconds'] / requests * 1000:.0f} ms per request"


def run_load(
    *,
    db: str,
    users: int = 50,
    minutes: float = 5.0,
    capacity_seconds: int = 60,
    capacity_users: int = 6,
) -> dict[str, Any]:
    """The whole load test from another script (bench/pages.py, Django already set up on
    `db`): the results `markdown()` formats. Writes no file."""
    return run(
        parse_args(
            [
                f"--db={db}",
                f"--users={users}",
                f"--minutes={minutes}",
                f"--capacity-seconds={capacity_seconds}",
                f"--capacity-users={capacity_users}",
            ]
        )
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    sys.pycache_prefix, sys.dont_write_bytecode = str(PYCACHE), False  # for the servers too
    results = run(args)
    out: Path = args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    fragment = markdown(results)
    out.with_suffix(".md").write_text(fragment, encoding="utf-8")
    print()
    print(fragment)
    print(f"written: {out} and {out.with_suffix('.md')}")
    failed = not results["targets"]["errors"]["met"] or results["server_log"]["problems"]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
