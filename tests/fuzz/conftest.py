"""Hypothesis profiles for the form fuzz: `forms` (the default, bounded for `make test`) and
`fuzz` (`make fuzz`, HYPOTHESIS_PROFILE=fuzz). Found failures are kept in an example database
under .pytest_cache/ (ignored by git) and replayed first on the next run."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis.database import DirectoryBasedExampleDatabase

_COMMON = {
    # A request through the real views and PostgreSQL takes tens of milliseconds, a long text
    # more; a deadline would only report the machine's load.
    "deadline": None,
    "database": DirectoryBasedExampleDatabase(
        str(django_settings.BASE_DIR / ".pytest_cache" / "hypothesis")
    ),
    "suppress_health_check": [
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
    "print_blob": True,
}
settings.register_profile("forms", max_examples=15, **_COMMON)
settings.register_profile("quick", max_examples=5, **_COMMON)  # writing an entry
settings.register_profile("fuzz", max_examples=300, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "forms"))


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any) -> Iterator[Any]:
    """Built once for a module (each example rolls back what it wrote), in a transaction
    rolled back at the end."""
    from tests.fuzz.world import build_world

    with django_db_blocker.unblock(), transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)
