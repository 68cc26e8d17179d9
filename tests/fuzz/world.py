"""One centre's worth of records for the fuzz to post against: every object a form's URL
names (a case with its plan, consent, referral and household, a family programme with a
session, an ibasho session with a visitor, a walk-in, a home visit, a community activity, an
import job), built through the services the way the app builds them."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.test import Client
from django.utils import timezone

from accounts.models import Centre, Role, User
from tests.factories import (
    CentreFactory,
    UserFactory,
    client_for,
    make_case,
    make_member,
    make_programme,
    make_visit,
)


@dataclass
class World:
    centre: Centre
    other_centre: Centre
    users: dict[str, User]
    case: Any
    plan: Any
    milestone: Any
    consent: Any
    ibasho_consent: Any
    referral: Any
    member: Any
    other_member: Any  # in another case of the centre: one to link to this household
    programme: Any
    programme_session: Any
    ibasho_session: Any
    attendance: Any
    walk_in: Any
    visit: Any
    activity: Any
    import_job: Any

    def client(self, who: str) -> Client:
        return client_for(self.users[who])


def build_world() -> World:
    from cases import services as cases
    from families import services as families
    from outreach import services as outreach
    from records import services as records

    centre = CentreFactory.create(name="センターA", case_number_prefix="K")
    other_centre = CentreFactory.create(name="センターB", case_number_prefix="S")
    users = {
        "alice": UserFactory.create(username="alice", role=Role.COUNSELLOR, centre=centre),
        "bob": UserFactory.create(username="bob", role=Role.STAFF, centre=centre),
        "mallory": UserFactory.create(username="mallory", role=Role.MANAGER, centre=centre),
        "dave": UserFactory.create(username="dave", role=Role.COUNSELLOR, centre=centre),
        "charlie": UserFactory.create(
            username="charlie", role=Role.COUNSELLOR, centre=other_centre
        ),
    }
    alice = users["alice"]
    today = timezone.localdate()
    case = make_case(centre, alice, primary_counsellor=alice)
    plan = cases.plan_save(
        case=case,
        by=alice,
        fields={"goals": "週1回外出する", "review_on": today + dt.timedelta(30)},
    )
    milestone = cases.milestone_add(plan=plan, by=alice, fields={"description": "居間に出てくる"})
    consent = cases.consent_record(
        case=case,
        by=alice,
        fields={"scope": "share_agency", "given_by": "本人", "given_on": today},
    )
    ibasho_consent = cases.consent_record(
        case=case,
        by=alice,
        fields={"scope": "ibasho_record", "given_by": "本人", "given_on": today},
    )
    referral = cases.referral_create(
        case=case,
        by=alice,
        fields={
            "destination_kind": "saposte",
            "destination_name": "地域若者サポートステーション",
            "referred_on": today,
            "consent": consent,
            "legal_basis": "consent",
            "shared_information": "支援の経過",
        },
    )
    member = make_member(case, alice)
    other_member = make_member(make_case(centre, alice), alice, given_name="一郎")
    # A manager of both centres: a case can be moved between them.
    users["mallory"].centres.add(other_centre)
    programme = make_programme(centre, alice)
    families.programme_enrol(programme=programme, member=member, by=alice)
    programme_session = programme.sessions.order_by("starts_at").first()
    # An ibasho session open now (the check-in desk works on the session's day only).
    now = timezone.localtime().replace(second=0, microsecond=0)
    ibasho_session = outreach.session_create(
        centre=centre,
        by=alice,
        fields={
            "place": "相談室",
            "starts_at": now - dt.timedelta(minutes=30),
            "ends_at": now + dt.timedelta(hours=2),
        },
        staff=[alice],
    )
    attendance = outreach.check_in_walk_in(
        session=ibasho_session, by=alice, client_key=uuid.uuid4(), nickname="みどり"
    )
    visit = make_visit(case, alice, staff=[alice, users["dave"]])
    activity = outreach.community_activity_create(
        centre=centre,
        by=alice,
        fields={
            "kind": "lecture",
            "title": "ひきこもりを知る講演会",
            "held_on": today,
            "place": "市民会館",
            "organiser": "centre",
            "audience_kind": "residents",
            "audience_count": 45,
        },
        staff=[alice],
    )
    sample = (settings.BASE_DIR / "records" / "samples" / "cases.csv").read_bytes()
    import_job = records.import_upload(
        centre=centre,
        by=users["mallory"],
        shape="cases",
        file_name="book.csv",
        data=sample,
        language="ja",
    )
    return World(
        centre=centre,
        other_centre=other_centre,
        users=users,
        case=case,
        plan=plan,
        milestone=milestone,
        consent=consent,
        ibasho_consent=ibasho_consent,
        referral=referral,
        member=member,
        other_member=other_member,
        programme=programme,
        programme_session=programme_session,
        ibasho_session=ibasho_session,
        attendance=attendance,
        walk_in=attendance.walk_in,
        visit=visit,
        activity=activity,
        import_job=import_job,
    )
