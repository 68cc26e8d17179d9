"""The import's two speed-ups against what they stand for: contact_record_many leaves the
contacts, the silence clocks and the audit trail exactly as contact_record called once per
contact would; the model rules checked with the check constraints evaluated in Python give
exactly Django's full_clean answer (which asks the database)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import AuditEvent
from cases import services as case_services
from cases.models import Case, ContactEntry
from families.models import FamilyMember, HouseholdLink
from records.importing.base import full_clean
from tests.factories import make_case

pytestmark = pytest.mark.django_db

ENTRY = (
    "occurred_at",
    "duration_minutes",
    "channel",
    "counterpart",
    "two_way",
    "note",
    "staff_id",
    "source",
)


def contacts_of(now: dt.datetime) -> list[tuple[int, dict]]:
    """(which case, fields): out of order, one-way letters, a contact after the case opened."""
    return [
        (
            0,
            {
                "occurred_at": now - dt.timedelta(days=40),
                "channel": "phone",
                "counterpart": "family",
                "note": "a",
            },
        ),
        (
            0,
            {
                "occurred_at": now - dt.timedelta(days=3),
                "channel": "phone",
                "counterpart": "person",
                "note": "b",
            },
        ),
        (
            0,
            {
                "occurred_at": now - dt.timedelta(days=10),
                "channel": "centre_visit",
                "counterpart": "family",
            },
        ),
        (
            1,
            {
                "occurred_at": now - dt.timedelta(days=2),
                "channel": "letter",
                "counterpart": "person",
                "two_way": False,
            },
        ),
        (
            2,
            {
                "occurred_at": now - dt.timedelta(hours=1),
                "channel": "email",
                "counterpart": "family",
                "duration_minutes": 5,
            },
        ),
        (
            2,
            {
                "occurred_at": now - dt.timedelta(days=400),
                "channel": "phone",
                "counterpart": "family",
            },
        ),
    ]


def test_contact_record_many_agrees_with_contact_record(centre_a, alice):
    now = timezone.now()
    one_by_one = [make_case(centre_a, alice) for _ in range(3)]
    in_bulk = [make_case(centre_a, alice) for _ in range(3)]
    Case.objects.filter(pk=in_bulk[2].pk).update(
        status="paused", paused_until=now.date() + dt.timedelta(days=9)
    )
    Case.objects.filter(pk=one_by_one[2].pk).update(
        status="paused", paused_until=now.date() + dt.timedelta(days=9)
    )
    opened = {case.pk: case.silence_clock_started_at for case in one_by_one + in_bulk}
    for index, fields in contacts_of(now):
        case_services.contact_record(case=one_by_one[index], by=alice, fields=fields)
    in_bulk = list(Case.objects.filter(pk__in=[c.pk for c in in_bulk]).order_by("pk"))
    case_services.contact_record_many(
        contacts=[(in_bulk[index], fields) for index, fields in contacts_of(now)], by=alice
    )
    for single, bulk in zip(one_by_one, in_bulk, strict=True):
        single.refresh_from_db()
        bulk.refresh_from_db()
        assert clock(single, opened[single.pk]) == clock(bulk, opened[bulk.pk])
        assert entries(single) == entries(bulk)
        assert audit(single) == audit(bulk)


def clock(case: Case, opened: dt.datetime) -> tuple:
    """The silence clock, with the moment the case was opened (which differs) taken out."""
    started = case.silence_clock_started_at
    return (
        case.last_two_way_contact_at,
        case.silence_stage,
        None if started == opened else started,
        case.next_check_at - started if case.next_check_at else None,
    )


def entries(case: Case) -> list[tuple]:
    return sorted(ContactEntry.objects.filter(case=case).values_list(*ENTRY))


def audit(case: Case) -> list[tuple]:
    return sorted(
        AuditEvent.objects.filter(case_id=case.pk).values_list("action", "model", "user", "centre")
    )


def test_a_refused_entry_refuses_the_whole_batch(centre_a, alice):
    case = make_case(centre_a, alice)
    good = {"occurred_at": timezone.now(), "channel": "phone", "counterpart": "family"}
    with pytest.raises(ValidationError):
        case_services.contact_record_many(
            contacts=[(case, good), (case, {**good, "channel": "pigeon"})], by=alice
        )
    assert not case.contacts.exists()


def _agree(instance, exclude) -> None:
    def answer(check) -> dict | None:
        try:
            check()
        except ValidationError as error:
            return {
                key: sorted(str(m) for m in messages)
                for key, messages in error.message_dict.items()
            }
        return None

    assert answer(lambda: full_clean(instance, exclude=exclude)) == answer(
        lambda: instance.full_clean(exclude=exclude)
    )


@pytest.mark.parametrize(
    "fields",
    [
        {"status": "closed", "closure_reason": ""},
        {"status": "closed", "closure_reason": "moved"},
        {"status": "paused", "paused_until": None},
        {"status": "paused", "paused_until": dt.date(2099, 1, 1)},
        {"followup_interval_days": 0},
        {"followup_interval_days": None, "escalation_grace_days": 3},
        {"escalation_grace_days": 0},
    ],
)
def test_case_rules_agree(centre_a, alice, fields):
    case = Case(
        centre=centre_a,
        created_by=alice,
        first_contact_date=dt.date(2024, 4, 1),
        first_contact_by="family",
        **fields,
    )
    _agree(case, ["number"])


@pytest.mark.parametrize("minutes", [0, 1440, 1441, 9999])
def test_contact_rules_agree(centre_a, alice, minutes):
    entry = ContactEntry(
        case=make_case(centre_a, alice),
        created_by=alice,
        occurred_at=timezone.now(),
        channel="phone",
        counterpart="family",
        duration_minutes=minutes,
    )
    _agree(entry, ["case", "created_by", "staff"])


@pytest.mark.parametrize(
    "fields",
    [
        {"birth_date": dt.date(1950, 1, 1), "birth_year": 1950},
        {"birth_year": 1950},
        {"status": "deceased", "status_since": None},
        {"status": "deceased", "status_since": dt.date(2020, 1, 1)},
    ],
)
def test_family_member_rules_agree(centre_a, alice, fields):
    member = FamilyMember(centre=centre_a, created_by=alice, **fields)
    _agree(member, ["centre", "created_by", "contact_consent_recorded_by"])
    link = HouseholdLink(case=make_case(centre_a, alice), created_by=alice, relation="mother")
    _agree(link, ["case", "member", "created_by"])
