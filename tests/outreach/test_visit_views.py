"""The home-visit screens: planning from the case page (the earliest day and why; a manager's
emergency override, a counsellor's refused), the visit page with its checklist and next
action, the forms and buttons on it (announcing, a refusal and the next steps, confirming,
changing with a version, calling off, a manager's override, check-in gated by the briefing,
check-out, the outcome on the case's timeline, the report), the briefing and its
re-acknowledgement after a risk change, the red safety banner, who may open what (another
centre's visit is a 404) and query counts that do not grow."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent, Role
from cases import services as case_services
from cases.choices import ConsentScope
from cases.models import ContactEntry
from outreach import services
from outreach.models import (
    HomeVisit,
    VisitAnnouncement,
    VisitOutcome,
    VisitOverride,
    VisitStatus,
)
from outreach.services.visit_watch import visits_watch
from tests.factories import (
    UserFactory,
    client_for,
    make_case,
    make_member,
    make_visit,
    record_contact,
)

pytestmark = pytest.mark.django_db

TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")
# Monday 30 November 2026, 09:00 in Tokyo: with the default notice of 7 days, the earliest
# visit is on Monday 7 December.
NOW = dt.datetime(2026, 11, 30, 9, 0, tzinfo=TOKYO)


def tokyo(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TOKYO)


@pytest.fixture(autouse=True)
def on_monday():
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def case(centre_a, alice):
    return make_case(centre_a, alice, primary_counsellor=alice)


@pytest.fixture
def dora(centre_a):
    """A second counsellor of centre A: the pair rule wants two on a visit."""
    return UserFactory(username="dora", display_name="土井", role=Role.COUNSELLOR, centre=centre_a)


def visit_of(case, by, staff, status="planned", days_ahead=14):  # type: ignore[no-untyped-def]
    visit = make_visit(case, by, staff=staff, days_ahead=days_ahead, status=status)
    visit.refresh_from_db()
    return visit


@pytest.fixture
def visit(case, alice, dora):
    return visit_of(case, alice, [alice, dora])


def url(name: str, *args: object) -> str:
    return reverse(f"outreach:{name}", args=args)


def page(response) -> str:  # type: ignore[no-untyped-def]
    return response.content.decode()


def plan_data(**overrides: object) -> dict[str, object]:
    return {
        "starts_at": "2026-12-07T10:00",
        "ends_at": "11:00",
        "purpose": "近況をうかがい、居場所を紹介する",
        **overrides,
    }


def at_visit(visit: HomeVisit, minutes: int = -30) -> dt.datetime:
    """A moment relative to the visit's planned start."""
    return visit.starts_at + dt.timedelta(minutes=minutes)


# --- planning ---------------------------------------------------------------------------------


def test_the_plan_form_shows_the_earliest_day_and_why(as_alice, case):
    response = as_alice.get(url("visit_new", case.pk))
    body = page(response)
    assert response.status_code == 200
    earliest = re.search(r'data-testid="earliest-day">(.*?)</div>', body, re.S)
    assert earliest and "2026年12月7日" in earliest.group(1)
    assert "7日" in earliest.group(1) and "予告" in earliest.group(1)
    assert 'value="2026-12-07T10:00"' in body  # the form starts on that day
    assert 'data-testid="override-fieldset"' not in body  # a counsellor can't override
    assert "2名以上で行います" in body  # the pair rule, where the staff are chosen


def test_the_plan_form_follows_the_centre_s_notice_period(as_alice, case, centre_a):
    centre_a.visit_notice_days = 10
    centre_a.save(update_fields=["visit_notice_days"])
    body = page(as_alice.get(url("visit_new", case.pk)))
    assert "2026年12月10日" in body and "2026年12月7日" not in body


def test_planning_a_visit_leads_to_its_page(as_alice, alice, dora, case):
    response = as_alice.post(url("visit_new", case.pk), plan_data(staff=[alice.pk, dora.pk]))
    visit = HomeVisit.objects.get(case=case)
    assert response.status_code == 302 and response["Location"] == url("visit_detail", visit.pk)
    assert visit.status == VisitStatus.PLANNED
    assert timezone.localtime(visit.starts_at) == tokyo(2026, 12, 7, 10)
    assert timezone.localtime(visit.ends_at) == tokyo(2026, 12, 7, 11)
    assert {a.user_id for a in visit.assignments.all()} == {alice.pk, dora.pk}


def test_a_visit_too_soon_is_refused_with_the_earliest_day_and_the_input_kept(
    as_alice, alice, dora, case
):
    data = plan_data(starts_at="2026-12-04T10:00", staff=[alice.pk, dora.pk])
    response = as_alice.post(url("visit_new", case.pk), data)
    body = page(response)
    assert response.status_code == 200
    assert "訪問は2026年12月7日以降にしてください" in body
    assert "近況をうかがい、居場所を紹介する" in body and 'value="2026-12-04T10:00"' in body
    assert not HomeVisit.objects.exists()


