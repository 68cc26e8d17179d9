"""Demo data of the accounts layer for `manage.py seed_demo`: one security event (a staff
member's run of requests for another centre's case ids), so that the managers' security
page has something to show. Idempotent."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from accounts.models import Centre, Role, SecurityEvent, SecurityEventKind, User


@transaction.atomic
def seed_demo_security(*, centre: Centre) -> int:
    """One probing event about a staff member of the centre (ids only, as the real thing)."""
    staff = User.objects.filter(centres=centre, role=Role.STAFF).order_by("pk").first()
    if staff is None or SecurityEvent.objects.filter(user=staff).exists():
        return 0
    ids = [str(pk) for pk in range(1001, 1001 + settings.PROBING_THRESHOLD)]
    SecurityEvent.objects.create(
        kind=SecurityEventKind.PROBING,
        user=staff,
        centre_ids=[centre.pk],
        ip_address="192.0.2.10",
        detail={
            "requests": len(ids),
            "window_minutes": int(settings.PROBING_WINDOW.total_seconds() // 60),
            "ids": {"cases.case": ids},
        },
    )
    return 1
