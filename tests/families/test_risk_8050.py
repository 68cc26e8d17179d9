"""80/50 is computed, never typed (domain rule 6): a parent aged at least the centre's
`elderly_parent_age` living with the person, or the person at least its `senior_person_age`."""

import datetime as dt
import itertools

import pytest
import time_machine

from cases import services as case_services
from cases.choices import AgeBand
from cases.models import Case
from families import risk_8050, services
from families.models import HouseholdLink, MemberStatus
from families.tasks import refresh_8050
from tests.factories import make_case

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 30)
NOW = dt.datetime(2026, 11, 30, 3, 0, tzinfo=dt.UTC)  # 12:00 in Tokyo


def born_years_ago(years: int, *, days: int = 0) -> dt.date:
    """The birth date of someone who turns `years` today, shifted by `days`."""
    return TODAY.replace(year=TODAY.year - years) + dt.timedelta(days=days)


def case_with_parent(centre, by, *, parent_birth=None, parent_year=None, lives_with=True, **case):
    with time_machine.travel(NOW, tick=False):
        person = make_case(centre, by, **case)
        services.member_add(
            case=person,
            by=by,
            fields={"given_name": "花子", "birth_date": parent_birth, "birth_year": parent_year},
            link_fields={"relation": "mother", "lives_with_person": lives_with},
        )
    person.refresh_from_db()
    return person


def flag(case: Case) -> bool:
    case.refresh_from_db()
    return case.risk_8050


@pytest.mark.parametrize(("age", "expected"), [(79, False), (80, True)])
def test_a_mother_living_with_the_person_at_the_centre_s_elderly_age(
    age, expected, centre_a, alice
):
    case = case_with_parent(centre_a, alice, parent_birth=born_years_ago(age))
    assert flag(case) is expected
    reasons = risk_8050.reasons(case, case.household_links.select_related("member"), today=TODAY)
    assert reasons == ([f"母 {age}歳・同居"] if expected else [])


@pytest.mark.parametrize(("age", "expected"), [(49, False), (50, True)])
def test_the_person_at_the_centre_s_senior_age(age, expected, centre_a, alice):
    with time_machine.travel(NOW, tick=False):
        case = make_case(centre_a, alice, birth_date=born_years_ago(age))
    assert flag(case) is expected


def test_the_ages_are_the_centre_s_own_settings(centre_a, alice):
    centre_a.elderly_parent_age, centre_a.senior_person_age = 75, 45
    centre_a.save()
    parent_75 = case_with_parent(centre_a, alice, parent_birth=born_years_ago(75))
    parent_74 = case_with_parent(centre_a, alice, parent_birth=born_years_ago(74))
    with time_machine.travel(NOW, tick=False):
        person_45 = make_case(centre_a, alice, birth_date=born_years_ago(45))
        person_44 = make_case(centre_a, alice, birth_date=born_years_ago(44))
    assert [flag(c) for c in (parent_75, parent_74, person_45, person_44)] == [
        True,
        False,
        True,
        False,
    ]


def test_a_parent_not_living_with_the_person_does_not_count(centre_a, alice):
    case = case_with_parent(centre_a, alice, parent_birth=born_years_ago(85), lives_with=False)
    assert flag(case) is False


def test_a_parent_who_died_no_longer_counts_and_their_history_stays(centre_a, alice):
    case = case_with_parent(centre_a, alice, parent_birth=born_years_ago(85))
    assert flag(case) is True
    link = HouseholdLink.objects.select_related("member").get(case=case)
    with time_machine.travel(NOW, tick=False):
        services.member_update(
            member=link.member,
            by=alice,
            changes={"status": MemberStatus.DECEASED, "status_since": TODAY},
            expected_version=link.member.version,
        )
    assert flag(case) is False
    assert HouseholdLink.objects.filter(case=case).exists()  # still in the household