def test_one_staff_member_is_refused_under_the_pair_rule(as_alice, alice, case):
    response = as_alice.post(url("visit_new", case.pk), plan_data(staff=[alice.pk]))
    assert "2名以上" in page(response) and not HomeVisit.objects.exists()


def test_an_end_before_the_start_is_refused(as_alice, alice, dora, case):
    data = plan_data(ends_at="09:00", staff=[alice.pk, dora.pk])
    response = as_alice.post(url("visit_new", case.pk), data)
    assert "終了時刻は開始より後に" in page(response) and not HomeVisit.objects.exists()


def test_a_counsellor_who_posts_an_override_is_refused_on_the_form(as_alice, alice, case):
    data = plan_data(
        starts_at="2026-12-01T10:00",
        staff=[alice.pk],
        override_rules=["notice_period", "pair"],
        override_ground="risk_to_life",
        override_reason="家族から緊急の連絡",
    )
    response = as_alice.post(url("visit_new", case.pk), data)
    assert response.status_code == 200
    assert "ルールの例外を承認できるのは所長・管理者だけです" in page(response)
    assert not HomeVisit.objects.exists() and not VisitOverride.objects.exists()


def test_a_manager_plans_an_emergency_visit_and_the_override_is_highlighted(
    as_mallory, mallory, case
):
    body = page(as_mallory.get(url("visit_new", case.pk)))
    assert 'data-testid="override-fieldset"' in body
    data = plan_data(
        starts_at="2026-12-01T10:00",
        staff=[mallory.pk],
        override_rules=["notice_period", "pair"],
        override_ground="police",
        override_reason="警察から安否確認の要請",
    )
    response = as_mallory.post(url("visit_new", case.pk), data)
    visit = HomeVisit.objects.get(case=case)
    assert response.status_code == 302
    assert set(visit.overrides.values_list("rule", "ground")) == {
        ("notice_period", "police"),
        ("pair", "police"),
    }
    body = page(as_mallory.get(url("visit_detail", visit.pk)))
    overrides = re.search(r'<div class="alert alert-warning"[^>]*data-testid="overrides">', body)
    assert overrides and "警察から安否確認の要請" in body
    assert 'data-testid="override-notice_period"' in body and str(mallory) in body
    # Not announced, but set aside: the checklist says which, and the visit may be confirmed.
    assert 'data-testid="check-announced" data-ok="1"' in body
    assert 'data-next="confirm"' in body and 'data-testid="confirm"' in body


def test_a_manager_s_override_needs_a_ground_and_a_reason(as_mallory, mallory, case):
    # Mallory reads English: the errors are checked by field, not by their words.
    data = plan_data(starts_at="2026-12-01T10:00", staff=[mallory.pk])
    response = as_mallory.post(url("visit_new", case.pk), {**data, "override_rules": ["pair"]})
    assert list(response.context["form"].errors) == ["override_reason"]
    response = as_mallory.post(
        url("visit_new", case.pk),
        {**data, "override_rules": ["notice_period"], "override_reason": "緊急"},
    )
    assert list(response.context["form"].errors) == ["override_ground"]
    assert 'id="error_1_id_override_ground"' in page(response)  # shown at the field
    assert not HomeVisit.objects.exists()


# --- who may open what ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("client", "status"),
    [("as_alice", 200), ("as_mallory", 200), ("as_bob", 200), ("as_charlie", 404)],
)
def test_the_visit_page_is_for_the_centre(request, visit, client, status):
    assert request.getfixturevalue(client).get(url("visit_detail", visit.pk)).status_code == status


@pytest.mark.parametrize(
    ("client", "status"),
    [("as_alice", 200), ("as_mallory", 200), ("as_bob", 403), ("as_charlie", 404)],
)
@pytest.mark.parametrize("name", ["visit_edit", "visit_briefing"])
def test_changing_a_visit_and_its_briefing_are_for_casework(request, visit, client, status, name):
    assert request.getfixturevalue(client).get(url(name, visit.pk)).status_code == status


@pytest.mark.parametrize(
    ("client", "status"),
    [("as_alice", 200), ("as_mallory", 200), ("as_bob", 403), ("as_charlie", 404)],
)
def test_planning_is_for_casework(request, case, client, status):
    assert request.getfixturevalue(client).get(url("visit_new", case.pk)).status_code == status


@pytest.mark.parametrize(
    ("client", "status"),
    [("as_mallory", 200), ("as_alice", 403), ("as_bob", 403), ("as_charlie", 403)],
)
def test_the_safety_list_is_for_managers(request, client, status):
    assert request.getfixturevalue(client).get(url("visit_safety")).status_code == status


MANAGING = ["visit_announce", "visit_confirm", "visit_call_off"]
ACTING = [
    "visit_acknowledge",
    "visit_check_in",
    "visit_check_out",
    "visit_outcome",
    "visit_report",
]


@pytest.mark.parametrize("name", [*MANAGING, "visit_override", *ACTING])
def test_another_centre_s_visit_is_a_404_for_every_action(as_charlie, visit, name):
    assert as_charlie.post(url(name, visit.pk), {}).status_code == 404
    assert as_charlie.get(url("visit_briefing", visit.pk)).status_code == 404


