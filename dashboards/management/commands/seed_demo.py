"""Demo data for a first look: two centres, five users, and each app's own demo records
(realistic cases from `cases.demo`, then a sweep so silent cases show; home visits from
`outreach.demo`, then the visits' watch so the overdue check-out alerts). It lives in the top
layer because it fills every app. Idempotent: running it again changes nothing already there."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.management import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts.demo import seed_demo_security
from accounts.models import Centre, Role, User
from cases.choices import CaseStatus
from cases.demo import seed_demo_cases
from cases.models import Case
from dashboards.services import transfer_case_reassign
from families.demo import seed_demo_families
from outreach.demo import seed_demo_community, seed_demo_ibasho, seed_demo_visits
from outreach.services import visits_watch
from records.demo import seed_demo_imports
from records.demo_retention import seed_demo_disposal
from reminders.services import sweep_silence

DEMO_PASSWORD = "tsunagu-demo-2026"  # noqa: S105 - printed for the demo on purpose

CENTRES = {
    "A": dict(
        name="みなと市ひきこもり地域支援センター",
        prefecture="東京都",
        municipality_code="131032",
        case_number_prefix="K",
    ),
    "B": dict(
        name="さくら県ひきこもり地域支援センター",
        prefecture="福岡県",
        municipality_code="401307",
        case_number_prefix="S",
    ),
}
USERS = [
    # username, display name, role, centre
    ("alice", "佐藤 愛", Role.COUNSELLOR, "A"),
    ("bob", "鈴木 翔", Role.STAFF, "A"),
    ("charlie", "高橋 千尋", Role.COUNSELLOR, "B"),
    ("mallory", "田中 真理", Role.MANAGER, "A"),
    ("dave", "伊藤 大輔", Role.MANAGER, "B"),
]


class Command(BaseCommand):
    help = "Create the demo centres, users and cases (idempotent)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--i-know-this-is-not-production",
            action="store_true",
            dest="not_production",
            help="Seed even though DEBUG is off (a staging copy, the test suite).",
        )

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        # Demo users with a published password must never appear in a real centre's database.
        if not settings.DEBUG and not options.get("not_production"):
            raise CommandError(
                "seed_demo creates users with a published password: it runs only with DEBUG "
                "on, or with --i-know-this-is-not-production."
            )
        centres = {}
        for key, fields in CENTRES.items():
            centres[key], _ = Centre.objects.get_or_create(name=fields["name"], defaults=fields)
        for username, display_name, role, centre_key in USERS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "display_name": display_name,
                    "role": role,
                    "email": f"{username}@example.jp",
                },
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
            user.centres.add(centres[centre_key])
        self.seed_apps(centres)
        self.stdout.write(
            self.style.SUCCESS(
                "Demo users: " + ", ".join(u[0] for u in USERS) + f" / password: {DEMO_PASSWORD}"
            )
        )

    def seed_handover(self, centre: Centre) -> None:
        """One case handed over (its timeline shows it, the manager's inbox has the notice):
        the manager takes one of alice's cases while she is on leave."""
        manager = User.objects.get(username="mallory")
        case = (
            Case.objects.filter(
                centre=centre, primary_counsellor__username="alice", status=CaseStatus.OPEN
            )
            .order_by("-number")
            .first()
        )
        if case is not None:
            transfer_case_reassign(
                case=case, to=manager, by=manager, reason="担当者の休暇中、所長が対応する"
            )

    def seed_apps(self, centres: dict[str, Centre]) -> None:
        created_any = visits_seeded = False
        for key, centre in centres.items():
            created = seed_demo_cases(centre=centre, seed=ord(key))
            if created:
                created_any = True
                self.stdout.write(f"{centre.name}: {created} demo cases")
            members = seed_demo_families(centre=centre)
            if members:
                self.stdout.write(f"{centre.name}: {members} family members, a CRAFT course")
            visits = seed_demo_ibasho(centre=centre)
            if visits:
                self.stdout.write(f"{centre.name}: an ibasho series, {visits} visits")
            home_visits = seed_demo_visits(centre=centre)
            if home_visits:
                visits_seeded = True
                self.stdout.write(f"{centre.name}: {home_visits} home visits")
            community = seed_demo_community(centre=centre)
            if community:
                self.stdout.write(f"{centre.name}: {community} community activities")
            # The sample case book and contact log, imported as the centre's manager would.
            seed_demo_imports(centre=centre)
            seed_demo_security(centre=centre)
            # Last, so the other apps' demo data exist before one old closed case is blanked.
            if seed_demo_disposal(centre=centre):
                self.stdout.write(f"{centre.name}: 1 old closed case disposed of (disposal log)")
        if created_any:
            # A sweep as it ran a week ago, so managers find escalated cases on day one.
            sweep_silence(now=timezone.now() - dt.timedelta(days=8))
            self.seed_handover(centres["A"])
        if visits_seeded:
            # The beat's watch, once: the overdue check-out alerts the managers (and shows
            # their banner), and the reminders of the visits that need something are queued.
            visits_watch()
