"""Each user's private iCalendar address: made when they first open its page, and replaced
on request (a lost phone, a shared screen), which makes the old address a 404 at once. The
token is a secret: it goes in no log line and onto the audit trail only as "changed"."""

from __future__ import annotations

from django.db import transaction

from accounts.models import AuditAction, User
from accounts.services import audit_record
from outreach.models import CalendarFeed
from outreach.models.visits import new_feed_token


@transaction.atomic
def calendar_feed_get_or_create(*, user: User, ip: str | None = None) -> CalendarFeed:
    """The user's feed, made (and audited) the first time. Two tabs opening the page at once
    make one: the second waits on the unique user and finds the first."""
    feed, created = CalendarFeed.objects.get_or_create(user=user)
    if created:
        audit_record(user=user, action=AuditAction.CREATE, obj=feed, centre_id=None, ip=ip)
    return feed


@transaction.atomic
def calendar_feed_rotate(*, user: User, ip: str | None = None) -> CalendarFeed:
    """A new secret address; the old one stops working at once."""
    feed = CalendarFeed.objects.select_for_update().filter(user=user).first()
    if feed is None:
        return calendar_feed_get_or_create(user=user, ip=ip)
    feed.token = new_feed_token()
    feed.save(update_fields=["token"])
    audit_record(
        user=user,
        action=AuditAction.CHANGE,
        obj=feed,
        centre_id=None,
        ip=ip,
        changed_fields=["token"],
    )
    return feed
