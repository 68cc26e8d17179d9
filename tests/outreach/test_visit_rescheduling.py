"""An announcement is of one date: moving the visit needs the new date announced, and the
person's answer about the old date confirms nothing. A visit recorded afterwards, without a
check-in, passes the same gates as a check-in."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from outreach import services
from outreach.models import HomeVisit, VisitStatus
from outreach.selectors.visits import visit_for_user
from outreach.services.visits import visit_checklist
from tests.factories import make_case
from tests.outreach.visit_clock import NOW, at, on

pytestmark = pytest.mark.django_db


@pytest.fixture
def agreed_visit(centre_a, alice, bob) -> HomeVisit:
    with at(NOW):
        case = make_case(centre_a, alice, primary_counsellor=alice)
        visit = services.visit_plan(
            case=case,
            by=alice,
            starts_at=on(14),
            ends_at=on(14, 11),
            purpose="近況をうかがう",
            staff=[alice, bob],
        )
        services.visit_announce(
            visit=visit,
            by=alice,
            method="phone",
            made_at=NOW,
            recipient="person",
            response="agreed",
        )
    visit.refresh_from_db()
    assert visit.status == VisitStatus.CONFIRMED
    return visit


def move(visit: HomeVisit, by, *, to: dt.datetime, purpose: str = "近況をうかがう") -> HomeVisit:
    return services.visit_update(
        visit=visit,
        by=by,
        expected_version=visit.version,
        starts_at=to,
        ends_at=to + dt.timedelta(hours=1),
        purpose=purpose,
        staff=list(visit.staff.all()),
    )


def test_a_moved_visit_is_not_announced_until_its_new_date_is(agreed_visit, alice) -> None:
    with at(NOW + dt.timedelta(days=1)):
        visit = move(agreed_visit, alice, to=on(20))
        assert visit.status == VisitStatus.PLANNED
        assert not visit_checklist(visit_for_user(alice, visit.pk)).announced
        # The "yes" was to the 14th: it confirms nothing about the 20th.
        with pytest.raises(ValidationError, match="予告"):
            services.visit_confirm(visit=visit, by=alice)
        services.visit_announce(
            visit=visit,
            by=alice,
            method="phone",
            made_at=NOW + dt.timedelta(days=1),
            recipient="person",
            response="no_answer",
        )
        services.visit_confirm(visit=visit, by=alice)
    visit.refresh_from_db()
    assert visit.status == VisitStatus.CONFIRMED
    assert [a.announced_start for a in visit.announcements.order_by("made_at", "id")] == [
        on(14),
        on(20),
    ]


def test_a_new_purpose_needs_announcing_again(agreed_visit, alice) -> None:
    """The person agreed to a visit "to hear how things are", not to another purpose."""
    with at(NOW + dt.timedelta(days=1)):
        visit = move(agreed_visit, alice, to=on(14), purpose="手紙の返事をうかがう")
        assert visit.status == VisitStatus.PLANNED
        assert not visit_checklist(visit_for_user(alice, visit.pk)).announced
        with pytest.raises(ValidationError, match="予告"):
            services.visit_confirm(visit=visit, by=alice)


def test_a_longer_visit_is_not_a_new_date(agreed_visit, alice) -> None:
    """Only a new start asks for a new announcement: staying 30 minutes longer does not."""
    with at(NOW + dt.timedelta(days=10)):  # 4 days before: a move would be refused
        visit = services.visit_update(
            visit=agreed_visit,
            by=alice,
            expected_version=agreed_visit.version,
            starts_at=on(14),
            ends_at=on(14, 11) + dt.timedelta(minutes=30),
            purpose="近況をうかがう",
            staff=list(agreed_visit.staff.all()),
        )
    assert visit.status == VisitStatus.CONFIRMED


def test_an_emergency_override_is_of_its_date(centre_a, alice, bob, mallory) -> None:
    """A police welfare check tomorrow is not one next week: a moved visit is back under the
    notice period until a manager decides again."""
    with at(NOW):
        case = make_case(centre_a, alice, primary_counsellor=alice)
        visit = services.visit_plan(
            case=case,
            by=mallory,
            starts_at=on(1),
            ends_at=on(1, 11),
            purpose="安否確認",
            staff=[alice, bob],
            overrides=[
                services.OverrideRequest(
                    rule="notice_period", ground="police", reason="警察からの安否確認の要請"
                )
            ],
        )
        services.visit_confirm(visit=visit, by=alice)  # no announcement: the emergency
        visit.refresh_from_db()
        with pytest.raises(ValidationError, match="以降"):
            move(visit, alice, to=on(3))
        visit = move(visit, alice, to=on(8))
        assert visit.status == VisitStatus.PLANNED
        with pytest.raises(ValidationError, match="予告"):
            services.visit_confirm(visit=visit, by=alice)


def test_an_outcome_recorded_without_a_check_in_passes_the_briefing_gate(
    agreed_visit, alice, bob
) -> None:
    with at(on(14, 12)), pytest.raises(ValidationError, match="ブリーフィング"):
        services.visit_record_outcome(visit=agreed_visit, by=alice, outcome="met_person")
    with at(on(13)):
        services.briefing_acknowledge(visit=agreed_visit, by=alice)
        services.briefing_acknowledge(visit=agreed_visit, by=bob)
    with at(on(14, 12)):
        visit = services.visit_record_outcome(visit=agreed_visit, by=alice, outcome="met_person")
    assert visit.status == VisitStatus.DONE
    assert visit.contact is not None and visit.contact.two_way