@pytest.mark.parametrize("name", [*MANAGING, "visit_override"])
def test_staff_can_t_plan_announce_or_call_off_even_when_assigned(case, alice, bob, name):
    visit = visit_of(case, alice, [alice, bob])
    assert client_for(bob).post(url(name, visit.pk), {}).status_code == 403


@pytest.mark.parametrize("name", ACTING)
def test_staff_act_on_a_visit_only_when_assigned(as_bob, visit, name):
    assert as_bob.post(url(name, visit.pk), {}).status_code == 403
    assert visit.status == HomeVisit.objects.get(pk=visit.pk).status


def test_a_counsellor_s_override_of_a_visit_is_a_403(as_alice, visit):
    data = {"override-override_rule": "briefing", "override-override_reason": "緊急"}
    assert as_alice.post(url("visit_override", visit.pk), data).status_code == 403
    assert not VisitOverride.objects.exists()
    assert 'data-testid="override-form"' not in page(as_alice.get(url("visit_detail", visit.pk)))


def test_staff_see_the_visit_but_no_buttons_and_no_report(as_bob, visit):
    body = page(as_bob.get(url("visit_detail", visit.pk)))
    assert 'data-testid="checklist"' in body
    for button in ("announce-form", "confirm", "check-in", "call-off-form", "briefing-link"):
        assert f'data-testid="{button}"' not in body


# --- announcing, confirming, a refusal ----------------------------------------------------------


def announce_data(**overrides: object) -> dict[str, object]:
    data = {
        "method": "phone",
        "made_at": "2026-11-30T08:30",
        "recipient": "person",
        "response": "no_answer",
        "note": "",
        "next_step": "letter",
        **overrides,
    }
    return {f"announce-{key}": value for key, value in data.items()}


def test_the_page_asks_for_the_announcement_first(as_alice, visit):
    body = page(as_alice.get(url("visit_detail", visit.pk)))
    assert 'data-next="announce"' in body and "予告を記録してください（最短 2026年12月7日）" in body
    assert 'data-testid="check-announced" data-ok="0"' in body
    assert 'data-testid="confirm"' not in body  # nothing to confirm before an announcement


def test_an_announcement_without_an_answer_then_confirming(as_alice, visit):
    response = as_alice.post(url("visit_announce", visit.pk), announce_data())
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.status == VisitStatus.ANNOUNCED
    body = page(as_alice.get(url("visit_detail", visit.pk)))
    assert 'data-next="confirm"' in body and 'data-testid="check-announced" data-ok="1"' in body
    as_alice.post(url("visit_confirm", visit.pk))
    visit.refresh_from_db()
    assert visit.status == VisitStatus.CONFIRMED
    body = page(as_alice.get(url("visit_detail", visit.pk)))
    assert 'data-next="brief"' in body and "ブリーフィング未確認" in body


def test_an_announcement_to_a_household_member_names_them(as_alice, alice, case, visit):
    mother = make_member(case, alice, relation="mother", given_name="花子")
    data = announce_data(recipient=f"member-{mother.pk}", response="agreed")
    assert as_alice.post(url("visit_announce", visit.pk), data).status_code == 302
    announcement = VisitAnnouncement.objects.get(visit=visit)
    assert (announcement.recipient, announcement.recipient_member_id) == ("household", mother.pk)
    visit.refresh_from_db()
    assert visit.status == VisitStatus.CONFIRMED
    assert "山田 花子" in page(as_alice.get(url("visit_detail", visit.pk)))


def test_an_announcement_too_late_for_the_notice_period_is_refused_with_input_kept(
    as_alice, case, alice, dora
):
    visit = visit_of(case, alice, [alice, dora], days_ahead=7)
    data = announce_data(made_at="2026-12-01T10:00", note="母から折り返し")  # 6 days before
    with time_machine.travel(tokyo(2026, 12, 1, 11), tick=True):
        client = client_for(alice)
        response = client.post(url("visit_announce", visit.pk), data)
    body = page(response)
    assert response.status_code == 200 and "母から折り返し" in body
    assert "予告日（2026年12月1日）から7日をあける必要があります" in body
    assert not VisitAnnouncement.objects.exists()


def test_a_refusal_cancels_the_visit_records_the_no_and_offers_the_next_steps(
    as_alice, case, visit
):
    data = announce_data(response="refused", next_step="family", note="本人が会いたくないと")
    assert as_alice.post(url("visit_announce", visit.pk), data).status_code == 302
    visit.refresh_from_db()
    assert (visit.status, visit.next_step) == (VisitStatus.CANCELLED, "family")
    refusal = ContactEntry.objects.get(case=case)
    assert refusal.two_way and "断られた" in refusal.note
    body = page(as_alice.get(url("visit_detail", visit.pk)))
    assert 'data-testid="next-steps"' in body and 'data-next="next_step"' in body
    family = re.search(r'<a class="btn ([^"]*)"[^>]*data-testid="next-step-family"', body)
    assert family and "btn-primary" in family.group(1).split()
    assert url("visit_new", case.pk) in body  # plan a later date
    assert reverse("families:member_contact_add", args=[case.pk]) in body
    assert 'data-testid="announce-form"' not in body  # nothing more to announce
    # The person's "no" is on the case's timeline.
    assert "断られた" in page(as_alice.get(reverse("cases:detail", args=[case.pk])))


