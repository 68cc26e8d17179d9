"""The community activity's own rules: its times on its day (an end after the start, never an
end alone), an outside or co-hosting body named, a basis of sharing only on a meeting, a sane
audience; and the database's constraints holding them for writes that skip the model."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from outreach.models import (
    MAX_AUDIENCE,
    ActivityKind,
    CommunityActivity,
    DiscussedCase,
    Organiser,
    SharingBasis,
)
from tests.factories import make_case

pytestmark = pytest.mark.django_db

TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")
DAY = dt.date(2026, 4, 10)


def tokyo(hour: int, minute: int = 0, day: dt.date = DAY) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=TOKYO)


def activity(centre: Any, by: Any, **overrides: Any) -> CommunityActivity:
    values: dict[str, Any] = {
        "centre": centre,
        "created_by": by,
        "kind": ActivityKind.LECTURE,
        "title": "講演会",
        "held_on": DAY,
        "place": "市民会館",
        "audience_kind": "residents",
        "audience_count": 30,
        **overrides,
    }
    return CommunityActivity(**values)


def errors_of(instance: CommunityActivity) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as refused:
        instance.full_clean()
    return refused.value.message_dict


def test_a_plain_lecture_is_valid(centre_a, alice):
    activity(centre_a, alice, starts_at=tokyo(14), ends_at=tokyo(16)).full_clean()


def test_the_start_is_on_the_activitys_tokyo_day(centre_a, alice):
    # 23:30 on the 9th in Tokyo is 14:30 UTC on the 9th: another day than the 10th.
    late = activity(centre_a, alice, starts_at=tokyo(23, 30, dt.date(2026, 4, 9)))
    assert "starts_at" in errors_of(late)
    # 00:30 on the 10th in Tokyo is 15:30 UTC on the 9th: the activity's day all the same.
    activity(centre_a, alice, starts_at=tokyo(0, 30)).full_clean()


def test_an_end_needs_a_start_before_it(centre_a, alice):
    assert "ends_at" in errors_of(activity(centre_a, alice, ends_at=tokyo(16)))
    assert "ends_at" in errors_of(activity(centre_a, alice, starts_at=tokyo(16), ends_at=tokyo(16)))


def test_an_outside_or_co_hosting_body_is_named(centre_a, alice):
    for organiser in (Organiser.CO_HOSTED, Organiser.OUTSIDE):
        unnamed = activity(centre_a, alice, organiser=organiser, organiser_name=" ")
        assert "organiser_name" in errors_of(unnamed)
    activity(centre_a, alice, organiser=Organiser.OUTSIDE, organiser_name="市福祉部").full_clean()


def test_a_basis_of_sharing_belongs_to_meetings_only(centre_a, alice):
    lecture = activity(centre_a, alice, sharing_basis=SharingBasis.POVERTY_ACT)
    assert "sharing_basis" in errors_of(lecture)
    meeting = activity(
        centre_a, alice, kind=ActivityKind.SUPPORT_MEETING, sharing_basis=SharingBasis.POVERTY_ACT
    )
    meeting.full_clean()
    assert meeting.is_meeting and meeting.statutory
    consent_based = activity(
        centre_a, alice, kind=ActivityKind.NETWORK_MEETING, sharing_basis=SharingBasis.CONSENT
    )
    assert consent_based.is_meeting and not consent_based.statutory


def test_the_audience_is_bounded(centre_a, alice):
    assert "audience_count" in errors_of(activity(centre_a, alice, audience_count=MAX_AUDIENCE + 1))


def test_a_day_far_in_the_future_is_refused(centre_a, alice):
    assert "held_on" in errors_of(activity(centre_a, alice, held_on=dt.date(2062, 4, 10)))


@pytest.mark.parametrize(
    "overrides",
    [
        {"organiser": Organiser.OUTSIDE, "organiser_name": ""},
        {"sharing_basis": SharingBasis.CONSENT},  # on a lecture
        {"ends_at": tokyo(16)},  # an end alone
        {"starts_at": tokyo(16), "ends_at": tokyo(15)},
    ],
)
def test_the_database_holds_the_rules_for_writes_that_skip_the_model(centre_a, alice, overrides):
    with pytest.raises(IntegrityError), transaction.atomic():
        activity(centre_a, alice, **overrides).save()


def test_a_case_is_discussed_once_per_meeting(centre_a, alice):
    meeting = activity(
        centre_a, alice, kind=ActivityKind.SUPPORT_MEETING, sharing_basis=SharingBasis.POVERTY_ACT
    )
    meeting.save()
    case = make_case(centre_a, alice)
    DiscussedCase.objects.create(activity=meeting, case=case, added_by=alice)
    with pytest.raises(IntegrityError), transaction.atomic():
        DiscussedCase.objects.create(activity=meeting, case=case, added_by=alice)
