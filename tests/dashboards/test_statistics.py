"""The centre's statistics on a hand-built data set: every table for a month and a fiscal
year, the 31 March / 1 April boundary in Tokyo time, a case reopened within the year, walk-ins,
visits, referrals and family classes. Every expected number below was counted by hand from the
data set described in `dataset`'s docstring; the comment beside each assertion says which
records make it up."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from accounts.models import Centre, User
from cases import services as case_services
from cases.models import Case
from dashboards.statistics import TOKYO, Period, Report, statistics_report
from families import services as family_services
from outreach import services as outreach_services
from outreach.models import HomeVisit
from tests.factories import make_case, make_member, record_contact

# The day the tests run on (frozen): the end of November of fiscal year 2026 (令和8年度).
NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=TOKYO)


def jst(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=TOKYO)


@pytest.fixture(autouse=True)
def frozen_now() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


@dataclass
class DataSet:
    c1: Case
    c2: Case
    c3: Case
    c4: Case
    d1: Case


def _visit(case: Case, by: User, at: dt.datetime, status: str, outcome: str = "") -> HomeVisit:
    """A visit as it stands after the visit services ran (their rules are tested in
    tests/outreach); the statistics read its centre, case, start, status and outcome. A visit
    that took place wrote its contact, as visit_record_outcome does."""
    visit = HomeVisit.objects.create(
        centre=case.centre,
        case=case,
        starts_at=at,
        ends_at=at + dt.timedelta(hours=1),
        purpose="近況をうかがう",
        status=status,
        outcome=outcome,
        status_reason="" if status in ("done", "planned") else "体調不良",
        created_by=by,
    )
    if status == "done":
        counterpart = "family" if outcome == "met_family" else "person"
        two_way = outcome in ("met_person", "through_door", "met_family", "refused")
        record_contact(
            case, by, at=at, channel="home_visit", counterpart=counterpart, two_way=two_way
        )
    return visit


def _session(centre: Centre, by: User, start: dt.datetime) -> Any:
    return outreach_services.session_create(
        centre=centre,
        by=by,
        fields={
            "place": "居場所ルーム",
            "starts_at": start,
            "ends_at": start + dt.timedelta(hours=2),
        },
        staff=[by],
    )


def _walk_in(session: Any, by: User, at: dt.datetime, *, nickname: str = "", walk_in: Any = None):
    return outreach_services.check_in_walk_in(
        session=session, by=by, client_key=uuid.uuid4(), nickname=nickname, walk_in=walk_in, at=at
    )


@pytest.fixture
def dataset(centre_a: Centre, centre_b: Centre, alice: User, bob: User, charlie: User) -> DataSet:
    """Centre A
    C1  female, born 1996-04-01 (29 on 1 March 2026, 30 on 1 April 2026), first contact
        2025-06-10 by the family.
        contacts: 2026-03-31 23:59 phone/family · 2026-04-01 00:00 phone/family ·
        2026-04-15 centre visit/person · ibasho S2 2026-04-24 (ibasho/person, first visit) ·
        CRAFT class 2026-04-18 (family_class/family, mother attended) ·
        multi-family group 2026-05-10 (family_class/family, mother attended).
        referral 2026-04-20 youth support station (saposte), accepted.
    C2  male, no birth date, age band recorded as 40s, first contact 2026-04-03 by the person.
        contacts: 2026-04-03 phone/person · ibasho S1 2026-04-10 (ibasho/person, first visit) ·
        home visit 2026-05-12 met the person (home_visit/person) · 2026-05-20 e-mail/person.
        referral 2026-05-01 clinic (medical), pending.
    C3  gender unanswered, born 2008-07-01 (17 on 1 April 2026), first contact 2024-11-01 by
        the school. Closed 2026-04-20, reopened 2026-06-01 (second episode).
        contacts: 2026-04-05 phone/family · multi-family group 2026-05-10 (father attended,
        family_class/family) · home visit 2026-06-05 letter left (home_visit/person, one-way).
    C4  female, born 1960-01-15 (66), first contact 2026-03-31 by a clinic (medical).
        contacts: 2026-03-31 09:00 phone/agency · home visit 2026-03-31 14:00 met the family
        (home_visit/family) · 2026-04-01 09:00 online/person and family.
        referral 2026-03-25 public health centre, declined.
        visits: 2026-04-22 cancelled · 2026-04-28 postponed.
    C5  male, first contact 2023-05-01; one contact 2025-01-10 (fiscal year 2024 only); a visit
        planned for 2026-12-10 (not done: counted nowhere).
    Ibasho (centre A)
        S4 2026-03-27: walk-in ハル (first visit).
        S1 2026-04-10: C2 (first), walk-ins ミカン (first) and ソラ (first).
        S3 2026-04-17: cancelled.
        S2 2026-04-24: C1 (first), walk-in ミカン again (not first).
    Family programmes (centre A)
        CRAFT: sessions 2026-04-18 (C1's mother attended) and 2026-05-16 (she was absent);
        a session on 2026-12-12 (not held yet).
        Multi-family group: session 2026-05-10, C1's mother and C3's father attended.
    Centre B (charlie's): D1 male, born 1990-01-01, first contact 2026-04-10 by the person.
        contacts 2026-04-10 and 2026-04-11 phone/person; home visit 2026-04-20 no answer
        (home_visit/person, one-way); referral 2026-04-15 job centre, accepted; ibasho
        2026-04-10 walk-in ユキ (first visit)."""
    c1 = make_case(
        centre_a,
        alice,
        gender="female",
        birth_date=dt.date(1996, 4, 1),
        first_contact_date=dt.date(2025, 6, 10),
        first_contact_by="family",
    )
    c2 = make_case(
        centre_a,
        alice,
        gender="male",
        age_band="40s",
        first_contact_date=dt.date(2026, 4, 3),
        first_contact_by="person",
    )
    c3 = make_case(
        centre_a,
        alice,
        gender="unanswered",
        birth_date=dt.date(2008, 7, 1),
        first_contact_date=dt.date(2024, 11, 1),
        first_contact_by="school",
    )
    c4 = make_case(
        centre_a,
        alice,
        gender="female",
        birth_date=dt.date(1960, 1, 15),
        first_contact_date=dt.date(2026, 3, 31),
        first_contact_by="medical",
    )
    c5 = make_case(
        centre_a,
        alice,
        gender="male",
        birth_date=dt.date(1985, 10, 10),
        first_contact_date=dt.date(2023, 5, 1),
    )
    d1 = make_case(
        centre_b,
        charlie,
        gender="male",
        birth_date=dt.date(1990, 1, 1),
        first_contact_date=dt.date(2026, 4, 10),
        first_contact_by="person",
    )

    # The contact log.
    record_contact(c1, alice, at=jst(2026, 3, 31, 23, 59), channel="phone", counterpart="family")
    record_contact(c1, alice, at=jst(2026, 4, 1, 0, 0), channel="phone", counterpart="family")
    record_contact(c1, alice, at=jst(2026, 4, 15), channel="centre_visit", counterpart="person")
    record_contact(c2, alice, at=jst(2026, 4, 3), channel="phone", counterpart="person")
    record_contact(c2, alice, at=jst(2026, 5, 20), channel="email", counterpart="person")
    record_contact(c3, alice, at=jst(2026, 4, 5), channel="phone", counterpart="family")
    record_contact(c4, alice, at=jst(2026, 3, 31, 9), channel="phone", counterpart="agency")
    record_contact(c4, alice, at=jst(2026, 4, 1, 9), channel="online", counterpart="both")
    record_contact(c5, alice, at=jst(2025, 1, 10), channel="phone", counterpart="family")
    record_contact(d1, charlie, at=jst(2026, 4, 10), channel="phone", counterpart="person")
    record_contact(d1, charlie, at=jst(2026, 4, 11), channel="phone", counterpart="person")

    # C3 closes and is reopened within the fiscal year: a second episode, one case.
    with time_machine.travel(jst(2026, 4, 20), tick=False):
        case_services.case_change_status(
            case=c3, by=alice, to_status="closed", closure_reason="goal_reached"
        )
    with time_machine.travel(jst(2026, 6, 1), tick=False):
        case_services.case_change_status(case=c3, by=alice, to_status="open")
    c3.refresh_from_db()
    assert c3.episode == 2

    # Home visits.
    _visit(c2, alice, jst(2026, 5, 12), "done", "met_person")
    _visit(c3, alice, jst(2026, 6, 5), "done", "letter_left")
    _visit(c4, alice, jst(2026, 3, 31, 14), "done", "met_family")
    _visit(c4, alice, jst(2026, 4, 22), "cancelled")
    _visit(c4, alice, jst(2026, 4, 28), "postponed")
    _visit(c5, alice, jst(2026, 12, 10), "planned")
    _visit(d1, charlie, jst(2026, 4, 20), "done", "no_answer")

    # Referrals.
    for case, by, kind, day, outcome in (
        (c1, alice, "saposte", dt.date(2026, 4, 20), "accepted"),
        (c2, alice, "medical", dt.date(2026, 5, 1), "pending"),
        (c4, alice, "public_health", dt.date(2026, 3, 25), "declined"),
        (d1, charlie, "hello_work", dt.date(2026, 4, 15), "accepted"),
    ):
        case_services.referral_create(
            case=case,
            by=by,
            fields={
                "destination_kind": kind,
                "destination_name": "つなぎ先",
                "referred_on": day,
                "outcome": outcome,
            },
        )

    # The ibasho.
    s4 = _session(centre_a, bob, jst(2026, 3, 27, 14))
    _walk_in(s4, bob, jst(2026, 3, 27, 14, 5), nickname="ハル")
    s1 = _session(centre_a, bob, jst(2026, 4, 10, 14))
    outreach_services.check_in_case(session=s1, case=c2, by=bob, at=jst(2026, 4, 10, 14, 5))
    mikan = _walk_in(s1, bob, jst(2026, 4, 10, 14, 6), nickname="ミカン").walk_in
    _walk_in(s1, bob, jst(2026, 4, 10, 14, 7), nickname="ソラ")
    s3 = _session(centre_a, bob, jst(2026, 4, 17, 14))
    outreach_services.session_cancel(session=s3, by=bob, reason="台風のため")
    s2 = _session(centre_a, bob, jst(2026, 4, 24, 14))
    outreach_services.check_in_case(session=s2, case=c1, by=bob, at=jst(2026, 4, 24, 14, 10))
    _walk_in(s2, bob, jst(2026, 4, 24, 14, 12), walk_in=mikan)
    sb = _session(centre_b, charlie, jst(2026, 4, 10, 14))
    _walk_in(sb, charlie, jst(2026, 4, 10, 14, 5), nickname="ユキ")

    # Family programmes.
    mother = make_member(c1, alice, relation="mother")
    father = make_member(c3, alice, relation="father", given_name="一郎")

    def programme(kind: str, starts: list[dt.datetime]) -> list[Any]:
        created = family_services.programme_create(
            centre=centre_a,
            by=bob,
            fields={
                "kind": kind,
                "title": "家族教室",
                "starts_on": dt.date(2026, 4, 1),
                "ends_on": dt.date(2026, 12, 31),
            },
            facilitators=[bob],
            sessions=[{"starts_at": s, "ends_at": s + dt.timedelta(hours=2)} for s in starts],
        )
        return list(created.sessions.order_by("starts_at")), created

    (craft_1, craft_2, _craft_3), craft = programme(
        "craft", [jst(2026, 4, 18), jst(2026, 5, 16), jst(2026, 12, 12)]
    )
    (group_1,), group = programme("multi_family", [jst(2026, 5, 10)])
    family_services.programme_enrol(programme=craft, member=mother, by=bob)
    for member in (mother, father):
        family_services.programme_enrol(programme=group, member=member, by=bob)
    family_services.attendance_save(session=craft_1, by=bob, marks={mother.pk: ("attended", "")})
    family_services.attendance_save(session=craft_2, by=bob, marks={mother.pk: ("absent", "")})
    family_services.attendance_save(
        session=group_1,
        by=bob,
        marks={mother.pk: ("attended", ""), father.pk: ("attended", "")},
    )
    return DataSet(c1, c2, c3, c4, d1)


def _rows(report: Report, table: str) -> dict[str, dict[str, int]]:
    """The table as {row: {column: n}}, leaving out the rows that are all zero (so that each
    expectation below lists only what the data set holds)."""
    return {row.key: row.values for row in report.table(table).rows if any(row.values.values())}


def people(n: int, contacts: int) -> dict[str, int]:
    return {"people": n, "contacts": contacts}


# --- April 2026 --------------------------------------------------------------------------------


def test_april_2026_contacts_by_channel_and_counterpart(dataset, centre_a):
    report = statistics_report([centre_a], Period.month(2026, 4))
    # In April (1 April 00:00 – 30 April 24:00 JST): C1 4 (phone 04-01 00:00, centre visit,
    # ibasho S2, CRAFT class), C2 2 (phone, ibasho S1), C3 1 (phone), C4 1 (online). C1's
    # 31 March 23:59 call is March's; centre B's D1 is not counted.
    assert _rows(report, "channels") == {
        "phone": people(3, 3),  # C1, C2, C3
        "centre_visit": people(1, 1),  # C1
        "online": people(1, 1),  # C4
        "ibasho": people(2, 2),  # C2 at S1, C1 at S2
        "family_class": people(1, 1),  # C1 (mother at CRAFT 04-18)
        "total": people(4, 8),  # C1..C4 once each; 4 + 2 + 1 + 1 entries
    }
    assert _rows(report, "counterparts") == {
        "person": people(2, 4),  # C1 centre visit + ibasho, C2 phone + ibasho
        "family": people(2, 3),  # C1 phone + CRAFT, C3 phone
        "both": people(1, 1),  # C4 online
        "total": people(4, 8),
    }


def test_april_2026_people_served(dataset, centre_a):
    report = statistics_report([centre_a], Period.month(2026, 4))
    # New: first contact date in April: C2 (04-03). C4's first contact was 31 March: continuing.
    assert _rows(report, "new_continuing") == {
        "new": people(1, 2),  # C2
        "continuing": people(3, 6),  # C1 (4), C3 (1), C4 (1)
        "total": people(4, 8),
    }
    # Age on 1 April 2026: C1 30 (born 1996-04-01, birthday that day), C2 no birth date → the
    # recorded 40s, C3 17, C4 66.
    assert _rows(report, "age_bands") == {
        "under20": people(1, 1),  # C3
        "30s": people(1, 4),  # C1
        "40s": people(1, 2),  # C2
        "60plus": people(1, 1),  # C4
        "total": people(4, 8),
    }
    assert _rows(report, "genders") == {
        "female": people(2, 5),  # C1 (4) + C4 (1)
        "male": people(1, 2),  # C2
        "unanswered": people(1, 1),  # C3
        "total": people(4, 8),
    }
    assert _rows(report, "first_contact") == {
        "person": people(1, 2),  # C2
        "family": people(1, 4),  # C1
        "school": people(1, 1),  # C3
        "medical": people(1, 1),  # C4
        "total": people(4, 8),
    }


def test_april_2026_referrals_ibasho_visits_and_family_classes(dataset, centre_a):
    report = statistics_report([centre_a], Period.month(2026, 4))
    # Referred in April: C1 → saposte (accepted). C2's is May, C4's March, D1 is centre B.
    assert _rows(report, "referrals") == {
        "saposte": {"pending": 0, "accepted": 1, "declined": 0, "total": 1},
        "total": {"pending": 0, "accepted": 1, "declined": 0, "total": 1},
    }
    # S1 and S2 held, S3 cancelled (S4 is March, centre B's session not ours).
    assert _rows(report, "ibasho_sessions") == {
        "held": {"sessions": 2},
        "cancelled": {"sessions": 1},
    }
    assert _rows(report, "ibasho_attendance") == {
        # C2 at S1 and C1 at S2, each their first time.
        "named": {"visits": 2, "people": 2, "first_visits": 2},
        # ミカン (S1 first, S2 again) and ソラ (S1 first).
        "walk_in": {"visits": 3, "people": 2, "first_visits": 2},
        "total": {"visits": 5, "people": 4, "first_visits": 4},
    }
    # April's visits: C4's 04-22 (cancelled) and 04-28 (postponed); none done.
    assert _rows(report, "home_visits") == {
        "cancelled": {"visits": 1, "people": 1},
        "postponed": {"visits": 1, "people": 1},
        "called_off": {"visits": 2, "people": 1},  # both C4's
    }
    # CRAFT on 04-18: C1's mother attended.
    assert _rows(report, "family_programmes") == {
        "craft": {"sessions": 1, "attended": 1, "members": 1},
        "total": {"sessions": 1, "attended": 1, "members": 1},
    }


# --- March 2026: the other side of the boundary ------------------------------------------------


def test_march_2026_holds_the_last_minute_of_the_fiscal_year(dataset, centre_a):
    report = statistics_report([centre_a], Period.month(2026, 3))
    # C1 phone/family 03-31 23:59; C4 phone/agency 03-31 09:00 and the home visit 03-31 14:00
    # (home_visit/family).
    assert _rows(report, "channels") == {
        "phone": people(2, 2),
        "home_visit": people(1, 1),
        "total": people(2, 3),
    }
    assert _rows(report, "counterparts") == {
        "family": people(2, 2),  # C1 phone, C4 visit
        "agency": people(1, 1),  # C4 phone
        "total": people(2, 3),
    }
    # C4's first contact (03-31) is in March: new here, continuing in April.
    assert _rows(report, "new_continuing") == {
        "new": people(1, 2),
        "continuing": people(1, 1),
        "total": people(2, 3),
    }
    # Age on 1 March 2026: C1 is still 29 (her birthday is 1 April).
    assert _rows(report, "age_bands") == {
        "20s": people(1, 1),
        "60plus": people(1, 2),
        "total": people(2, 3),
    }
    assert _rows(report, "genders") == {"female": people(2, 3), "total": people(2, 3)}
    assert _rows(report, "first_contact") == {
        "family": people(1, 1),
        "medical": people(1, 2),
        "total": people(2, 3),
    }
    assert _rows(report, "referrals") == {
        "public_health": {"pending": 0, "accepted": 0, "declined": 1, "total": 1},
        "total": {"pending": 0, "accepted": 0, "declined": 1, "total": 1},
    }
    assert _rows(report, "ibasho_sessions") == {"held": {"sessions": 1}}  # S4
    assert _rows(report, "ibasho_attendance") == {
        "walk_in": {"visits": 1, "people": 1, "first_visits": 1},  # ハル
        "total": {"visits": 1, "people": 1, "first_visits": 1},
    }
    assert _rows(report, "home_visits") == {
        "met_family": {"visits": 1, "people": 1},
        "done": {"visits": 1, "people": 1},
    }
    assert _rows(report, "family_programmes") == {}


# --- fiscal years ----------------------------------------------------------------------------


def test_fiscal_year_2026_counts_every_table(dataset, centre_a):
    report = statistics_report([centre_a], Period.fiscal_year(2026))
    # 1 April 2026 00:00 – 1 April 2027 00:00 JST (frozen at 30 November 2026):
    # C1 5 (phone 04-01 00:00, centre visit, ibasho S2, CRAFT 04-18, group 05-10),
    # C2 4 (phone, ibasho S1, visit 05-12, e-mail), C3 3 (phone 04-05, group 05-10, visit
    # 06-05 letter left, one-way but counted), C4 1 (online). 13 entries, 4 people.
    assert _rows(report, "channels") == {
        "phone": people(3, 3),  # C1, C2, C3
        "centre_visit": people(1, 1),  # C1
        "home_visit": people(2, 2),  # C2 05-12, C3 06-05
        "email": people(1, 1),  # C2
        "online": people(1, 1),  # C4
        "ibasho": people(2, 2),  # C2, C1
        "family_class": people(2, 3),  # C1 twice (CRAFT, group), C3 once (group)
        "total": people(4, 13),
    }
    assert _rows(report, "counterparts") == {
        "person": people(3, 7),  # C1 2, C2 4, C3 1 (the letter)
        "family": people(2, 5),  # C1 3 (phone, CRAFT, group), C3 2 (phone, group)
        "both": people(1, 1),  # C4
        "total": people(4, 13),
    }
    # C3 was closed and reopened within the year: one case, counted once.
    assert _rows(report, "new_continuing") == {
        "new": people(1, 4),  # C2 (first contact 2026-04-03)
        "continuing": people(3, 9),  # C1 5, C3 3, C4 1 (first contact 2026-03-31)
        "total": people(4, 13),
    }
    assert _rows(report, "age_bands") == {
        "under20": people(1, 3),  # C3, 17
        "30s": people(1, 5),  # C1, 30 on 1 April
        "40s": people(1, 4),  # C2, recorded band
        "60plus": people(1, 1),  # C4
        "total": people(4, 13),
    }
    assert _rows(report, "genders") == {
        "female": people(2, 6),  # C1 5 + C4 1
        "male": people(1, 4),  # C2
        "unanswered": people(1, 3),  # C3
        "total": people(4, 13),
    }
    assert _rows(report, "first_contact") == {
        "person": people(1, 4),
        "family": people(1, 5),
        "school": people(1, 3),
        "medical": people(1, 1),
        "total": people(4, 13),
    }
    assert _rows(report, "referrals") == {
        "medical": {"pending": 1, "accepted": 0, "declined": 0, "total": 1},  # C2
        "saposte": {"pending": 0, "accepted": 1, "declined": 0, "total": 1},  # C1
        "total": {"pending": 1, "accepted": 1, "declined": 0, "total": 2},
    }
    assert _rows(report, "ibasho_sessions") == {
        "held": {"sessions": 2},
        "cancelled": {"sessions": 1},
    }
    assert _rows(report, "ibasho_attendance") == {
        "named": {"visits": 2, "people": 2, "first_visits": 2},
        "walk_in": {"visits": 3, "people": 2, "first_visits": 2},
        "total": {"visits": 5, "people": 4, "first_visits": 4},
    }
    # Done: C2 met (05-12), C3 letter left (06-05). Called off: C4's two. C5's December visit
    # is only planned: counted nowhere.
    assert _rows(report, "home_visits") == {
        "met_person": {"visits": 1, "people": 1},
        "letter_left": {"visits": 1, "people": 1},
        "done": {"visits": 2, "people": 2},
        "cancelled": {"visits": 1, "people": 1},
        "postponed": {"visits": 1, "people": 1},
        "called_off": {"visits": 2, "people": 1},
    }
    # CRAFT 04-18 (mother) and 05-16 (mother absent) held, 12-12 not yet; the group 05-10
    # (mother and father).
    assert _rows(report, "family_programmes") == {
        "craft": {"sessions": 2, "attended": 1, "members": 1},
        "multi_family": {"sessions": 1, "attended": 2, "members": 2},
        "total": {"sessions": 3, "attended": 3, "members": 2},  # the mother once
    }


def test_fiscal_year_2025_ends_at_31_march_23_59_tokyo(dataset, centre_a):
    report = statistics_report([centre_a], Period.fiscal_year(2025))
    # FY2025 holds March's three entries and C5's? No: C5's 2025-01-10 call is FY2024.
    assert _rows(report, "channels") == {
        "phone": people(2, 2),  # C1 23:59, C4 09:00
        "home_visit": people(1, 1),  # C4
        "total": people(2, 3),
    }
    # C1 (first contact 2025-06-10) and C4 (2026-03-31) are both new in FY2025.
    assert _rows(report, "new_continuing") == {"new": people(2, 3), "total": people(2, 3)}
    # Age on 1 April 2025: C1 29, C4 65.
    assert _rows(report, "age_bands") == {
        "20s": people(1, 1),
        "60plus": people(1, 2),
        "total": people(2, 3),
    }


def test_centre_b_numbers_never_reach_centre_a_and_all_centres_add_up(dataset, centre_a, centre_b):
    year = Period.fiscal_year(2026)
    only_b = statistics_report([centre_b], year)
    # D1: two calls and the visit with no answer.
    assert _rows(only_b, "channels") == {
        "phone": people(1, 2),
        "home_visit": people(1, 1),
        "total": people(1, 3),
    }
    assert _rows(only_b, "ibasho_attendance")["walk_in"] == {
        "visits": 1,
        "people": 1,
        "first_visits": 1,
    }
    both = statistics_report([centre_a, centre_b], year)
    assert both.table("channels").value("total", "people") == 4 + 1
    assert both.table("channels").value("total", "contacts") == 13 + 3
    assert both.table("referrals").value("total", "total") == 2 + 1
    assert both.table("home_visits").value("done", "visits") == 2 + 1
    assert both.table("ibasho_attendance").value("total", "visits") == 5 + 1


def test_labels_in_wareki():
    assert Period.fiscal_year(2026).wareki == "令和8年度"
    assert Period.fiscal_year(2019).wareki == "令和元年度"
    assert Period.fiscal_year(2018).wareki == "平成30年度"
    assert Period.fiscal_year(1988).wareki == "昭和63年度"
    assert Period.month(2026, 4).wareki == "令和8年4月"
    assert Period.month(2019, 4).wareki == "平成31年4月"
    assert Period.month(2019, 5).wareki == "令和元年5月"
    assert Period.month(2026, 12).next_first_day == dt.date(2027, 1, 1)


# --- the page --------------------------------------------------------------------------------


def _url(name: str, **query: Any) -> str:
    from django.utils.http import urlencode

    return reverse(f"dashboards:{name}") + ("?" + urlencode(query) if query else "")


def test_page_shows_the_fiscal_year_in_wareki_with_the_report(dataset, as_mallory, centre_a):
    response = as_mallory.get(_url("statistics", period="fiscal_year", fiscal_year=2026))
    assert response.status_code == 200
    report = response.context["report"]
    assert report.centres == [centre_a]
    assert report.table("channels").value("total", "contacts") == 13
    assert "令和8年度" in response.content.decode()


def test_invalid_month_shows_the_form_error(dataset, as_mallory):
    response = as_mallory.get(_url("statistics", period="month", month="2026-13"))
    assert response.status_code == 400
    assert response.context["report"] is None
    assert "month" in response.context["form"].errors


def test_print_page_has_no_navigation(dataset, as_mallory):
    response = as_mallory.get(_url("statistics_print", period="month", month="2026-04"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<nav" not in html
    assert "print-statistics.css" in html
    assert response.context["report"].table("channels").value("total", "contacts") == 8


def test_nav_links_to_statistics_for_managers_only(as_mallory, as_alice):
    for client, shown in ((as_mallory, True), (as_alice, False)):
        response = client.get(reverse("cases:list"))
        assert response.status_code == 200
        assert ('data-testid="nav-statistics"' in response.content.decode()) is shown
