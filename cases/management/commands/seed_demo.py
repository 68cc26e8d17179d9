"""Demo data for a first look: two centres, four users, and (from the cases app) realistic
cases. Idempotent: running it again changes nothing that is already there."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.models import Centre, Role, User

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

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
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
        self.seed_cases(centres)
        self.stdout.write(
            self.style.SUCCESS(
                "Demo users: " + ", ".join(u[0] for u in USERS) + f" / password: {DEMO_PASSWORD}"
            )
        )

    def seed_cases(self, centres: dict[str, Centre]) -> None:
        from cases.demo import seed_demo_cases

        created_any = False
        for key, centre in centres.items():
            created = seed_demo_cases(centre=centre, seed=ord(key))
            if created:
                created_any = True
                self.stdout.write(f"{centre.name}: {created} demo cases")
        if created_any:
            # A sweep as it ran a week ago, so managers find escalated cases on day one.
            from reminders.services import sweep_silence

            sweep_silence(now=timezone.now() - dt.timedelta(days=8))
