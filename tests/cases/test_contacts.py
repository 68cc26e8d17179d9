"""Contacts: the quick-add panel on the case page and the whole contact log page."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditAction, AuditEvent
from cases.models import ContactEntry
from tests.factories import bulk_contacts, record_contact

pytestmark = pytest.mark.django_db


def test_quick_add_contact_with_htmx_returns_the_panel_and_the_new_timeline(as_alice, case):
    response = as_alice.post(
        reverse("cases:contact_add", args=[case.pk]),
        {
            "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "duration_minutes": "15",
            "channel": "phone",
            "counterpart": "family",
            "two_way": "on",
            "note": "電話で近況を聞いた",
        },
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="contact-panel"' in body and 'hx-swap-oob="true"' in body
    assert "電話で近況を聞いた" in body
    assert ContactEntry.objects.filter(case=case).count() == 1


def test_quick_add_contact_with_bad_input_keeps_the_note(as_alice, case):
    response = as_alice.post(
        reverse("cases:contact_add", args=[case.pk]),
        {
            "occurred_at": "2099-01-01T10:00",
            "channel": "phone",
            "counterpart": "family",
            "note": "消えてはいけないメモ",
            "duration_minutes": "10",
        },
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert "消えてはいけないメモ" in body and "未来の日時" in body
    assert not ContactEntry.objects.exists()


@pytest.mark.parametrize("when", ["0001-01-01T00:00", "0026-11-01T10:00", "2099-01-01T10:00"])
def test_absurd_contact_dates_are_refused_not_stored(as_alice, case, when):
    response = as_alice.post(
        reverse("cases:contact_add", args=[case.pk]),
        {
            "occurred_at": when,
            "channel": "phone",
            "counterpart": "family",
            "duration_minutes": "10",
            "note": "残すメモ",
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200 and "残すメモ" in response.content.decode()
    assert not ContactEntry.objects.exists()


# Session, user, the user's centres (ids and the menu's names), the case, the INSERT of the
# view into the audit trail, the paginator's count, the page header (the inbox badge) and the
# page of contacts (staff joined). Was a budget of at most 20, then 9.
CONTACT_LOG_QUERIES = 8


def test_the_contact_log_pages_through_every_contact_newest_first(
    as_alice, alice, case, django_assert_num_queries
):
    bulk_contacts(case, alice, 3)
    url = reverse("cases:contacts", args=[case.pk])
    with django_assert_num_queries(CONTACT_LOG_QUERIES):
        as_alice.get(url)
    bulk_contacts(case, alice, 117)  # 120 in all
    with django_assert_num_queries(CONTACT_LOG_QUERIES):
        first = as_alice.get(url)
    notes = re.findall(r"記録(\d{3})", first.content.decode())
    assert len(notes) == 50 and notes == sorted(notes)  # day 1 (newest) first
    last = as_alice.get(url, {"page": 3}).content.decode()
    assert "3 / 3" in last and "記録117" in last and "記録001" not in last
    assert AuditEvent.objects.filter(case_id=case.pk, action=AuditAction.VIEW, user=alice).exists()


def test_the_contact_log_of_another_centre_is_not_found(as_charlie, case):
    assert as_charlie.get(reverse("cases:contacts", args=[case.pk])).status_code == 404


def test_contact_log_query_count_does_not_grow_with_contacts(
    as_alice, alice, bob, case, django_assert_num_queries
):
    url = reverse("cases:contacts", args=[case.pk])
    record_contact(case, alice)
    with django_assert_num_queries(CONTACT_LOG_QUERIES):
        as_alice.get(url)
    for days in range(1, 50):
        staff = alice if days % 2 else bob  # the staff column is joined, not read per row
        record_contact(case, staff, at=timezone.now() - dt.timedelta(days=days))
    with django_assert_num_queries(CONTACT_LOG_QUERIES):
        response = as_alice.get(url)
    assert len(response.context["page"]) == 50
