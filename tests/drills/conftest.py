"""Fixtures of the fault drills: a Redis of the test's own (the test process publishes to
it, the workers it starts consume from it), and the drill's context (where e-mails land)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.drills.periodic import Context
from tests.services_for_drills import RedisServer, private_redis_server


@pytest.fixture
def private_redis(transactional_db: None) -> Iterator[RedisServer]:
    with private_redis_server() as server:
        yield server


@pytest.fixture
def drill_context(tmp_path: Path) -> Context:
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    return Context(mail_dir=mail_dir)