def test_asking_for_another_date_postpones_and_asks_for_a_new_one(as_alice, visit):
    as_alice.post(url("visit_announce", visit.pk), announce_data(response="change_date"))
    visit.refresh_from_db()
    assert visit.status == VisitStatus.POSTPONED
    body = page(as_alice.get(url("visit_detail", visit.pk)))
    assert 'data-next="reschedule"' in body and 'data-testid="edit-link"' in body


def test_confirming_without_an_announcement_is_refused_with_a_message(as_alice, visit):
    response = as_alice.post(url("visit_confirm", visit.pk), follow=True)
    assert "予告が記録されていない訪問は確定できません" in page(response)
    visit.refresh_from_db()
    assert visit.status == VisitStatus.PLANNED


# --- changing and calling off -------------------------------------------------------------------


def edit_data(visit: HomeVisit, **overrides: object) -> dict[str, object]:
    start, end = timezone.localtime(visit.starts_at), timezone.localtime(visit.ends_at)
    return {
        "version": visit.version,
        "starts_at": f"{start:%Y-%m-%dT%H:%M}",
        "ends_at": f"{end:%H:%M}",
        "purpose": visit.purpose,
        "staff": [a.user_id for a in visit.assignments.all()],
        **overrides,
    }


def test_the_edit_form_shows_the_visit_as_it_is(as_alice, visit):
    body = page(as_alice.get(url("visit_edit", visit.pk)))
    assert 'value="2026-12-14T10:00"' in body and 'value="11:00"' in body
    assert f'name="version" value="{visit.version}"' in body


def test_moving_a_confirmed_visit_asks_to_announce_it_again(as_alice, case, alice, dora):
    visit = visit_of(case, alice, [alice, dora], status="confirmed")
    response = as_alice.post(
        url("visit_edit", visit.pk), edit_data(visit, starts_at="2026-12-15T10:00")
    )
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.status == VisitStatus.PLANNED  # the new date is to be announced
    assert timezone.localtime(visit.starts_at) == tokyo(2026, 12, 15, 10)
    assert "予告と確定をやり直してください" in page(as_alice.get(url("visit_detail", visit.pk)))


def test_a_stale_edit_is_a_409_with_the_input_kept(as_alice, alice, visit):
    stale = edit_data(visit, purpose="家族と一緒に近況をうかがう")
    services.visit_update(
        visit=visit,
        by=alice,
        expected_version=visit.version,
        starts_at=visit.starts_at,
        ends_at=visit.ends_at,
        purpose="同僚が先に変えた目的",
        staff=list(visit.staff.all()),
    )
    response = as_alice.post(url("visit_edit", visit.pk), stale)
    body = page(response)
    assert response.status_code == 409
    assert "家族と一緒に近況をうかがう" in body and "他の人が更新しました" in body
    visit.refresh_from_db()
    assert visit.purpose == "同僚が先に変えた目的"
    assert f'name="version" value="{visit.version}"' in body  # saving again, knowingly, works
    again = as_alice.post(url("visit_edit", visit.pk), {**stale, "version": visit.version})
    assert again.status_code == 302
    visit.refresh_from_db()
    assert visit.purpose == "家族と一緒に近況をうかがう"


def test_calling_off_needs_a_reason_and_keeps_the_choice(as_alice, visit):
    data = {"calloff-status": "postponed", "calloff-reason": ""}
    response = as_alice.post(url("visit_call_off", visit.pk), data)
    body = page(response)
    assert response.status_code == 200 and "<details" in body
    assert re.search(r'<details class="card mb-3" id="call-off" open', body)
    visit.refresh_from_db()
    assert visit.status == VisitStatus.PLANNED
    data["calloff-reason"] = "本人の体調不良"
    assert as_alice.post(url("visit_call_off", visit.pk), data).status_code == 302
    visit.refresh_from_db()
    assert (visit.status, visit.status_reason) == (VisitStatus.POSTPONED, "本人の体調不良")
    body = page(as_alice.get(url("visit_detail", visit.pk)))
    assert 'data-testid="check-announced" data-ok="0"' in body  # it never was


# --- a manager's override on the visit ----------------------------------------------------------


def test_a_manager_overrides_the_briefing_gate_and_it_is_shown(as_mallory, mallory, visit):
    data = {
        "override-override_rule": "briefing",
        "override-override_ground": "risk_to_life",
        "override-override_reason": "本人の生命の危険",
    }
    response = as_mallory.post(url("visit_override", visit.pk), data)
    assert response.status_code == 302
    override = VisitOverride.objects.get(visit=visit)
    assert (override.rule, override.by) == ("briefing", mallory)
    body = page(as_mallory.get(url("visit_detail", visit.pk)))
    assert 'data-testid="override-briefing"' in body and "本人の生命の危険" in body
    assert AuditEvent.objects.filter(model="outreach.visitoverride", action="create").exists()


