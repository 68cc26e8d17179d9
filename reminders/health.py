"""Liveness of everything a centre relies on: the database, Redis, a Celery worker."""

from __future__ import annotations

import threading
import time
from typing import Any

import redis
from django.conf import settings
from django.db import connection

from config.celery import app as celery_app
from reminders import selectors


def check_database() -> dict[str, Any]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return {"ok": True}
    except Exception as exc:  # any failure means "not fine"; the type goes to the report
        return {"ok": False, "error": type(exc).__name__}


def check_redis() -> dict[str, Any]:
    try:
        client = redis.Redis.from_url(
            settings.CELERY_BROKER_URL, socket_connect_timeout=2, socket_timeout=2
        )
        client.ping()
        return {"ok": True}
    except Exception as exc:
        return {"ok": False, "error": type(exc).__name__}


def check_celery(*, redis_ok: bool) -> dict[str, Any]:
    if not redis_ok:
        # Without the broker no worker can answer; asking would only wait for the timeout.
        return {"ok": False, "error": "broker unreachable"}
    try:
        # One reply is enough: without a limit, ping always waits out the whole timeout
        # collecting replies, and a load balancer polling /healthz would wait with it.
        replies = celery_app.control.ping(timeout=settings.HEALTHZ_CELERY_TIMEOUT, limit=1)
    except Exception as exc:
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True} if replies else {"ok": False, "error": "no worker answered"}


def check_sweep() -> dict[str, Any]:
    try:
        heartbeat = selectors.sweep_heartbeat()
        last = heartbeat.last_completed_at if heartbeat else None
        return {
            "ok": not selectors.heartbeat_is_stale(heartbeat),
            "last_completed_at": last.isoformat() if last else None,
        }
    except Exception as exc:
        return {"ok": False, "error": type(exc).__name__}


def health_report() -> dict[str, dict[str, Any]]:
    redis_state = check_redis()
    return {
        "database": check_database(),
        "redis": redis_state,
        "celery": check_celery(redis_ok=redis_state["ok"]),
        "silence_sweep": check_sweep(),
    }


_cache_lock = threading.Lock()
_cached: tuple[float, dict[str, dict[str, Any]]] | None = None


def health_report_cached() -> dict[str, dict[str, Any]]:
    """The report, computed at most once per HEALTHZ_CACHE_SECONDS in this process: a burst
    of probes (a load balancer, a monitor, anyone on the internet) waits for one run of the
    checks instead of each tying up a worker on the Celery ping."""
    global _cached
    with _cache_lock:
        now = time.monotonic()
        if _cached is None or now - _cached[0] >= settings.HEALTHZ_CACHE_SECONDS:
            _cached = (now, health_report())
        return _cached[1]


def health_cache_clear() -> None:
    global _cached
    with _cache_lock:
        _cached = None
