"""The consultation log as an XLSX workbook (a title row above the headers, 和暦 text and real
date cells, full-width minutes, TEL / tel / 電話) and the family sheet as UTF-8 CSV with a
byte-order mark, matched to the cases of the book imported before by the centre's own numbers:
exact dry runs, exact writes through the services, and nothing changed the second time."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cases.models import Case, ContactEntry
from families.models import FamilyMember, HouseholdLink
from records.models import ImportedKey
from tests.records.fixtures import case_book, contact_log, csv_bytes, family_sheet, xlsx_bytes
from tests.records.import_helpers import (  # noqa: F401 (a fixture)
    alice_named_in_the_book,
    confirm,
    counts,
    dry_run,
    issues,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("alice_named_in_the_book")]

TOKYO = dt.timezone(dt.timedelta(hours=9))


@pytest.fixture
def cases(centre_a, mallory, alice) -> dict[str, Case]:
    """The case book imported (its two bad rows skipped): the centre's number → the case."""
    confirm(dry_run(centre_a, mallory, "cases", csv_bytes(case_book())), mallory, skip_invalid=True)
    return {
        key: Case.objects.get(pk=pk)
        for key, pk in ImportedKey.objects.filter(shape="cases").values_list("key", "object_id")
    }


@pytest.fixture
def workbook() -> bytes:
    return xlsx_bytes({"相談記録": contact_log(), "集計": [["月", "件数"], ["4月", 2]]})


def test_the_log_dry_run_and_its_import_are_exact(centre_a, mallory, alice, cases, workbook):
    job = dry_run(centre_a, mallory, "contacts", workbook, name="log.xlsx")
    assert (job.file_kind, job.sheet, job.header_row) == ("xlsx", "相談記録", 2)
    assert counts(job) == {"created": 7, "updated": 0, "unchanged": 0, "invalid": 0}
    assert issues(job) == [] and not ContactEntry.objects.exists()

    job = confirm(job, mallory)
    assert counts(job, "") == {"created": 7, "updated": 0, "unchanged": 0, "skipped": 0}
    got = [
        (
            e.case_id,
            e.occurred_at.astimezone(TOKYO),
            e.duration_minutes,
            e.channel,
            e.counterpart,
            e.counterpart_detail,
            e.staff_id,
            e.two_way,
        )
        for e in ContactEntry.objects.order_by("occurred_at", "id")
    ]
    one, two, six = cases["1"].pk, cases["2"].pk, cases["6"].pk
    assert got == [
        (
            one,
            dt.datetime(2024, 4, 8, 10, 0, tzinfo=TOKYO),
            30,
            "phone",
            "family",
            "母",
            alice.pk,
            True,
        ),
        (
            one,
            dt.datetime(2024, 4, 22, 14, 0, tzinfo=TOKYO),
            60,
            "centre_visit",
            "family",
            "父母",
            alice.pk,
            True,
        ),
        (
            one,
            dt.datetime(2024, 5, 7, 15, 30, tzinfo=TOKYO),
            15,
            "phone",
            "person",
            "",
            alice.pk,
            True,
        ),
        (
            two,
            dt.datetime(2024, 5, 9, 0, 0, tzinfo=TOKYO),
            60,
            "home_visit",
            "both",
            "",
            alice.pk,
            True,
        ),
        (
            two,
            dt.datetime(2024, 6, 3, 9, 30, tzinfo=TOKYO),
            20,
            "phone",
            "family",
            "母",
            mallory.pk,
            True,
        ),
        # two letters the same day are two contacts; a letter is a one-way attempt
        (
            six,
            dt.datetime(2024, 6, 10, 0, 0, tzinfo=TOKYO),
            0,
            "letter",
            "person",
            "",
            alice.pk,
            False,
        ),
        (
            six,
            dt.datetime(2024, 6, 10, 0, 0, tzinfo=TOKYO),
            0,
            "letter",
            "person",
            "",
            alice.pk,
            False,
        ),
    ]
    # The silence clock heard of the two-way contacts (contact_record moved it), not of
    # the letters; the clock itself started when the case was opened, at the import.
    yamada = Case.objects.get(pk=one)
    assert yamada.last_two_way_contact_at == dt.datetime(2024, 5, 7, 15, 30, tzinfo=TOKYO)
    assert Case.objects.get(pk=six).last_two_way_contact_at is None
    assert yamada.silence_clock_started_at > timezone.now() - dt.timedelta(hours=1)

    again = dry_run(centre_a, mallory, "contacts", workbook, name="log.xlsx")
    assert counts(again) == {"created": 0, "updated": 0, "unchanged": 7, "invalid": 0}
    assert counts(confirm(again, mallory), "") == {
        "created": 0,
        "updated": 0,
        "unchanged": 7,
        "skipped": 0,
    }
    assert ContactEntry.objects.count() == 7