def test_a_manager_s_override_without_a_reason_is_refused_on_the_form(as_mallory, visit):
    data = {"override-override_rule": "pair", "override-override_reason": ""}
    response = as_mallory.post(url("visit_override", visit.pk), data)
    assert response.status_code == 200
    assert list(response.context["override_form"].errors) == ["override_reason"]
    assert re.search(
        r'<details class="card border-warning mb-3" id="override" open', page(response)
    )
    assert not VisitOverride.objects.exists()


# --- on the day: check-in gated by the briefing, check-out, the outcome -----------------------


def test_check_in_is_blocked_until_everyone_is_briefed_then_works(case, alice, dora):
    visit = visit_of(case, alice, [alice, dora], status="confirmed", days_ahead=8)
    with time_machine.travel(at_visit(visit), tick=True):
        client = client_for(alice)
        body = page(client.get(url("visit_detail", visit.pk)))
        assert 'data-testid="check-in"' in body and "btn-lg w-100" in body
        response = client.post(url("visit_check_in", visit.pk), follow=True)
        assert "ブリーフィングを確認していない担当者がいます" in page(response)
        visit.refresh_from_db()
        assert visit.status == VisitStatus.CONFIRMED

        acknowledge(client, visit)
        body = page(client.get(url("visit_detail", visit.pk)))
        assert 'data-next="brief"' in body and "土井さん" in body
        services.briefing_acknowledge(visit=visit, by=dora)
        assert 'data-next="check_in"' in page(client.get(url("visit_detail", visit.pk)))

        assert client.post(url("visit_check_in", visit.pk)).status_code == 302
        assert client.post(url("visit_check_in", visit.pk)).status_code == 302  # a double tap
        visit.refresh_from_db()
        assert (visit.status, visit.checked_in_by) == (VisitStatus.IN_PROGRESS, alice)
        body = page(client.get(url("visit_detail", visit.pk)))
        assert 'data-testid="check-out"' in body and 'data-testid="check-in"' not in body


def test_check_out_then_outcome_puts_the_visit_on_the_case_s_timeline(case, alice, dora):
    visit = visit_of(case, alice, [alice, dora], status="briefed", days_ahead=8)
    with time_machine.travel(at_visit(visit, -10), tick=True):
        client = client_for(alice)
        client.post(url("visit_check_in", visit.pk))
    with time_machine.travel(at_visit(visit, 50), tick=True):
        client = client_for(alice)
        assert client.post(url("visit_check_out", visit.pk)).status_code == 302
        client.post(url("visit_check_out", visit.pk))  # a double tap changes nothing
        visit.refresh_from_db()
        checked_out_at = visit.checked_out_at
        assert checked_out_at is not None
        assert 'data-next="outcome"' in page(client.get(url("visit_detail", visit.pk)))
        data = {"outcome-outcome": "met_person", "outcome-report": "玄関で10分話せた"}
        assert client.post(url("visit_outcome", visit.pk), data).status_code == 302
        visit.refresh_from_db()
        assert (visit.status, visit.outcome, visit.checked_out_at) == (
            VisitStatus.DONE,
            VisitOutcome.MET_PERSON,
            checked_out_at,
        )
        entry = ContactEntry.objects.get(pk=visit.contact_id)
        assert (entry.channel, entry.two_way, entry.source) == ("home_visit", True, "home_visit")
        body = page(client.get(url("visit_detail", visit.pk)))
        assert 'data-testid="contact-link"' in body and "玄関で10分話せた" in body
        timeline = page(client.get(reverse("cases:detail", args=[case.pk])))
        assert "【訪問: 本人と会えた】" in timeline and "玄関で10分話せた" in timeline


def test_an_outcome_needs_a_choice_and_keeps_the_report(case, alice, dora):
    visit = visit_of(case, alice, [alice, dora], status="briefed", days_ahead=8)
    with time_machine.travel(at_visit(visit, -10), tick=True):
        client = client_for(alice)
        client.post(url("visit_check_in", visit.pk))
        response = client.post(url("visit_outcome", visit.pk), {"outcome-report": "書きかけ"})
    body = page(response)
    assert response.status_code == 200 and "書きかけ" in body
    visit.refresh_from_db()
    assert visit.status == VisitStatus.IN_PROGRESS


def test_a_refusal_at_the_door_offers_the_next_steps(case, alice, dora):
    visit = visit_of(case, alice, [alice, dora], status="briefed", days_ahead=8)
    with time_machine.travel(at_visit(visit, 5), tick=True):
        client = client_for(alice)
        client.post(url("visit_check_in", visit.pk))
        data = {"outcome-outcome": "refused", "outcome-next_step": "later"}
        client.post(url("visit_outcome", visit.pk), data)
        visit.refresh_from_db()
        assert (visit.status, visit.next_step) == (VisitStatus.DONE, "later")
        body = page(client.get(url("visit_detail", visit.pk)))
    later = re.search(r'<a class="btn ([^"]*)"[^>]*data-testid="next-step-later"', body)
    assert later and "btn-primary" in later.group(1).split()


