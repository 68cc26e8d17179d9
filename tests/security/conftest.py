"""Two centres, each with a user of every role and one object of every kind a URL can name,
built once for the package through the apps' services (a transaction rolled back at the end),
so the authorisation matrix requests real ids of both centres without rebuilding them for
each of its thousands of requests."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.conf import settings
from django.db import transaction
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
)

ROLES = (Role.STAFF, Role.COUNSELLOR, Role.MANAGER, Role.ADMIN)
CENTRES = ("A", "B")


@dataclass
class Side:
    """One centre: its users by role, and one object of each kind by kind."""

    centre: Centre
    users: dict[str, User] = field(default_factory=dict)
    sessions: dict[str, str] = field(default_factory=dict)  # role → session key
    objects: dict[str, Any] = field(default_factory=dict)


@dataclass
class World:
    sides: dict[str, Side]

    def client(self, side: str | None, role: str | None, **headers: str) -> Client:
        """A fresh client signed in as the role of the centre (None: anonymous): fresh, so a
        logout or a password change in one request cannot sign out the next."""
        client = Client(headers=headers or None)
        if side is not None and role is not None:
            client.cookies[settings.SESSION_COOKIE_NAME] = self.sides[side].sessions[role]
        return client


def _ibasho(centre: Centre, counsellor: User, staff: User, case: Any) -> dict[str, Any]:
    from outreach import services

    now = timezone.now().replace(second=0, microsecond=0)
    starts_at = now - dt.timedelta(hours=1)
    session = services.session_create(
        centre=centre,
        by=counsellor,
        fields={
            "place": "相談室",
            "starts_at": starts_at,
            "ends_at": starts_at + dt.timedelta(hours=4),
        },
        staff=[counsellor, staff],
    )
    attendance = services.check_in_case(session=session, case=case, by=staff, at=now)
    walk_in_attendance = services.check_in_walk_in(
        session=session, by=staff, client_key=uuid.uuid4(), nickname="みどり", at=now
    )
    return {
        "ibasho_session": session,
        "attendance": attendance,
        "walk_in": walk_in_attendance.walk_in,
    }


def _programme(centre: Centre, counsellor: User, case: Any) -> dict[str, Any]:

    programme = make_programme(centre, counsellor, capacity=30)
    return {"programme": programme, "programme_session": programme.sessions.first()}


def _community(centre: Centre, counsellor: User, case: Any) -> Any:
    from outreach import services
    from outreach.models import ActivityKind, SharingBasis

    activity = services.community_activity_create(
        centre=centre,
        by=counsellor,
        fields={
            "kind": ActivityKind.SUPPORT_MEETING,
            "title": "支援会議",
            "held_on": timezone.localdate(),
            "place": "市役所",
            "audience_kind": "agency_staff",
            "audience_count": 6,
            "sharing_basis": SharingBasis.POVERTY_ACT,
        },
        staff=[counsellor],
    )
    services.community_case_link(activity=activity, case=case, by=counsellor)
    return activity


def _casework(case: Any, counsellor: User) -> dict[str, Any]:
    from cases import services

    plan = services.plan_save(
        case=case,
        by=counsellor,
        fields={
            "goals": "週1回外出する",
            "review_on": timezone.localdate() + dt.timedelta(days=30),
        },
    )
    milestone = services.milestone_add(plan=plan, by=counsellor, fields={"description": "散歩"})
    consent = services.consent_record(
        case=case,
        by=counsellor,
        fields={"scope": "share_agency", "given_by": "本人", "given_on": timezone.localdate()},
    )
    referral = services.referral_create(
        case=case,
        by=counsellor,
        fields={
            "destination_kind": "saposte",
            "destination_name": "サポステ",
            "referred_on": timezone.localdate(),
            "consent": consent,
        },
    )
    return {"plan": plan, "milestone": milestone, "consent": consent, "referral": referral}


def _records(centre: Centre, manager: User) -> dict[str, Any]:
    from records import services
    from records.models import ImportMapping

    sample = (settings.BASE_DIR / "records" / "samples" / "cases.csv").read_bytes()
    job = services.import_upload(
        centre=centre, by=manager, shape="cases", file_name="cases.csv", data=sample, language="ja"
    )
    mapping = ImportMapping.objects.create(
        centre=centre, shape="cases", name="いつもの表", columns={}, created_by=manager
    )
    return {"import_job": job, "import_mapping": mapping}


def _notification(recipient: User, centre: Centre) -> Any:
    from reminders.models import Notification, NotificationChannel

    return Notification.objects.create(
        recipient=recipient,
        centre=centre,
        channel=NotificationChannel.IN_APP,
        kind="test",
        dedupe_key=f"matrix-{recipient.pk}",
    )


def _share(case: Any, manager: User, centre: Centre) -> Any:
    """The case's 要配慮個人情報 shared with a second counsellor (not the matrix's: the
    matrix's counsellor is the case's own)."""
    from cases import services

    colleague = UserFactory.create(role=Role.COUNSELLOR, centre=centre)
    return services.sensitive_share(case=case, by=manager, user=colleague)


def build_side(label: str) -> Side:
    from outreach import services as outreach_services
    from tests.factories import make_visit

    centre = CentreFactory(name=f"センター{label}", case_number_prefix=label)
    side = Side(centre=centre)
    for role in ROLES:
        side.users[role] = UserFactory.create(
            username=f"{role}_{label}".lower(), role=role, centre=centre
        )
    staff, counsellor = side.users[Role.STAFF], side.users[Role.COUNSELLOR]
    manager = side.users[Role.MANAGER]
    case = make_case(centre, counsellor, primary_counsellor=counsellor)
    objects: dict[str, Any] = {"centre": centre, "case": case}
    objects["member"] = make_member(case, counsellor)
    objects |= _casework(case, counsellor)
    objects |= _programme(centre, counsellor, case)
    objects |= _ibasho(centre, counsellor, staff, case)
    # The staff member is the second person on the visit: an assignee without casework role.
    objects["visit"] = make_visit(case, counsellor, staff=[counsellor, staff])
    objects["activity"] = _community(centre, counsellor, case)
    objects |= _records(centre, manager)
    objects["notification"] = _notification(counsellor, centre)
    objects["share"] = _share(case, manager, centre)
    objects["feed_token"] = outreach_services.calendar_feed_get_or_create(user=counsellor).token
    side.objects = objects
    for key, user in side.users.items():
        side.sessions[key] = client_for(user).cookies[settings.SESSION_COOKIE_NAME].value
    return side


@pytest.fixture(scope="package")
def world(django_db_setup: None, django_db_blocker: Any) -> Iterator[World]:
    """Both centres, built once for tests/security and rolled back after it."""
    with django_db_blocker.unblock(), transaction.atomic():
        built = World(sides={label: build_side(label) for label in CENTRES})
        yield built
        transaction.set_rollback(True)


@pytest.fixture
def w(world: World, db: None) -> World:
    """The world, inside the test's own transaction (what a test writes is undone)."""
    return world
