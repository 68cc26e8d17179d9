"""Throwaway services for the fault drills (tests/drills/, tests/reminders/test_delivery_faults.py,
tests/records/test_import_worker.py): a Redis, a PostgreSQL cluster, an SMTP server that
refuses, and a live web server, each on a free port of its own, started by the test and
stopped by the PID it got. The machine's own services are never touched.

Plus the small tools the drills share: polling with a deadline, a second database connection
that holds a lock (so a service or a task stops exactly where the drill wants it), and the
backend a blocked process waits in.
"""

from __future__ import annotations

import datetime as dt
import os
import pwd
import shutil
import signal
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from django.db import connection
from django.test import override_settings
from django.utils import timezone
from kombu import pools as kombu_pools

from accounts.models import Centre, User
from cases.models import Case
from config.celery import app as celery_app
from reminders.models import Notification, NotificationChannel

ROOT = Path(__file__).resolve().parent.parent
# Seconds a drill waits for a process to start or a piece of work to finish: generous, as the
# suite shares two CPUs with everything else; a healthy run takes a fraction of it.
PATIENCE = 120.0
PG_BIN = Path("/usr/lib/postgresql/15/bin")


def wait_for(condition: Callable[[], bool], *, timeout: float, what: str, every: float = 0.05):
    """Poll until `condition()` holds; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def accepts(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False


# --- Redis -----------------------------------------------------------------------------------


class RedisServer:
    """A throwaway redis-server of our own, without persistence: a restart starts empty."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self.ready, timeout=PATIENCE, what=f"redis-server on port {self.port}")

    def ready(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError(f"redis-server on port {self.port} exited")
        return self.accepts()

    def accepts(self) -> bool:
        return accepts(self.port)

    def kill(self) -> None:
        """SIGKILL by PID: an outage, not a shutdown."""
        if self.process and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def _reset_celery_connections() -> None:
    """Drop the test process's pooled broker connections and cached result backend, so the
    next publish connects to whatever the configuration now says.

    Celery's connection pool lives in kombu's process-wide registry, keyed by broker URL:
    closing a pool without clearing the registry would hand the closed pool back to the
    next user of that URL ("Acquire on closed pool"). kombu.pools.reset() closes and forgets
    them all; the control mailbox (the /healthz ping) forgets its producer pool too."""
    kombu_pools.reset()
    celery_app._after_fork()  # forgets the connection pool and the producer pool
    if "control" in celery_app.__dict__:
        celery_app.control._after_fork()
    celery_app._backend_cache = None
    celery_app._local.__dict__.pop("backend", None)


@contextmanager
def celery_broker(url: str) -> Iterator[None]:
    """Point the test process (Django settings and the already configured Celery app) at
    another Redis, and back afterwards."""
    conf = celery_app.conf
    saved = conf.broker_url, conf.result_backend
    with override_settings(CELERY_BROKER_URL=url, CELERY_RESULT_BACKEND=url):
        conf.broker_url = conf.result_backend = url
        _reset_celery_connections()
        try:
            yield
        finally:
            conf.broker_url, conf.result_backend = saved
            _reset_celery_connections()


@contextmanager
def private_redis_server() -> Iterator[RedisServer]:
    """A Redis of the test's own, the test process publishing to it; killed afterwards."""
    server = RedisServer()
    server.start()
    try:
        with celery_broker(server.url):
            yield server
    finally:
        server.kill()


# --- the outbox's data ------------------------------------------------------------------------


def silent_cases(centre: Centre, counsellors: list[User], count: int) -> list[Case]:
    """Open cases silent for 40 days and due for the sweep: one reminder each (an e-mail and
    an in-app notification to their counsellor)."""
    from tests.factories import make_case

    owners = [counsellors[i % len(counsellors)] for i in range(count)]
    cases = [make_case(centre, owner, primary_counsellor=owner) for owner in owners]
    now = timezone.now()
    Case.objects.filter(pk__in=[c.pk for c in cases]).update(
        silence_clock_started_at=now - dt.timedelta(days=40),
        next_check_at=now - dt.timedelta(minutes=1),
    )
    return cases


def emails_sent() -> int:
    return Notification.objects.filter(
        channel=NotificationChannel.EMAIL, sent_at__isnull=False
    ).count()


def email_in_flight(mail_dir: Path) -> bool:
    """An e-mail has reached the mail server but its row is not marked sent yet. (The files
    are counted first: every file precedes its row's mark, so more files than marked rows
    means one is still unmarked when the rows are counted.)"""
    files = sum(1 for _ in mail_dir.glob("*.eml"))
    return files > emails_sent()


# --- the test database, from another connection -----------------------------------------------


def pg_connect(settings_dict: dict[str, Any] | None = None) -> psycopg.Connection[Any]:
    """A connection of its own (autocommit) to the test database, outside Django's."""
    db = settings_dict or connection.settings_dict
    return psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=int(db["PORT"] or 5432),
        user=db["USER"] or "postgres",
        password=db["PASSWORD"] or None,
        dbname=db["NAME"],
        autocommit=True,
    )