def test_the_report_is_written_after_the_visit_and_is_version_locked(case, alice, dora, bob):
    visit = visit_of(case, alice, [alice, dora], status="briefed", days_ahead=8)
    with time_machine.travel(at_visit(visit, 70), tick=True):
        client = client_for(alice)
        client.post(url("visit_check_in", visit.pk))
        client.post(url("visit_outcome", visit.pk), {"outcome-outcome": "no_answer"})
        visit.refresh_from_db()
        assert 'data-next="report"' in page(client.get(url("visit_detail", visit.pk)))
        version = visit.version
        data = {"report-version": version, "report-report": "インターホンに応答なし。手紙を投函"}
        assert client.post(url("visit_report", visit.pk), data).status_code == 302
        stale = {"report-version": version, "report-report": "古い版からの書き換え"}
        response = client.post(url("visit_report", visit.pk), stale)
        assert response.status_code == 409 and "古い版からの書き換え" in page(response)
        visit.refresh_from_db()
        assert visit.report == "インターホンに応答なし。手紙を投函"
        entry = ContactEntry.objects.get(pk=visit.contact_id)
        assert not entry.two_way and "手紙を投函" in entry.note
        # The report is the visit's contact note: staff who read the case's contact log
        # read it here too, and reading it is on the audit trail.
        body = page(client_for(bob).get(url("visit_detail", visit.pk)))
    assert "手紙を投函" in body and 'data-testid="visit-outcome"' in body
    assert AuditEvent.objects.filter(
        user=bob, action="view", model="outreach.homevisit", object_id=visit.pk
    ).exists()


def read_briefing(client, visit) -> str:
    """Open the briefing, as a person does before acknowledging: the key of what was read."""
    body = page(client.get(url("visit_briefing", visit.pk)))
    found = re.search(r'name="key" value="([0-9a-f]+)"', body)
    assert found, "the briefing page carries the key of what it shows"
    return found.group(1)


def acknowledge(client, visit):
    return client.post(url("visit_acknowledge", visit.pk), {"key": read_briefing(client, visit)})


def test_a_briefing_changed_while_it_was_read_is_to_be_read_again(case, alice, bob):
    """Read with no risk flags; a colleague records violence at home; the acknowledgement of
    the old briefing does not open the gate."""
    visit = visit_of(case, alice, [alice, bob], status="confirmed", days_ahead=8)
    client = client_for(bob)
    key = read_briefing(client, visit)
    type(case).objects.filter(pk=case.pk).update(risk_violence=True)
    response = client.post(url("visit_acknowledge", visit.pk), {"key": key}, follow=True)
    assert "もう一度読んで" in page(response)
    assert not visit.assignments.get(user=bob).briefing_acknowledged_at
    acknowledge(client, visit)  # read again: now it counts
    assert visit.assignments.get(user=bob).briefing_acknowledged_at


def test_an_assigned_staff_member_reads_the_briefing_and_checks_in(case, alice, bob):
    visit = visit_of(case, alice, [alice, bob], status="confirmed", days_ahead=8)
    services.briefing_acknowledge(visit=visit, by=alice)
    with time_machine.travel(at_visit(visit), tick=True):
        client = client_for(bob)
        assert client.get(url("visit_briefing", visit.pk)).status_code == 200
        acknowledge(client, visit)
        assert client.post(url("visit_check_in", visit.pk)).status_code == 302
        visit.refresh_from_db()
        assert (visit.status, visit.checked_in_by) == (VisitStatus.IN_PROGRESS, bob)
        report = page(client.get(url("visit_detail", visit.pk)))
    assert 'data-testid="announce-form"' not in report  # announcing stays casework


def test_the_page_says_when_check_in_opens(as_alice, case, alice, dora):
    visit = visit_of(case, alice, [alice, dora], status="briefed", days_ahead=8)
    body = page(as_alice.get(url("visit_detail", visit.pk)))
    assert 'data-next="check_in_later"' in body and "2026年12月8日 08:00" in body
    assert 'data-testid="check-briefed" data-ok="1"' in body and "2/2" in body


# --- the briefing -------------------------------------------------------------------------------


def test_the_briefing_is_compiled_from_the_case_and_its_reading_recorded(
    as_alice, alice, case, visit
):
    case.person_aware = "no"
    case.risk_violence = True
    case.save(update_fields=["person_aware", "risk_violence"])
    mother = make_member(case, alice, relation="mother", person_aware="no")
    brother = make_member(case, alice, relation="sibling", given_name="次郎", contact_consent=False)
    record_contact(case, alice, note="母から電話。本人は昼夜逆転")
    case_services.consent_record(
        case=case,
        by=alice,
        fields={
            "scope": ConsentScope.HOME_VISIT,
            "given_by": "母（本人の了承を伝えて）",
            "given_on": timezone.localdate(),
        },
    )
    body = page(as_alice.get(url("visit_briefing", visit.pk)))
    assert 'data-testid="briefing-person-unaware"' in body
    assert "家族がセンターに相談していることや" in body
    assert "家庭内暴力" in body
    assert f'data-testid="briefing-member-{mother.pk}"' in body
    brother_row = re.search(rf'data-testid="briefing-member-{brother.pk}".*?</tr>', body, re.S)
    assert brother_row and "連絡不可" in brother_row.group(0)
    assert "昼夜逆転" in body and visit.purpose in body
    assert "母（本人の了承を伝えて）" in body
    viewed = AuditEvent.objects.filter(
        user=alice, action="view", model="outreach.homevisit", object_id=str(visit.pk)
    )
    assert viewed.exists()


