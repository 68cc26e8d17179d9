"""A contact's centre is its case's centre, whatever wrote the row: the dashboard's trends
count a centre's contacts by ContactEntry.centre (one index range), so an entry carrying
another centre would be counted by the wrong centre. The database fills the
column (cases.models.CONTACT_CENTRE_FROM_CASE); these tests write rows every way there is."""

from __future__ import annotations

from django.db import connection
from django.utils import timezone

from cases.models import ContactEntry
from cases.services.contacts import contact_record_many
from dashboards.selectors.manager import trends
from tests.factories import bulk_contacts, make_case, record_contact


def _centre_of(entry_id: int) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT centre_id FROM cases_contactentry WHERE id = %s", [entry_id])
        return cursor.fetchone()[0]


def test_the_service_the_batch_and_a_bulk_insert_all_carry_the_case_s_centre(
    case, alice, centre_a, centre_b
):
    entry = record_contact(case, alice)
    assert entry.centre_id == centre_a.pk == _centre_of(entry.pk)
    fields = {
        "occurred_at": timezone.now(),
        "channel": "phone",
        "counterpart": "family",
        "note": "",
    }
    [batched] = contact_record_many(contacts=[(case, fields)], by=alice)
    assert _centre_of(batched.pk) == centre_a.pk
    bulk_contacts(case, alice, 3)  # bulk_create, no centre given
    assert set(ContactEntry.objects.filter(case=case).values_list("centre_id", flat=True)) == {
        centre_a.pk
    }


def test_a_row_claiming_another_centre_is_given_its_case_s(case, alice, centre_a, centre_b):
    """Neither a wrong centre written by hand nor an entry moved to another case leaves
    the column disagreeing with the case."""
    entry = ContactEntry.objects.create(
        case=case,
        centre=centre_b,
        occurred_at=timezone.now(),
        channel="phone",
        counterpart="family",
        staff=alice,
        created_by=alice,
    )
    assert _centre_of(entry.pk) == centre_a.pk
    other = make_case(centre_b, alice)
    ContactEntry.objects.filter(pk=entry.pk).update(case=other)
    assert _centre_of(entry.pk) == centre_b.pk
    # The reverse of the first: an UPDATE of the column alone is not enough either way.
    ContactEntry.objects.filter(pk=entry.pk).update(case=case)
    assert _centre_of(entry.pk) == centre_a.pk


def test_the_dashboard_s_trend_counts_a_centre_s_contacts_by_it(case, alice, centre_a, centre_b):
    record_contact(case, alice)
    elsewhere = make_case(centre_b, alice)
    record_contact(elsewhere, alice)
    month = timezone.localdate().replace(day=1)

    def contacts(*centres: int) -> int:
        trend = trends(list(centres), all_centre_ids=list(centres))
        return trend.series.get("contacts", {}).get(month, 0)

    assert contacts(centre_a.pk) == 1
    assert contacts(centre_b.pk) == 1
    assert contacts(centre_a.pk, centre_b.pk) == 2