@contextmanager
def table_locked(*tables: str) -> Iterator[psycopg.Connection[Any]]:
    """Hold an ACCESS EXCLUSIVE lock on `tables` from another connection: whoever touches
    one of them next waits, in the middle of whatever transaction it is in."""
    with pg_connect() as locker:
        locker.autocommit = False
        with locker.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {', '.join(tables)} IN ACCESS EXCLUSIVE MODE")
        try:
            yield locker
        finally:
            locker.rollback()


def backends_waiting_on_a_lock(monitor: psycopg.Connection[Any]) -> list[int]:
    """The clients of the test database blocked on a lock (other than the monitor; never
    autovacuum, which a table lock blocks too)."""
    with monitor.cursor() as cursor:
        cursor.execute(
            """SELECT pid FROM pg_stat_activity
                WHERE datname = current_database() AND pid <> pg_backend_pid()
                  AND backend_type = 'client backend' AND wait_event_type = 'Lock'
                ORDER BY pid"""
        )
        return [row[0] for row in cursor.fetchall()]


def tables_written_by(monitor: psycopg.Connection[Any], pid: int) -> set[str]:
    """The tables a backend has written in its open transaction (RowExclusiveLock granted)."""
    with monitor.cursor() as cursor:
        cursor.execute(
            """SELECT c.relname FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
                WHERE l.pid = %s AND l.granted AND l.mode = 'RowExclusiveLock'
                  AND c.relkind IN ('r', 'p')""",
            [pid],
        )
        return {row[0] for row in cursor.fetchall()}


def backend_alive(monitor: psycopg.Connection[Any], pid: int) -> bool:
    with monitor.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid])
        return cursor.fetchone() is not None


def wait_for_blocked_backends(monitor: psycopg.Connection[Any], *, what: str) -> list[int]:
    """Wait until a client waits on a lock; then the ones that do (a task working on several
    connections, like the parallel sweep, may have more than one blocked by then)."""
    found: list[int] = []

    def blocked() -> bool:
        found[:] = backends_waiting_on_a_lock(monitor)
        return bool(found)

    wait_for(blocked, timeout=PATIENCE, what=what, every=0.02)
    return found


def wait_for_one_blocked_backend(monitor: psycopg.Connection[Any], *, what: str) -> int:
    found = wait_for_blocked_backends(monitor, what=what)
    assert len(found) == 1, f"one backend should wait on the drill's lock, not {found}"
    return found[0]


# --- PostgreSQL ------------------------------------------------------------------------------


