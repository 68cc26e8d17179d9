"""Hostile or impossible input to the visit pages and services: never a 500, always a clear
refusal (and, on the public feed address, a plain 404)."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import Client

from outreach import services
from outreach.models import VisitStatus
from tests.factories import UserFactory, make_case, make_member, make_visit

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    [
        "/outreach/calendar/feed/%00.ics",
        "/outreach/calendar/feed/a%2Fb.ics",
        "/outreach/calendar/feed/" + "x" * 5000 + ".ics",
    ],
)
def test_a_hostile_feed_address_is_a_404_not_a_500(path: str) -> None:
    assert Client(raise_request_exception=False).get(path).status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/outreach/calendar/week/2026/99999999999999999999/1/",
        "/outreach/calendar/week/2026/2/31/",
        "/outreach/calendar/week/99999/1/1/",
        "/outreach/calendar/99999999999999999999/1/",
    ],
)
def test_an_impossible_calendar_date_is_a_404(as_alice: Client, path: str) -> None:
    as_alice.raise_request_exception = False
    assert as_alice.get(path).status_code == 404


@pytest.fixture
def visit(centre_a, alice):
    case = make_case(centre_a, alice, primary_counsellor=alice)
    return make_visit(case, alice, days_ahead=14)


def test_an_announcement_goes_to_this_household_s_consenting_members_only(
    visit, centre_a, alice
) -> None:
    other_case = make_case(centre_a, alice, family_name="別件")
    stranger = make_member(other_case, alice)
    shy = make_member(visit.case, alice, given_name="次郎", contact_consent=False)
    mother = make_member(visit.case, alice)

    def announce(**recipient):
        return services.visit_announce(
            visit=visit,
            by=alice,
            method="via_family",
            made_at=visit.created_at,
            response="no_answer",
            **recipient,
        )

    for refused in (
        {"recipient": "household", "recipient_member_id": stranger.pk},
        {"recipient": "household", "recipient_member_id": shy.pk},
        {"recipient": "household"},
        {"recipient": "person", "recipient_member_id": mother.pk},
        {"recipient": "nobody"},
    ):
        with pytest.raises(ValidationError) as error:
            announce(**refused)
        assert "recipient" in error.value.message_dict
    announcement = announce(recipient="household", recipient_member_id=mother.pk)
    assert announcement.recipient_member_id == mother.pk


def test_a_visit_long_past_is_not_checked_in_but_recorded(centre_a, alice) -> None:
    """Checking in hours after the check-out was due would start a safety watch over a
    visit long over: the outcome is recorded instead."""
    case = make_case(centre_a, alice, primary_counsellor=alice)
    visit = make_visit(case, alice, days_ahead=8, status="briefed")
    grace = dt.timedelta(minutes=centre_a.safety_checkout_grace_minutes)
    with time_machine.travel(visit.ends_at + grace + dt.timedelta(minutes=1), tick=False):
        with pytest.raises(ValidationError, match="結果を記録"):
            services.visit_check_in(visit=visit, by=alice)
        done = services.visit_record_outcome(visit=visit, by=alice, outcome="met_person")
    assert done.status == VisitStatus.DONE and done.checked_in_at is None


def test_an_inactive_colleague_does_not_make_a_pair(centre_a, alice) -> None:
    case = make_case(centre_a, alice, primary_counsellor=alice)
    gone = UserFactory.create(role="counsellor", centre=centre_a, is_active=False)
    with pytest.raises(ValidationError) as error:
        make_visit(case, alice, staff=[alice, gone])
    assert "staff" in error.value.message_dict
