"""Community work through its services: recording and editing an activity (staff of the centre
only, the optimistic lock, the audit trail naming fields), and the cases a meeting discussed:
same centre only, only at a meeting with a basis for sharing (a statutory conference, or each
case's consent in force on the day), an edit that would strip a linked case of its basis is
refused, linking and unlinking are on the case's audit trail, and a discussion is never a
contact (the statistics' 実人員/延人員 and the silence clock are untouched)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from accounts.models import AuditAction, AuditEvent, Centre, User
from cases import services as case_services
from cases.choices import ConsentScope
from cases.models import Case, Consent, ContactEntry
from cases.services import StaleEdit
from outreach import services
from outreach.models import ActivityKind, CommunityActivity, DiscussedCase, SharingBasis
from outreach.services.community import sharing_consents
from tests.factories import UserFactory, make_case

pytestmark = pytest.mark.django_db

TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")


def activity_fields(**overrides: Any) -> dict[str, Any]:
    return {
        "kind": ActivityKind.LECTURE,
        "title": "ひきこもりを知る講演会",
        "held_on": dt.date(2026, 4, 10),
        "place": "市民会館",
        "audience_kind": "residents",
        "audience_count": 40,
        **overrides,
    }


def make_activity(
    centre: Centre, by: User, staff: list[User] | None = None, **overrides: Any
) -> CommunityActivity:
    return services.community_activity_create(
        centre=centre, by=by, fields=activity_fields(**overrides), staff=staff or [by]
    )


def make_meeting(
    centre: Centre, by: User, basis: str = SharingBasis.POVERTY_ACT, **overrides: Any
) -> CommunityActivity:
    fields = {
        "kind": ActivityKind.SUPPORT_MEETING,
        "title": "支援会議",
        "audience_kind": "agency_staff",
        "audience_count": 6,
        "sharing_basis": basis,
        **overrides,
    }
    return make_activity(centre, by, **fields)


def share_consent(case: Case, by: User, given_on: dt.date, withdrawn_on: dt.date | None = None):  # type: ignore[no-untyped-def]
    return Consent.objects.create(
        case=case,
        scope=ConsentScope.SHARE_WITH_AGENCY,
        given_by="本人",
        given_on=given_on,
        withdrawn_on=withdrawn_on,
        recorded_by=by,
    )


# --- recording and editing ------------------------------------------------------------------


def test_create_records_the_activity_its_staff_and_an_audit_event(centre_a, alice, bob):
    activity = make_activity(
        centre_a,
        alice,
        staff=[alice, bob],
        starts_at=dt.datetime(2026, 4, 10, 14, tzinfo=TOKYO),
        ends_at=dt.datetime(2026, 4, 10, 16, tzinfo=TOKYO),
    )
    activity.refresh_from_db()
    assert activity.created_by == alice and activity.version == 1
    assert set(activity.staff.all()) == {alice, bob}
    assert activity.starts_at == dt.datetime(2026, 4, 10, 5, tzinfo=dt.UTC)  # stored in UTC
    event = AuditEvent.objects.get(model="outreach.communityactivity")
    assert (event.action, event.object_id, event.centre_id, event.case_id) == (
        AuditAction.CREATE,
        activity.pk,
        centre_a.pk,
        None,
    )


def test_staff_of_another_centre_are_refused(centre_a, alice, charlie):
    with pytest.raises(ValidationError) as refused:
        make_activity(centre_a, alice, staff=[alice, charlie])
    assert "staff" in refused.value.message_dict
    assert not CommunityActivity.objects.exists()


def test_update_saves_only_what_changed_and_audits_the_field_names(centre_a, alice, bob):
    activity = make_activity(centre_a, alice)
    updated = services.community_activity_update(
        activity=activity,
        by=bob,
        changes={"audience_count": 52, "title": activity.title, "place": "公民館"},
        staff=[alice, bob],
        expected_version=1,
    )
    assert (updated.audience_count, updated.place, updated.version) == (52, "公民館", 2)
    assert updated.updated_by == bob
    event = AuditEvent.objects.get(action=AuditAction.CHANGE)
    assert event.changed_fields == ["audience_count", "place", "staff"]  # never the values


def test_a_stale_edit_is_refused_and_changes_nothing(centre_a, alice):
    activity = make_activity(centre_a, alice)
    services.community_activity_update(
        activity=activity, by=alice, changes={"audience_count": 41}, expected_version=1
    )
    with pytest.raises(StaleEdit):
        services.community_activity_update(
            activity=activity, by=alice, changes={"audience_count": 99}, expected_version=1
        )
    activity.refresh_from_db()
    assert (activity.audience_count, activity.version) == (41, 2)


def test_nothing_changed_is_nothing_written(centre_a, alice):
    activity = make_activity(centre_a, alice)
    services.community_activity_update(
        activity=activity,
        by=alice,
        changes={"title": activity.title},
        staff=[alice],
        expected_version=1,
    )
    activity.refresh_from_db()
    assert activity.version == 1
    assert not AuditEvent.objects.filter(action=AuditAction.CHANGE).exists()


# --- the cases a meeting discussed ------------------------------------------------------------


def test_linking_a_case_is_audited_on_the_case_and_writes_no_contact(centre_a, alice):
    case = make_case(centre_a, alice)
    clock = case.last_two_way_contact_at
    contacts = ContactEntry.objects.count()
    meeting = make_meeting(centre_a, alice)
    link = services.community_case_link(activity=meeting, case=case, by=alice)
    assert link.case == case and link.added_by == alice
    event = AuditEvent.objects.get(model="outreach.discussedcase")
    assert (event.action, event.object_id, event.case_id, event.centre_id) == (
        AuditAction.CREATE,
        link.pk,
        case.pk,
        centre_a.pk,
    )
    # A meeting about the person is not a consultation of the person.
    assert ContactEntry.objects.count() == contacts
    case.refresh_from_db()
    assert case.last_two_way_contact_at == clock


def test_linking_twice_is_one_link_and_one_event(centre_a, alice):
    case = make_case(centre_a, alice)
    meeting = make_meeting(centre_a, alice)
    services.community_case_link(activity=meeting, case=case, by=alice)
    services.community_case_link(activity=meeting, case=case, by=alice)
    assert DiscussedCase.objects.count() == 1
    assert AuditEvent.objects.filter(model="outreach.discussedcase").count() == 1


def test_unlinking_is_audited_with_the_case_id(centre_a, alice):
    case = make_case(centre_a, alice)
    meeting = make_meeting(centre_a, alice)
    link = services.community_case_link(activity=meeting, case=case, by=alice)
    assert services.community_case_unlink(activity=meeting, case=case, by=alice) is True
    assert not DiscussedCase.objects.exists()
    event = AuditEvent.objects.get(action=AuditAction.DELETE)
    assert (event.model, event.object_id, event.case_id) == (
        "outreach.discussedcase",
        link.pk,
        case.pk,
    )
    assert services.community_case_unlink(activity=meeting, case=case, by=alice) is False


def test_a_case_of_another_centre_is_refused_never_linked(centre_a, centre_b, alice, charlie):
    other = make_case(centre_b, charlie)
    meeting = make_meeting(centre_a, alice)
    with pytest.raises(ValidationError) as refused:
        services.community_case_link(activity=meeting, case=other, by=alice)
    assert "他のセンター" in refused.value.message_dict["case_number"][0]
    assert not DiscussedCase.objects.exists()
    assert not AuditEvent.objects.filter(case_id=other.pk, model="outreach.discussedcase").exists()


def test_only_a_meeting_may_discuss_cases(centre_a, alice):
    case = make_case(centre_a, alice)
    lecture = make_activity(centre_a, alice)
    with pytest.raises(ValidationError) as refused:
        services.community_case_link(activity=lecture, case=case, by=alice)
    assert "支援会議・ネットワーク会議だけ" in refused.value.message_dict["case_number"][0]


def test_a_meeting_without_a_basis_for_sharing_may_not_discuss_cases(centre_a, alice):
    case = make_case(centre_a, alice)
    meeting = make_meeting(centre_a, alice, basis="", kind=ActivityKind.NETWORK_MEETING)
    with pytest.raises(ValidationError) as refused:
        services.community_case_link(activity=meeting, case=case, by=alice)
    assert "根拠" in refused.value.message_dict["case_number"][0]


def test_under_consent_each_case_needs_a_sharing_consent_in_force_on_the_day(centre_a, alice):
    meeting = make_meeting(centre_a, alice, basis=SharingBasis.CONSENT)  # 2026-04-10
    without = make_case(centre_a, alice)
    withdrawn = make_case(centre_a, alice)
    share_consent(withdrawn, alice, dt.date(2026, 1, 5), withdrawn_on=dt.date(2026, 4, 10))
    given = make_case(centre_a, alice)
    share_consent(given, alice, dt.date(2026, 4, 10))
    for case in (without, withdrawn):
        with pytest.raises(ValidationError) as refused:
            services.community_case_link(activity=meeting, case=case, by=alice)
        assert case.case_number in refused.value.message_dict["case_number"][0]
    services.community_case_link(activity=meeting, case=given, by=alice)
    assert list(meeting.discussions.values_list("case", flat=True)) == [given.pk]


def test_a_statutory_conference_needs_no_consent(centre_a, alice):
    case = make_case(centre_a, alice)
    for basis in (SharingBasis.POVERTY_ACT, SharingBasis.SOCIAL_WELFARE_ACT):
        meeting = make_meeting(centre_a, alice, basis=basis)
        services.community_case_link(activity=meeting, case=case, by=alice)
    assert DiscussedCase.objects.filter(case=case).count() == 2


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"kind": ActivityKind.LECTURE, "sharing_basis": ""}, "kind"),
        ({"sharing_basis": ""}, "sharing_basis"),
        ({"sharing_basis": SharingBasis.CONSENT}, "sharing_basis"),
    ],
)
def test_an_edit_that_strips_a_linked_case_of_its_basis_is_refused(centre_a, alice, changes, field):
    case = make_case(centre_a, alice)
    meeting = make_meeting(centre_a, alice)
    services.community_case_link(activity=meeting, case=case, by=alice)
    with pytest.raises(ValidationError) as refused:
        services.community_activity_update(
            activity=meeting, by=alice, changes=changes, expected_version=1
        )
    assert field in refused.value.message_dict
    meeting.refresh_from_db()
    assert (meeting.kind, meeting.sharing_basis, meeting.version) == (
        ActivityKind.SUPPORT_MEETING,
        SharingBasis.POVERTY_ACT,
        1,
    )


def test_moving_a_consent_based_meeting_to_a_day_without_consent_is_refused(centre_a, alice):
    case = make_case(centre_a, alice)
    share_consent(case, alice, dt.date(2026, 4, 1))
    meeting = make_meeting(centre_a, alice, basis=SharingBasis.CONSENT)
    services.community_case_link(activity=meeting, case=case, by=alice)
    with pytest.raises(ValidationError) as refused:
        services.community_activity_update(
            activity=meeting,
            by=alice,
            changes={"held_on": dt.date(2026, 3, 31)},
            expected_version=1,
        )
    assert "sharing_basis" in refused.value.message_dict
    moved = services.community_activity_update(
        activity=meeting, by=alice, changes={"held_on": dt.date(2026, 4, 2)}, expected_version=1
    )
    assert moved.held_on == dt.date(2026, 4, 2)


def test_the_sql_consent_rule_agrees_with_consent_is_active_on(centre_a, alice):
    """sharing_consents (SQL) and Consent.is_active_on (Python): one rule, pinned together at
    its edges (given that day, withdrawn that day, withdrawn the day after)."""
    case = make_case(centre_a, alice)
    consents = [
        share_consent(case, alice, dt.date(2026, 4, 10)),
        share_consent(case, alice, dt.date(2026, 4, 1), withdrawn_on=dt.date(2026, 4, 10)),
        share_consent(case, alice, dt.date(2026, 4, 1), withdrawn_on=dt.date(2026, 4, 11)),
        share_consent(case, alice, dt.date(2026, 4, 11)),
    ]
    for day in (dt.date(2026, 4, 9), dt.date(2026, 4, 10), dt.date(2026, 4, 11)):
        in_sql = set(Consent.objects.filter(sharing_consents(day)).values_list("pk", flat=True))
        in_python = {consent.pk for consent in consents if consent.is_active_on(day)}
        assert in_sql == in_python, day
    other_scope = Consent.objects.create(
        case=case,
        scope=ConsentScope.HOME_VISIT,
        given_by="本人",
        given_on=dt.date(2026, 4, 1),
        recorded_by=alice,
    )
    assert not Consent.objects.filter(sharing_consents(dt.date(2026, 4, 10)), pk=other_scope.pk)


def test_a_closed_case_may_still_be_discussed(centre_a, alice):
    case = make_case(centre_a, alice)
    case_services.case_change_status(
        case=case, by=alice, to_status="closed", closure_reason="goal_reached"
    )
    meeting = make_meeting(centre_a, alice)
    services.community_case_link(activity=meeting, case=case, by=alice)
    assert meeting.discussions.count() == 1


def test_an_inactive_colleague_cannot_be_added_as_staff(centre_a, alice):
    gone = UserFactory(role="staff", centre=centre_a, is_active=False)
    with pytest.raises(ValidationError):
        make_activity(centre_a, alice, staff=[alice, gone])
