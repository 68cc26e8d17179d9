"""Who may see the statistics and of which centres; the queries of the page and the exports
stay the same in number whatever the size of the data; the SQL age band agrees with Python's."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from django.urls import reverse
from django.utils.http import urlencode

from accounts.models import Centre, Role, User
from cases.models import Case, ContactEntry, Referral, age_band_for, age_from_birth_date
from dashboards.statistics import annotate_age_band
from families.models import FamilyProgramme, ProgrammeAttendance, ProgrammeSession
from outreach.models import HomeVisit, IbashoAttendance, IbashoSession, WalkIn
from tests.dashboards.test_statistics import NOW, dataset, frozen_now, jst  # noqa: F401
from tests.factories import UserFactory, client_for, make_case, make_member

FISCAL_2026 = {"period": "fiscal_year", "fiscal_year": "2026"}
PAGES = ["statistics", "statistics_print", "statistics_csv", "statistics_xlsx"]


def _url(name: str, **query: Any) -> str:
    return reverse(f"dashboards:{name}") + ("?" + urlencode(query) if query else "")


@pytest.fixture
def victor(centre_b: Centre) -> User:
    """The manager of centre B (charlie's)."""
    return UserFactory(username="victor", role=Role.MANAGER, centre=centre_b)


@pytest.mark.parametrize("name", PAGES)
def test_counsellors_and_staff_may_not_see_statistics(as_alice, as_bob, as_charlie, name):
    for client in (as_alice, as_bob, as_charlie):
        assert client.get(_url(name, **FISCAL_2026)).status_code == 403


@pytest.mark.parametrize("name", PAGES)
def test_another_centre_is_not_found(as_mallory, as_alice, centre_b, name):
    assert as_mallory.get(_url(name, centre=centre_b.pk)).status_code == 404
    assert as_mallory.get(_url(name, centre=99999)).status_code == 404
    assert as_mallory.get(_url(name, centre="x")).status_code == 404
    # Decided before the role: a counsellor learns nothing of another centre either.
    assert as_alice.get(_url(name, centre=centre_b.pk)).status_code == 404


def test_manager_sees_only_their_centre(dataset, as_mallory, centre_a):  # noqa: F811
    response = as_mallory.get(_url("statistics", **FISCAL_2026))
    assert response.status_code == 200
    assert response.context["report"].centres == [centre_a]
    assert [value for value, _label in response.context["form"].fields["centre"].choices] == [
        str(centre_a.pk)
    ]


def test_centre_b_manager_never_sees_centre_a_numbers(dataset, victor, centre_a, centre_b):  # noqa: F811
    client = client_for(victor)
    response = client.get(_url("statistics", **FISCAL_2026))
    report = response.context["report"]
    assert report.centres == [centre_b]
    # D1 alone: one person, two calls and a visit (centre A has 4 people, 13 contacts).
    assert report.table("channels").value("total", "people") == 1
    assert report.table("channels").value("total", "contacts") == 3
    assert report.table("ibasho_attendance").value("named", "visits") == 0
    assert client.get(_url("statistics", centre=centre_a.pk, **FISCAL_2026)).status_code == 404


def test_manager_of_two_centres_chooses_one_or_all(dataset, centre_a, centre_b):  # noqa: F811
    both = UserFactory(username="hana", role=Role.MANAGER, centre=centre_a)
    both.centres.add(centre_b)
    client = client_for(both)
    everything = client.get(_url("statistics", **FISCAL_2026)).context["report"]
    assert {c.pk for c in everything.centres} == {centre_a.pk, centre_b.pk}
    assert everything.table("channels").value("total", "contacts") == 13 + 3
    only_b = client.get(_url("statistics", centre=centre_b.pk, **FISCAL_2026)).context["report"]
    assert only_b.table("channels").value("total", "contacts") == 3
    assert "all-centres" in client.get(_url("statistics_csv", **FISCAL_2026))["Content-Disposition"]


def test_admin_sees_every_centre(dataset, centre_a, centre_b):  # noqa: F811
    admin = UserFactory(username="root", role=Role.ADMIN)
    report = client_for(admin).get(_url("statistics", **FISCAL_2026)).context["report"]
    assert {c.pk for c in report.centres} == {centre_a.pk, centre_b.pk}


# --- one rule, one definition ---------------------------------------------------------------


def test_sql_age_band_agrees_with_python(centre_a, alice):
    births = [
        dt.date(2000, 2, 29),
        dt.date(1996, 4, 1),
        dt.date(1996, 4, 2),
        dt.date(1996, 3, 31),
        dt.date(2006, 4, 1),
        dt.date(2006, 4, 2),
        dt.date(1966, 4, 1),
        dt.date(1966, 4, 2),
        dt.date(1976, 12, 31),
        dt.date(2020, 1, 1),
    ]
    days = [dt.date(2026, 4, 1), dt.date(2028, 2, 29), dt.date(2027, 3, 1), dt.date(2020, 2, 28)]
    cases = [make_case(centre_a, alice, birth_date=birth) for birth in births]
    unknown = make_case(centre_a, alice, age_band="50s")
    for day in days:
        bands = dict(
            annotate_age_band(Case.objects.filter(centre=centre_a), day).values_list("id", "band")
        )
        for case in cases:
            expected = age_band_for(age_from_birth_date(case.birth_date, day))
            assert bands[case.pk] == expected, (case.birth_date, day)
        assert bands[unknown.pk] == "50s"


# --- query counts at 1× and 20× data --------------------------------------------------------


def _grow(centre: Centre, staff: User, times: int) -> None:
    """`times` more of everything the report counts, written in bulk (the counting, not the
    writing, is under test): per unit a case with contacts on several channels, a referral, an
    ibasho session with a case and a walk-in, a done and a cancelled visit, and a family class
    with an attendance."""
    programme = FamilyProgramme.objects.create(
        centre=centre,
        kind="craft",
        title="CRAFT",
        starts_on=dt.date(2026, 4, 1),
        ends_on=dt.date(2026, 12, 31),
        created_by=staff,
    )
    for unit in range(times):
        case = make_case(centre, staff, first_contact_date=dt.date(2026, 4, 1))
        member = make_member(case, staff)
        day = jst(2026, 4, 1) + dt.timedelta(days=unit % 200, hours=unit % 5)
        ContactEntry.objects.bulk_create(
            ContactEntry(
                case=case,
                occurred_at=day + dt.timedelta(minutes=n),
                channel=channel,
                counterpart=counterpart,
                staff=staff,
                created_by=staff,
            )
            for n, (channel, counterpart) in enumerate(
                itertools.product(["phone", "email", "ibasho"], ["person", "family"])
            )
        )
        Referral.objects.create(
            case=case,
            destination_kind="medical",
            destination_name="病院",
            referred_on=day.date(),
            created_by=staff,
        )
        session = IbashoSession.objects.create(
            centre=centre,
            place="ルーム",
            starts_at=day,
            ends_at=day + dt.timedelta(hours=2),
            created_by=staff,
        )
        walk_in = WalkIn.objects.create(centre=centre, nickname=f"n{unit}")
        IbashoAttendance.objects.bulk_create(
            [
                IbashoAttendance(session=session, case=case, arrived_at=day, created_by=staff),
                IbashoAttendance(
                    session=session, walk_in=walk_in, arrived_at=day, created_by=staff
                ),
            ]
        )
        for status, outcome, reason in (("done", "met_person", ""), ("cancelled", "", "雨")):
            HomeVisit.objects.create(
                centre=centre,
                case=case,
                starts_at=day,
                ends_at=day + dt.timedelta(hours=1),
                purpose="訪問",
                status=status,
                outcome=outcome,
                status_reason=reason,
                created_by=staff,
            )
        programme_session = ProgrammeSession.objects.create(
            programme=programme, starts_at=day, ends_at=day + dt.timedelta(hours=2)
        )
        ProgrammeAttendance.objects.create(
            session=programme_session, member=member, status="attended", recorded_by=staff
        )


@pytest.mark.parametrize("name", PAGES)
def test_query_count_is_the_same_at_1x_and_20x_data(
    centre_a, mallory, as_mallory, name, django_assert_max_num_queries
):
    url = _url(name, **FISCAL_2026)
    _grow(centre_a, mallory, 1)
    with django_assert_max_num_queries(12) as small:
        response = as_mallory.get(url)
    assert response.status_code == 200
    assert response.context is None or response.context.get("report") is not None
    _grow(centre_a, mallory, 19)
    with django_assert_max_num_queries(len(small.captured_queries)) as large:
        response = as_mallory.get(url)
    assert response.status_code == 200
    assert len(large.captured_queries) == len(small.captured_queries)
    if name == "statistics":
        report = response.context["report"]
        assert report.table("channels").value("total", "contacts") == 20 * 6
        assert report.table("ibasho_attendance").value("total", "visits") == 20 * 2
        assert report.table("family_programmes").value("total", "attended") == 20