def test_a_risk_change_asks_every_assignee_to_acknowledge_again(case, alice, dora):
    visit = visit_of(case, alice, [alice, dora], status="briefed")
    client = client_for(alice)
    body = page(client.get(url("visit_briefing", visit.pk)))
    assert f'data-testid="ack-{alice.pk}" data-state="done"' in body
    assert 'data-testid="acknowledge"' not in body

    case.refresh_from_db()
    case_services.case_update(
        case=case, by=alice, changes={"risk_violence": True}, expected_version=case.version
    )
    body = page(client.get(url("visit_briefing", visit.pk)))
    assert f'data-testid="ack-{alice.pk}" data-state="again"' in body
    assert f'data-testid="ack-{dora.pk}" data-state="again"' in body
    assert 'data-testid="acknowledge"' in body and "家庭内暴力" in body
    assert 'data-next="brief"' in page(client.get(url("visit_detail", visit.pk)))

    acknowledge(client, visit)
    body = page(client.get(url("visit_briefing", visit.pk)))
    assert f'data-testid="ack-{alice.pk}" data-state="done"' in body
    assert f'data-testid="ack-{dora.pk}" data-state="again"' in body


def test_a_casework_role_not_on_the_visit_reads_the_briefing_without_a_button(as_mallory, visit):
    body = page(as_mallory.get(url("visit_briefing", visit.pk)))
    assert 'data-testid="acknowledgements"' in body and 'data-testid="acknowledge"' not in body


# --- the safety banner --------------------------------------------------------------------------


def test_the_banner_appears_after_the_watch_alerts_and_goes_after_check_out(
    case, alice, dora, mallory
):
    visit = visit_of(case, alice, [alice, dora], status="briefed", days_ahead=8)
    with time_machine.travel(at_visit(visit, -10), tick=True):
        client_for(alice).post(url("visit_check_in", visit.pk))
    grace = visit.centre.safety_checkout_grace_minutes
    with time_machine.travel(visit.ends_at + dt.timedelta(minutes=grace - 5), tick=True):
        visits_watch()
        manager = client_for(mallory)
        assert 'data-testid="visit-safety-banner"' not in page(manager.get(reverse("home")))
    with time_machine.travel(visit.ends_at + dt.timedelta(minutes=grace + 5), tick=True):
        assert visits_watch().checkout_alerts == 1
        manager = client_for(mallory)
        home = page(manager.get(reverse("home")))
        assert 'data-testid="visit-safety-banner"' in home and url("visit_safety") in home
        # Only the roles that watch over visits see it.
        counsellor = page(client_for(alice).get(reverse("home"), follow=True))
        assert 'data-testid="visit-safety-banner"' not in counsellor
        safety = page(manager.get(url("visit_safety")))
        assert f'data-testid="safety-check-out-{visit.pk}"' in safety
        response = manager.post(url("visit_check_out", visit.pk), {"back": "safety"})
        assert response["Location"] == url("visit_safety")
        visit.refresh_from_db()
        assert visit.checked_out_by == mallory
        home = page(manager.get(reverse("home")))
        assert 'data-testid="visit-safety-banner"' not in home


def test_the_banner_counts_only_the_manager_s_centres(case, alice, dora, centre_b, charlie):
    visit = visit_of(case, alice, [alice, dora], status="briefed", days_ahead=8)
    with time_machine.travel(at_visit(visit, -10), tick=True):
        client_for(alice).post(url("visit_check_in", visit.pk))
    with time_machine.travel(visit.ends_at + dt.timedelta(hours=5), tick=True):
        visits_watch()
        manager_b = UserFactory(role=Role.MANAGER, centre=centre_b)
        home = page(client_for(manager_b).get(reverse("home")))
    assert 'data-testid="visit-safety-banner"' not in home


# --- query counts -------------------------------------------------------------------------------


def _past_visits(case, by, n):  # type: ignore[no-untyped-def]
    """n earlier visits, done and reported, written in one go (like bulk_contacts)."""
    now = timezone.now()
    HomeVisit.objects.bulk_create(
        HomeVisit(
            centre=case.centre,
            case=case,
            starts_at=now - dt.timedelta(days=7 * week),
            ends_at=now - dt.timedelta(days=7 * week) + dt.timedelta(hours=1),
            purpose=f"定期の訪問{week}",
            status=VisitStatus.DONE,
            outcome=VisitOutcome.THROUGH_DOOR,
            report=f"記録{week}",
            report_by=by,
            created_by=by,
        )
        for week in range(1, n + 1)
    )


