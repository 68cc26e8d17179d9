"""Start a real Celery worker process against the test database and the test Redis.

Used by tests whose subject is the worker itself (round trips, crashes, outages). The worker
is our child process; tests stop it by PID and never touch the machine's own services.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.db import connection

from config.celery import app as celery_app

ROOT = Path(__file__).resolve().parent.parent


class Worker:
    def __init__(
        self,
        *,
        broker_url: str | None = None,
        extra_env: dict[str, str] | None = None,
        concurrency: int = 2,
        hostname: str = "testworker",
    ) -> None:
        db = connection.settings_dict
        self.hostname = f"{hostname}-{os.getpid()}-{time.monotonic_ns()}@localhost"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}",
            **(extra_env or {}),
        }
        if broker_url:
            self.env["CELERY_BROKER_URL"] = broker_url
            self.env["CELERY_RESULT_BACKEND"] = broker_url
        self.concurrency = concurrency
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = ROOT / "test-results" / f"worker-{os.getpid()}-{time.monotonic_ns()}.log"

    def start(self, *, wait: bool = True, timeout: float = 30.0) -> Worker:
        self.log_path.parent.mkdir(exist_ok=True)
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--loglevel=INFO",
                f"--concurrency={self.concurrency}",
                "--pool=prefork",
                "-Q",
                settings.CELERY_TASK_DEFAULT_QUEUE,
                "-n",
                self.hostname,
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so SIGKILL reaches the children
        )
        if wait:
            try:
                self.wait_ready(timeout=timeout)
            except BaseException:
                self.kill()  # a worker that never became ready must not outlive the test
                raise
        return self

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited early:\n{self.log_path.read_text()}")
            replies = celery_app.control.ping(destination=[self.hostname], timeout=0.5)
            if replies:
                return
        raise TimeoutError(f"worker not ready:\n{self.log_path.read_text()}")

    def kill(self) -> None:
        """SIGKILL the worker and its pool children: a crash, not a shutdown."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def __enter__(self) -> Worker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
