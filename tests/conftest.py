from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from accounts.models import Centre, Role, User
from tests.factories import CentreFactory, UserFactory


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


def client_for(user: User) -> Client:
    """Signed in as the user, with the second factor too where the role needs one."""
    client = Client()
    client.force_login(user)
    if user.role in settings.TWO_FACTOR_ROLES:
        verify_second_factor(client, user)
    return client


def verify_second_factor(client: Client, user: User) -> None:
    """What entering a code from the user's authenticator does to the session."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    device = device or TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


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