def _grow(case, visit, alice, n):  # type: ignore[no-untyped-def]
    _past_visits(case, alice, n)
    for i in range(n):
        record_contact(case, alice, at=timezone.now() - dt.timedelta(days=i + 1))
        make_member(case, alice, relation="sibling", given_name=f"兄{i}")
        services.visit_announce(
            visit=visit,
            by=alice,
            method="phone",
            made_at=timezone.now() - dt.timedelta(minutes=n - i),
            recipient="person",
            response="no_answer",
        )


# Session, user, the user's centres (ids and the menu's names), the visit (case, centre and who checked in, out and
# reported joined), its staff, announcements and overrides (one query each), the household
# members (who an announcement was made to, and the form's choices), the household links the
# briefing's key reads, the INSERT of the view into the audit trail (the report is sensitive),
# and the page header (the inbox badge).
VISIT_PAGE_QUERIES = 11


def test_the_visit_page_query_count_does_not_grow(
    as_alice, alice, case, visit, django_assert_num_queries
):
    _grow(case, visit, alice, 1)
    with django_assert_num_queries(VISIT_PAGE_QUERIES):
        as_alice.get(url("visit_detail", visit.pk))
    _grow(case, visit, alice, 10)
    with django_assert_num_queries(VISIT_PAGE_QUERIES):
        response = as_alice.get(url("visit_detail", visit.pk))
    assert len(response.context["announcements"]) == 11


# Session, user, the user's centres (ids and the menu's names), the visit with its staff,
# announcements and overrides (four) and the household links its key reads, the INSERT of
# the view into the audit trail, the last contacts, the earlier visits and the consents to
# visits (one query: JSON arrays of the case's row; was three), the household (its members
# with their contacts counted and their other cases: one query; was two) and the page header
# (the inbox badge). Was 15.
BRIEFING_QUERIES = 12


def test_the_briefing_query_count_does_not_grow(
    as_alice, alice, case, visit, django_assert_num_queries
):
    _grow(case, visit, alice, 1)
    with django_assert_num_queries(BRIEFING_QUERIES):
        as_alice.get(url("visit_briefing", visit.pk))
    _grow(case, visit, alice, 10)
    with django_assert_num_queries(BRIEFING_QUERIES):
        response = as_alice.get(url("visit_briefing", visit.pk))
    briefing = response.context["briefing"]
    assert len(briefing.earlier_visits) == 10 and len(briefing.contacts) == 5
    assert len(briefing.household) == 11
    # Read as JSON, shown as before: newest first, with who wrote them.
    contacts = list(case.contacts.order_by("-occurred_at", "-id")[:5])
    assert [c.pk for c in briefing.contacts] == [c.pk for c in contacts]
    assert [c.occurred_at for c in briefing.contacts] == [c.occurred_at for c in contacts]
    assert {str(c.staff) for c in briefing.contacts} == {str(alice)}
    earlier = briefing.earlier_visits
    past = case.home_visits.exclude(pk=visit.pk).order_by("-starts_at", "-id")[:10]
    assert [(v.pk, v.purpose, v.starts_at) for v in earlier] == [
        (v.pk, v.purpose, v.starts_at) for v in past
    ]
    assert earlier[0].get_status_display() and earlier[0].report_by.pk == alice.pk
    body = page(response)
    assert "記録1" in body and str(alice) in body


# Session, user, the authenticator (second factor), the user's centres (ids and the menu's
# names), the visits under way (case and centre joined) and their staff, and the page header
# (inbox badge, sweep heartbeat and the banner's count: one statement).
SAFETY_QUERIES = 7


def test_the_safety_list_query_count_does_not_grow(
    case, alice, dora, mallory, centre_a, django_assert_num_queries
):
    visits = [visit_of(case, alice, [alice, dora], status="briefed", days_ahead=8)]
    for hour in (13, 16):
        other = make_case(centre_a, alice)
        visits.append(
            make_visit(
                other, alice, staff=[alice, dora], days_ahead=8, start_hour=hour, status="briefed"
            )
        )
    for one in visits:
        with time_machine.travel(one.starts_at, tick=False):
            one.refresh_from_db()
            services.visit_check_in(visit=one, by=alice)
    with time_machine.travel(visits[0].starts_at + dt.timedelta(hours=7), tick=True):
        visits_watch(timezone.now() + dt.timedelta(hours=3))
        client = client_for(mallory)
        with django_assert_num_queries(SAFETY_QUERIES):
            response = client.get(url("visit_safety"))
    assert len(response.context["alerted"]) == 3


def test_the_visit_edit_form_is_a_view_of_the_case_recorded_once(as_alice, case, visit):
    """The form shows the case (its number, household, the purpose): like the visit page and
    the briefing, opening it is on the case's audit trail, once per request."""
    response = as_alice.get(url("visit_edit", visit.pk))
    assert response.status_code == 200
    viewed = AuditEvent.objects.filter(case_id=case.pk, action="view")
    assert [(e.model, str(e.object_id)) for e in viewed] == [("outreach.homevisit", str(visit.pk))]