class PostgresCluster:
    """A throwaway PostgreSQL 15 cluster in a temporary directory, on a free port, its socket
    in that directory too. initdb refuses to run as root: then everything runs as the
    `postgres` OS user (runuser), which owns the directory."""

    def __init__(self) -> None:
        if not (PG_BIN / "initdb").exists():
            raise RuntimeError(f"PostgreSQL 15 binaries not found in {PG_BIN}")
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="drill-pg-"))
        self.data = self.dir / "data"
        self.log = self.dir / "server.log"
        self.as_root = os.geteuid() == 0
        if self.as_root:
            owner = pwd.getpwnam("postgres")
            os.chown(self.dir, owner.pw_uid, owner.pw_gid)
        self.started = False

    def _run(self, *argv: str, timeout: float = 60) -> str:
        command = [str(a) for a in argv]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            log = self.log.read_text() if self.log.exists() else ""
            raise RuntimeError(
                f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}{done.stderr}{log}"
            )
        return done.stdout

    def _pg_ctl(self, *argv: str) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            PG_BIN / "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-o",
            options,
            "-w",
            *argv,
        )

    def start(self) -> PostgresCluster:
        self._run(
            PG_BIN / "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )
        self._pg_ctl("start")
        self.started = True
        return self

    def restart(self) -> None:
        """What an operator's restart does: fast shutdown (every connection dropped), start."""
        self._pg_ctl("restart", "-m", "fast")

    def url(self, dbname: str, **options: str) -> str:
        query = "&".join(f"{k}={v}" for k, v in options.items())
        return f"postgres://postgres@127.0.0.1:{self.port}/{dbname}" + (
            f"?{query}" if query else ""
        )

    def connect(self, dbname: str = "postgres") -> psycopg.Connection[Any]:
        return psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname=dbname, autocommit=True
        )

    def copy_database(self, source: dict[str, Any], dbname: str) -> None:
        """A copy of `source` (schema and rows) as `dbname` on this cluster, by pg_dump."""
        with self.connect() as admin:
            admin.execute(f'CREATE DATABASE "{dbname}"')
        env = {**os.environ, "PGPASSWORD": source["PASSWORD"] or ""}
        dump = subprocess.run(
            [
                PG_BIN / "pg_dump",
                "--no-owner",
                "--no-privileges",
                "-h",
                source["HOST"] or "127.0.0.1",
                "-p",
                str(source["PORT"] or 5432),
                "-U",
                source["USER"] or "postgres",
                source["NAME"],
            ],
            capture_output=True,
            env=env,
            timeout=120,
            check=True,
        )
        restore = subprocess.run(
            [
                PG_BIN / "psql",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                dbname,
            ],
            input=dump.stdout,
            capture_output=True,
            timeout=120,
        )
        if restore.returncode != 0:
            raise RuntimeError(f"restoring the copy failed: {restore.stderr.decode()[-2000:]}")

    def destroy(self) -> None:
        try:
            if self.started:
                self._pg_ctl("stop", "-m", "immediate")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


# --- a live web server ----------------------------------------------------------------------


class LiveServer:
    """The app under gunicorn (one process, one thread: every request on the same persistent
    database connection), as our child; stopped by its PID."""

    def __init__(self, *, env: dict[str, str]) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, **env}
        self.log_path = ROOT / "test-results" / f"live-{os.getpid()}-{time.monotonic_ns()}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> LiveServer:
        self.log_path.parent.mkdir(exist_ok=True)
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                "1",
                "--threads",
                "1",
                "--timeout",
                "60",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self.log_path.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

        def up() -> bool:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.log_path.read_text()}")
            return accepts(self.port)

        try:
            wait_for(up, timeout=PATIENCE, what="gunicorn to listen", every=0.1)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


# --- an SMTP server that refuses ------------------------------------------------------------


class RefusingSmtpServer:
    """A tiny SMTP server in a thread that greets, accepts the envelope, and answers the
    message with `code` (451: try again later; 554: rejected; 250 once it recovers). Counts
    what it was offered and keeps what it accepted."""

    def __init__(self, *, code: int, text: str) -> None:
        self.code, self.text = code, text
        self.offered = 0
        self.accepted: list[bytes] = []
        outer = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                self.wfile.write(b"220 drill ESMTP\r\n")
                in_data = False
                data: list[bytes] = []
                for raw in self.rfile:
                    line = raw.decode("utf-8", "replace").rstrip("\r\n")
                    if in_data:
                        if line != ".":
                            data.append(raw)
                            continue
                        in_data = False
                        outer.offered += 1
                        if 200 <= outer.code < 300:
                            outer.accepted.append(b"".join(data))
                        data = []
                        self.wfile.write(f"{outer.code} {outer.text}\r\n".encode())
                        continue
                    verb = line[:4].upper()
                    if verb in ("EHLO", "HELO"):
                        self.wfile.write(b"250 drill\r\n")
                    elif verb == "DATA":
                        in_data = True
                        self.wfile.write(b"354 go ahead\r\n")
                    elif verb == "QUIT":
                        self.wfile.write(b"221 bye\r\n")
                        return
                    else:  # MAIL FROM, RCPT TO, RSET, NOOP
                        self.wfile.write(b"250 ok\r\n")

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> RefusingSmtpServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
