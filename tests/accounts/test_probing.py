"""A user walking through other centres' ids (probing): each request is a plain 404, and a
run of them is a security event that the managers of that user's centre see."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccessProbe, Role, SecurityEvent, SecurityEventKind
from cases.models import Case
from tests.factories import UserFactory, client_for, make_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def their_cases(centre_a, alice) -> list[Case]:
    """Centre A's cases, with sensitive-looking names: none may reach the event."""
    return [make_case(centre_a, alice, family_name="機密") for _ in range(12)]


@pytest.fixture
def dave(centre_b):
    """Charlie's manager (centre B)."""
    return UserFactory(username="dave", role=Role.MANAGER, centre=centre_b)


def probe(client, cases) -> list[int]:
    return [client.get(reverse("cases:detail", args=[case.pk])).status_code for case in cases]


def test_a_run_of_other_centres_ids_is_a_security_event(their_cases, charlie, as_charlie, settings):
    settings.PROBING_THRESHOLD = 10
    assert probe(as_charlie, their_cases[:9]) == [404] * 9
    assert not SecurityEvent.objects.exists()
    assert probe(as_charlie, their_cases[9:10]) == [404]  # still just a 404 to the prober
    event = SecurityEvent.objects.get()
    assert event.kind == SecurityEventKind.PROBING and event.user == charlie
    assert event.centre_ids == [charlie.centres.get().pk]
    assert event.detail["requests"] == 10
    assert event.detail["ids"] == {"cases.case": [str(case.pk) for case in their_cases[:10]]}
    assert "機密" not in str(event.detail)  # ids and the model's label, no content


def test_one_event_per_run(their_cases, as_charlie, settings):
    settings.PROBING_THRESHOLD = 5
    probe(as_charlie, their_cases[:9])
    assert SecurityEvent.objects.count() == 1
    probe(as_charlie, their_cases[9:10])
    assert SecurityEvent.objects.count() == 2  # the next five are the next run


def test_missing_ids_and_the_user_s_own_records_do_not_count(
    centre_b, charlie, as_charlie, settings
):
    settings.PROBING_THRESHOLD = 3
    own = make_case(centre_b, charlie)
    own_gone = [own.pk + 1000 + n for n in range(5)]
    for pk in own_gone:
        assert as_charlie.get(reverse("cases:detail", args=[pk])).status_code == 404
    for _ in range(5):
        assert as_charlie.get(reverse("cases:detail", args=[own.pk])).status_code == 200
    assert not AccessProbe.objects.exists() and not SecurityEvent.objects.exists()


def test_a_slow_walk_outside_the_window_is_no_run(their_cases, as_charlie, settings):
    settings.PROBING_THRESHOLD = 3
    start = timezone.now()
    for minutes, case in zip((0, 11, 22, 33), their_cases, strict=False):
        with time_machine.travel(start + dt.timedelta(minutes=minutes), tick=False):
            probe(as_charlie, [case])
    assert not SecurityEvent.objects.exists()
    assert AccessProbe.objects.count() == 1  # older notes are forgotten as it goes


def test_the_managers_of_the_prober_s_centre_see_it_others_do_not(
    their_cases, charlie, as_charlie, dave, as_mallory, settings
):
    settings.PROBING_THRESHOLD = 3
    probe(as_charlie, their_cases[:3])
    as_dave = client_for(dave)
    page = as_dave.get(reverse("security_events"))
    assert page.status_code == 200
    body = page.content.decode()
    assert 'data-testid="security-events"' in body and ">charlie</code>" in body
    assert "機密" not in body
    assert 'data-testid="nav-security"' in body  # in the menu of those who may see it
    # Centre A's manager oversees other users: nothing of centre B's.
    assert ">charlie</code>" not in as_mallory.get(reverse("security_events")).content.decode()
    # An administrator sees every centre's.
    admin = UserFactory(role=Role.ADMIN, is_staff=True)
    assert ">charlie</code>" in client_for(admin).get(reverse("security_events")).content.decode()


def test_counsellors_and_staff_may_not_see_security_events(as_alice, as_bob):
    for client in (as_alice, as_bob):
        response = client.get(reverse("security_events"))
        assert response.status_code == 403
        home = client.get(reverse("home"), follow=True).content.decode()
        assert 'data-testid="nav-security"' not in home


# Session, user, the manager's authenticator, the user's centres (ids and names), the
# paginator's count, the page header (the inbox badge, the heartbeat and check-outs: one)
# and the page of events with their users joined.
SECURITY_PAGE_QUERIES = 7


def test_the_security_page_query_count_does_not_grow(
    centre_b, dave, django_assert_num_queries, settings
):
    as_dave = client_for(dave)

    def add_events(n: int) -> None:
        for _ in range(n):
            prober = UserFactory(role=Role.STAFF, centre=centre_b)
            SecurityEvent.objects.create(
                kind=SecurityEventKind.PROBING,
                user=prober,
                centre_ids=[centre_b.pk],
                detail={"requests": 10, "window_minutes": 10, "ids": {"cases.case": ["1"]}},
            )

    add_events(1)
    with django_assert_num_queries(SECURITY_PAGE_QUERIES):
        as_dave.get(reverse("security_events"))
    add_events(19)
    with django_assert_num_queries(SECURITY_PAGE_QUERIES):
        response = as_dave.get(reverse("security_events"))
    assert len(response.context["page"]) == 20
