"""Every calendar feed of the demo data, field by field: no name, furigana, address, purpose,
report or note of any case or household member, whoever's feed it is."""

import os

import pytest
from django.core.management import call_command
from django.test import Client
from icalendar import Calendar

from accounts.models import User
from cases.models import Case, ContactEntry
from families.models import FamilyMember
from outreach import services
from outreach.models import HomeVisit, VisitAnnouncement

pytestmark = pytest.mark.django_db


def _private_texts() -> set[str]:
    """Everything a feed must never carry, as it is stored (two characters or more)."""
    texts: set[str] = set()
    for case in Case.objects.all():
        texts |= {
            case.family_name,
            case.given_name,
            case.family_name_kana,
            case.given_name_kana,
            case.display_name,
            case.address_line,
            case.municipality,
        }
    for member in FamilyMember.objects.all():
        texts |= {member.family_name + member.given_name, member.given_name, member.display_name}
    texts |= set(ContactEntry.objects.values_list("note", flat=True))
    texts |= set(HomeVisit.objects.values_list("purpose", flat=True))
    texts |= set(HomeVisit.objects.values_list("report", flat=True))
    texts |= set(HomeVisit.objects.values_list("status_reason", flat=True))
    texts |= set(VisitAnnouncement.objects.values_list("note", flat=True))
    return {text.strip() for text in texts if text and len(text.strip()) >= 2}


def test_no_feed_of_the_demo_carries_anything_private() -> None:
    with open(os.devnull, "w") as quiet:
        call_command("seed_demo", "--i-know-this-is-not-production", stdout=quiet)
    private = _private_texts()
    assert len(private) > 50  # the demo has names, addresses, notes and reports to hide
    events_seen = 0
    for user in User.objects.filter(is_active=True, visit_assignments__isnull=False).distinct():
        feed = services.calendar_feed_get_or_create(user=user)
        response = Client().get(f"/outreach/calendar/feed/{feed.token}.ics")
        assert response.status_code == 200
        body = response.content.decode()
        calendar = Calendar.from_ical(response.content)
        for event in calendar.walk("VEVENT"):
            events_seen += 1
            for name, value in event.property_items():
                shown = value.to_ical().decode() if hasattr(value, "to_ical") else str(value)
                leaked = [text for text in private if text in shown]
                assert not leaked, f"{user.username}'s feed: {name} carries {leaked}"
        assert not [text for text in private if text in body]
    assert events_seen > 10
