import pytest

from accounts.demo import seed_demo_security
from accounts.models import Role, SecurityEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_demo_security_event_is_seeded_once(centre_a):
    staff = UserFactory(role=Role.STAFF, centre=centre_a)
    assert seed_demo_security(centre=centre_a) == 1
    assert seed_demo_security(centre=centre_a) == 0
    event = SecurityEvent.objects.get()
    assert event.user == staff and event.centre_ids == [centre_a.pk]
    assert set(event.detail["ids"]) == {"cases.case"}


def test_no_staff_no_event(centre_a):
    assert seed_demo_security(centre=centre_a) == 0
    assert not SecurityEvent.objects.exists()
