"""Someone walking through ids: a run of requests, by one user, for records that exist but
belong to another centre. Each is a plain 404 to the user (access.get_for_user raises
`OtherCentreRecord`); `accounts.middleware.ProbeWatchMiddleware` notes it here once the view
has ended (so a rolled-back transaction cannot take the note with it), and past
PROBING_THRESHOLD of them within PROBING_WINDOW a `SecurityEvent` tells the managers of the
user's centres. Only the model's label and the ids are kept, never the record's content."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import AccessProbe, SecurityEvent, SecurityEventKind, User

# The ids a security event lists: enough to see the pattern, not an unbounded list.
LISTED_IDS = 50


def probe_record(*, user: User, model: str, object_id: str, ip: str | None) -> SecurityEvent | None:
    """Note one request for another centre's record; returns the security event if this one
    completes a run (one event per run: the next needs a fresh run after it)."""
    now = timezone.now()
    since = now - settings.PROBING_WINDOW
    with transaction.atomic():
        # One user's probes are counted one request at a time.
        User.objects.select_for_update().filter(pk=user.pk).values_list("pk").get()
        AccessProbe.objects.filter(user=user, at__lt=since).delete()
        AccessProbe.objects.create(user=user, at=now, model=model, object_id=object_id[:40])
        last_event = (
            SecurityEvent.objects.filter(user=user, kind=SecurityEventKind.PROBING, at__gte=since)
            .order_by("-at")
            .values_list("at", flat=True)
            .first()
        )
        probes = AccessProbe.objects.filter(user=user, at__gte=since)
        if last_event is not None:  # the run it reported is done with
            probes = probes.filter(at__gt=last_event)
        run = list(probes.order_by("at", "pk").values_list("model", "object_id"))
        if len(run) < settings.PROBING_THRESHOLD:
            return None
        ids: dict[str, list[str]] = {}
        for label, pk in run:
            ids.setdefault(label, [])
            if pk not in ids[label] and len(ids[label]) < LISTED_IDS:
                ids[label].append(pk)
        return SecurityEvent.objects.create(
            at=now,
            kind=SecurityEventKind.PROBING,
            user=user,
            centre_ids=list(user.centres.values_list("pk", flat=True)),
            ip_address=ip,
            detail={
                "requests": len(run),
                "window_minutes": int(settings.PROBING_WINDOW.total_seconds() // 60),
                "ids": ids,
            },
        )


def probes_purge() -> int:
    deleted, _by_model = AccessProbe.objects.filter(
        at__lt=timezone.now() - settings.PROBING_WINDOW
    ).delete()
    return deleted