def test_an_edited_note_updates_its_contact_instead_of_adding_one(
    centre_a, mallory, alice, cases, workbook
):
    confirm(dry_run(centre_a, mallory, "contacts", workbook, name="log.xlsx"), mallory)
    log = contact_log()
    log[2][7] = "母より電話。昼夜逆転が続く。食事は一緒にとれる。"
    job = dry_run(centre_a, mallory, "contacts", xlsx_bytes({"相談記録": log}), name="log.xlsx")
    assert counts(job) == {"created": 0, "updated": 1, "unchanged": 6, "invalid": 0}
    confirm(job, mallory)
    assert ContactEntry.objects.count() == 7
    assert ContactEntry.objects.filter(note__endswith="食事は一緒にとれる。").count() == 1


def test_the_family_sheet_in_utf8_with_a_bom(centre_a, mallory, alice, cases):
    data = csv_bytes(family_sheet(), encoding="utf-8", bom=True)
    job = dry_run(centre_a, mallory, "family", data)
    assert job.encoding == "utf-8-sig"
    assert counts(job) == {"created": 3, "updated": 0, "unchanged": 0, "invalid": 0}
    confirm(job, mallory)
    mother = FamilyMember.objects.get(given_name="花子")
    assert (mother.family_name_kana, mother.given_name_kana, mother.birth_date) == (
        "やまだ",
        "はなこ",
        dt.date(1944, 1, 5),
    )
    assert mother.contact_consent and mother.contact_consent_recorded_by == mallory
    father = FamilyMember.objects.get(given_name="一夫")
    assert (father.birth_date, father.contact_consent) == (dt.date(1945, 8, 1), False)
    sister = FamilyMember.objects.get(given_name="友子")
    assert sister.given_name_kana == "ともこ"
    links = {
        (link.member_id, link.relation, link.lives_with_person)
        for link in HouseholdLink.objects.all()
    }
    assert links == {
        (mother.pk, "mother", True),
        (father.pk, "father", True),
        (sister.pk, "sibling", False),
    }
    # The household's rules ran: a mother of 80 living with the person is an 80/50 household.
    assert Case.objects.get(pk=cases["1"].pk).risk_8050
    again = dry_run(centre_a, mallory, "family", data)
    assert counts(again) == {"created": 0, "updated": 0, "unchanged": 3, "invalid": 0}
    confirm(again, mallory)
    assert FamilyMember.objects.count() == 3 and HouseholdLink.objects.count() == 3


def test_one_mother_of_two_siblings_is_one_member_when_the_sheet_numbers_her(
    centre_a, mallory, alice, cases
):
    rows = [
        ["ケース番号", "家族番号", "続柄", "氏名"],
        ["1", "F1", "母", "山田 花子"],
        ["2", "F1", "母", "山田 花子"],
    ]
    job = dry_run(centre_a, mallory, "family", csv_bytes(rows))
    assert counts(job) == {"created": 2, "updated": 0, "unchanged": 0, "invalid": 0}
    confirm(job, mallory)
    mother = FamilyMember.objects.get()
    assert set(mother.links.values_list("case_id", flat=True)) == {cases["1"].pk, cases["2"].pk}
    again = dry_run(centre_a, mallory, "family", csv_bytes(rows))
    assert counts(again) == {"created": 0, "updated": 0, "unchanged": 2, "invalid": 0}
