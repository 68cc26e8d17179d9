from __future__ import annotations

import contextlib
import fcntl
import os

import pytest
from django.conf import settings
from django.test import Client

from accounts.models import Centre, Role, User
from tests.factories import CentreFactory, UserFactory, client_for


@pytest.fixture(scope="session", autouse=True)
def compiled_messages() -> None:
    """The message catalogues compiled (the .mo files are git-ignored), so that one test file
    passes on a fresh clone without `make test`. compilemessages skips a catalogue whose .mo
    is newer than its .po, so once compiled this costs nothing. The lock on locale/ keeps
    pytest-xdist workers, and runs side by side in the same checkout, from writing one .mo at
    once: the first compiles, the others then find it up to date. Django reads only the
    default language's catalogue while it starts (Japanese, the source language: its catalogue
    is empty); English is read the first time a test activates it, after this."""
    from django.core.management import call_command

    locale = os.open(settings.BASE_DIR / "locale", os.O_RDONLY)
    try:
        fcntl.flock(locale, fcntl.LOCK_EX)
        # Like `make test`: every locale/ folder of the project, none of the installed packages'.
        with contextlib.chdir(settings.BASE_DIR):
            call_command("compilemessages", ignore_patterns=[".venv"], verbosity=0)
    finally:
        os.close(locale)  # and with it the lock


@pytest.fixture
def centre_a(db: None) -> Centre:
    return CentreFactory(name="センターA", case_number_prefix="K")


@pytest.fixture
def centre_b(db: None) -> Centre:
    return CentreFactory(name="センターB", case_number_prefix="S")


@pytest.fixture
def alice(centre_a: Centre) -> User:
    return UserFactory(username="alice", role=Role.COUNSELLOR, centre=centre_a)


@pytest.fixture
def bob(centre_a: Centre) -> User:
    return UserFactory(username="bob", role=Role.STAFF, centre=centre_a)


@pytest.fixture
def charlie(centre_b: Centre) -> User:
    return UserFactory(username="charlie", role=Role.COUNSELLOR, centre=centre_b)


@pytest.fixture
def mallory(centre_a: Centre) -> User:
    return UserFactory(username="mallory", role=Role.MANAGER, centre=centre_a, language="en")


@pytest.fixture
def as_alice(alice: User) -> Client:
    return client_for(alice)


@pytest.fixture
def as_bob(bob: User) -> Client:
    return client_for(bob)


@pytest.fixture
def as_charlie(charlie: User) -> Client:
    return client_for(charlie)


@pytest.fixture
def as_mallory(mallory: User) -> Client:
    return client_for(mallory)


@pytest.fixture
def unused_tcp_port() -> int:
    """A port nothing listens on: the address of a service that is down."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(autouse=True)
def japanese_by_default():
    """Each test starts in Japanese, whatever language an earlier request activated."""
    from django.utils import translation

    with translation.override("ja"):
        yield
