"""Disposal keeps the statistics: every past fiscal year and month of the data set
(tests/records/retention_data.py) gives the same figures before and after the purge, while
nothing personal of the disposed case is left in any row of the database."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine

from accounts.models import Centre, User
from cases.models import Case, DisposalRecord
from dashboards.statistics import Period, statistics_report
from families.models import FamilyMember
from records import retention
from reminders.models import Notification
from tests.records.retention_data import NOW, SECRETS, SHARED_FATHER, build, rows_containing

PERIODS = [
    *(Period.fiscal_year(year) for year in (2019, 2020)),
    *(Period.month(2019 + (month < 4), month) for month in [*range(4, 13), 1, 2, 3]),
    *(Period.month(2020 + (month < 4), month) for month in [*range(4, 13), 1, 2, 3]),
]


@pytest.fixture(autouse=True)
def frozen_now() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def figures(centre: Centre) -> dict[str, list[tuple[str, list[tuple[str, dict[str, int]]]]]]:
    return {
        period.slug: [
            (table.key, [(row.key, dict(row.values)) for row in table.rows])
            for table in statistics_report([centre], period, now=NOW).tables
        ]
        for period in PERIODS
    }


def test_purge_keeps_past_statistics_and_leaves_nothing_personal(
    centre_a: Centre, alice: User, bob: User
) -> None:
    data = build(centre_a, alice, bob)
    before = figures(centre_a)
    # The data set is not empty where it matters: the age band of X changes within FY2019.
    june, july = before["2019-06"], before["2019-07"]
    assert dict(dict(june)["age_bands"])["under20"]["people"] == 1
    assert dict(dict(july)["age_bands"])["20s"]["people"] == 1
    assert all(rows_containing(secret) for secret in SECRETS), "every secret is in the data"

    result = retention.purge_expired(now=NOW)

    assert [line.case_number for line in result.disposed] == [data.x.case_number]
    assert figures(centre_a) == before
    leftovers = {secret: rows_containing(secret) for secret in SECRETS}
    assert leftovers == {secret: [] for secret in SECRETS}
    # The father is also in the household of W, a case still kept: his data stay.
    father = FamilyMember.objects.get(pk=data.father.pk)
    assert father.family_name == SHARED_FATHER
    mother = FamilyMember.objects.get(pk=data.mother.pk)
    assert (mother.family_name, str(mother.phone), mother.health_notes) == ("", "", "")
    # The notifications about X went; W's stays.
    assert not Notification.objects.filter(case_id=data.x.pk).exists()
    assert Notification.objects.filter(case_id=data.w.pk).count() == 1
    # The held case and the one closed less than 5 years ago are untouched.
    for kept in (data.held, data.young, data.w):
        now_row = Case.objects.get(pk=kept.pk)
        assert now_row.disposed_at is None
        assert (now_row.family_name, now_row.birth_date) == (kept.family_name, kept.birth_date)
        assert list(now_row.contacts.values_list("note", flat=True)) == list(
            kept.contacts.values_list("note", flat=True)
        )
    assert rows_containing("保全谷のメモ") and rows_containing("最近川のメモ")
    record = DisposalRecord.objects.get()
    assert record.case_number == data.x.case_number
    assert record.rule == "retention_years=5"
    # 7 consultations, the home visit, the ibasho, the linked walk-in's visit, 2 family classes
    assert record.counts["contacts"] == 12 and record.counts["notifications"] == 2
    assert record.counts["family_members"] == 1