def test_a_birthday_overnight_turns_the_flag_on_through_the_daily_task(centre_a, alice):
    tomorrow = TODAY + dt.timedelta(days=1)
    case = case_with_parent(centre_a, alice, parent_birth=born_years_ago(80, days=1))
    assert flag(case) is False  # 79 today
    with time_machine.travel(NOW + dt.timedelta(days=1), tick=False):
        assert dt.date.today() == tomorrow
        assert refresh_8050() == 1  # nobody saved a form
        assert refresh_8050() == 0  # only rows that change are written
    assert flag(case) is True


def test_with_the_birth_year_only_the_age_reached_this_year_counts(centre_a, alice):
    case = case_with_parent(centre_a, alice, parent_year=TODAY.year - 80)
    assert flag(case) is True
    younger = case_with_parent(centre_a, alice, parent_year=TODAY.year - 79)
    assert flag(younger) is False


def test_the_person_s_age_band_counts_when_the_birth_date_is_unknown(centre_a, alice):
    with time_machine.travel(NOW, tick=False):
        fifties = make_case(centre_a, alice, age_band=AgeBand.FIFTIES)
        forties = make_case(centre_a, alice, age_band=AgeBand.FORTIES)
    assert (flag(fifties), flag(forties)) == (True, False)


def test_editing_the_person_s_birth_date_recomputes_the_flag(centre_a, alice):
    with time_machine.travel(NOW, tick=False):
        case = make_case(centre_a, alice, birth_date=born_years_ago(30))
        assert flag(case) is False
        case_services.case_update(
            case=case,
            by=alice,
            changes={"birth_date": born_years_ago(51)},
            expected_version=case.version,
        )
    assert flag(case) is True


def test_a_box_ticked_before_households_stays_on_until_a_parent_s_age_is_recorded(centre_a, alice):
    with time_machine.travel(NOW, tick=False):
        case = make_case(centre_a, alice, birth_date=born_years_ago(30))
    Case.objects.filter(pk=case.pk).update(risk_8050_unverified=True)  # as migrated
    risk_8050.refresh(case_ids=[case.pk], today=TODAY)
    assert flag(case) is True
    assert risk_8050.reasons(case, [], today=TODAY) == ["手入力（親の年齢が未登録）"]
    with time_machine.travel(NOW, tick=False):
        services.member_add(
            case=case,
            by=alice,
            fields={"birth_date": born_years_ago(62)},
            link_fields={"relation": "father"},
        )
    assert flag(case) is False  # now the data decides


def test_python_and_sql_agree_on_every_combination(centre_a, alice):
    """The definition (reasons) and the set-based refresh on the same households."""
    combos = itertools.product(
        [None, 49, 50],  # person's age (None: unknown birth date, band 40s)
        [None, 79, 80],  # mother's age (None: not recorded)
        [True, False],  # lives with the person
        [MemberStatus.ACTIVE, MemberStatus.DECEASED],
        [False, True],  # ticked before households
    )
    cases = []
    with time_machine.travel(NOW, tick=False):
        for person_age, parent_age, lives_with, status, ticked in combos:
            case = make_case(
                centre_a,
                alice,
                birth_date=born_years_ago(person_age) if person_age else None,
                age_band=AgeBand.UNKNOWN if person_age else AgeBand.FORTIES,
            )
            Case.objects.filter(pk=case.pk).update(risk_8050_unverified=ticked)
            if parent_age is not None:
                member = services.member_add(
                    case=case,
                    by=alice,
                    fields={"birth_date": born_years_ago(parent_age)},
                    link_fields={"relation": "mother", "lives_with_person": lives_with},
                )
                if status != MemberStatus.ACTIVE:
                    member.status, member.status_since = status, TODAY
                    member.save()
            cases.append(case)
    risk_8050.refresh(today=TODAY)
    for case in Case.objects.filter(pk__in=[c.pk for c in cases]).select_related("centre"):
        links = case.household_links.select_related("member")
        assert case.risk_8050 == bool(risk_8050.reasons(case, links, today=TODAY)), case.pk
