from __future__ import annotations

from django.db.models import QuerySet

from accounts import access
from accounts.models import SecurityEvent, User


def security_events_for(user: User) -> QuerySet[SecurityEvent]:
    """The security events about users of the centres the viewer oversees (all of them for
    an administrator), newest first."""
    events = SecurityEvent.objects.select_related("user").order_by("-at", "-id")
    if user.sees_all_centres:
        return events
    return events.filter(centre_ids__overlap=access.centre_ids(user))
