"""Family programmes through the services: a weekly series in Tokyo time, and the attendance
register as a two-way contact with the family, once per case and session, however often the
register is saved or corrected."""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from cases.models import Case, ContactEntry
from families import services
from families.models import (
    AttendanceStatus,
    Enrolment,
    FamilyMember,
    FamilyProgramme,
    ProgrammeAttendance,
    ProgrammeSession,
)
from tests.factories import make_case, record_contact

pytestmark = pytest.mark.django_db

TOKYO = ZoneInfo("Asia/Tokyo")
ATTENDED, ABSENT, EXCUSED = (
    AttendanceStatus.ATTENDED,
    AttendanceStatus.ABSENT,
    AttendanceStatus.EXCUSED,
)


def tokyo(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TOKYO)  # type: ignore[misc]


def add_member(
    case: Case, by, relation: str = "mother", given: str = "花子", kana: str = "はなこ"
) -> FamilyMember:
    """A member of the case's household, added the way the household panel adds one."""
    return services.member_add(
        case=case,
        by=by,
        fields={
            "family_name": "山田",
            "given_name": given,
            "family_name_kana": "やまだ",
            "given_name_kana": kana,
            "birth_year": 1960,
            "contact_consent": True,
        },
        link_fields={"relation": relation},
    )


def make_programme(
    centre,
    by,
    *,
    first_start: dt.datetime,
    weeks: int = 4,
    starts_on: dt.date | None = None,
    ends_on: dt.date | None = None,
) -> FamilyProgramme:
    """A CRAFT course with a weekly series of 90-minute sessions, made in one step."""
    first_day = first_start.astimezone(TOKYO).date()
    return services.programme_create(
        centre=centre,
        by=by,
        fields={
            "kind": "craft",
            "title": "CRAFT講座",
            "starts_on": starts_on or first_day,
            "ends_on": ends_on or first_day + dt.timedelta(weeks=weeks),
        },
        facilitators=[by],
        sessions=services.weekly_sessions(
            first_start=first_start, minutes=90, count=weeks, place="センター2階"
        ),
    )


def family_class_contacts(case: Case):  # type: ignore[no-untyped-def]
    return ContactEntry.objects.filter(case=case, source="family_class")


def clock(case: Case) -> tuple[dt.datetime | None, dt.datetime]:
    case.refresh_from_db()
    return case.last_two_way_contact_at, case.silence_clock_started_at


# --- the weekly series -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first_start", "days"),
    [
        # Thursday 14:00 in Tokyo, over the end of January.
        (tokyo(2026, 1, 22, 14, 0), [(1, 22), (1, 29), (2, 5), (2, 12)]),
        # The same moment written in UTC (05:00Z), over the end of the fiscal year.
        (
            dt.datetime(2027, 3, 25, 5, 0, tzinfo=dt.UTC),
            [(3, 25), (4, 1), (4, 8), (4, 15)],
        ),
    ],
)
def test_a_weekly_series_makes_one_session_a_week_at_the_same_tokyo_time(
    centre_a, alice, first_start, days
):
    programme = make_programme(centre_a, alice, first_start=first_start, weeks=4)

    sessions = list(ProgrammeSession.objects.filter(programme=programme).order_by("starts_at"))
    local = [session.starts_at.astimezone(TOKYO) for session in sessions]
    assert [(start.month, start.day) for start in local] == days
    assert {(start.hour, start.minute) for start in local} == {(14, 0)}
    assert {later - earlier for earlier, later in itertools.pairwise(local)} == {
        dt.timedelta(weeks=1)
    }
    assert {s.ends_at - s.starts_at for s in sessions} == {dt.timedelta(minutes=90)}
    assert {s.place for s in sessions} == {"センター2階"}


# --- attendance as a contact with the family --------------------------------------------------


@pytest.fixture
def course(centre_a, alice):
    """Two withdrawn siblings with one mother (case 1 has a father too), a CRAFT course that
    started on 8 April 2026 at 14:00, all made on 1 April. Case 1 had a phone call with the
    family on 2 April; case 2 has had no contact at all."""
    with time_machine.travel(tokyo(2026, 4, 1, 10, 0), tick=False):
        case1 = make_case(centre_a, alice, given_name="一郎", given_name_kana="いちろう")
        case2 = make_case(centre_a, alice, given_name="二郎", given_name_kana="じろう")
        mother = add_member(case1, alice)
        services.member_link(member=mother, case=case2, by=alice, fields={"relation": "mother"})
        father = add_member(case1, alice, relation="father", given="太一", kana="たいち")
        programme = make_programme(centre_a, alice, first_start=tokyo(2026, 4, 8, 14, 0))
        for member in (mother, father):
            services.programme_enrol(programme=programme, member=member, by=alice)
    with time_machine.travel(tokyo(2026, 4, 2, 11, 0), tick=False):
        record_contact(case1, alice)
    session = programme.sessions.order_by("starts_at").first()
    return {
        "case1": case1,
        "case2": case2,
        "mother": mother,
        "father": father,
        "programme": programme,
        "session": session,
    }


def register(session, by, marks, *, at=None):  # type: ignore[no-untyped-def]
    """Save the register two hours after the session started (or at `at`)."""
    with time_machine.travel(at or session.starts_at + dt.timedelta(hours=2), tick=False):
        services.attendance_save(session=session, by=by, marks=marks)


def test_a_mother_of_two_cases_attending_resets_each_case_clock_once(course, alice):
    session, mother, father = course["session"], course["mother"], course["father"]

    register(session, alice, {mother.pk: (ATTENDED, ""), father.pk: (ABSENT, "")})

    for case in (course["case1"], course["case2"]):
        contacts = list(family_class_contacts(case))
        assert len(contacts) == 1
        contact = contacts[0]
        assert contact.channel == "family_class"
        assert contact.counterpart == "family"
        assert contact.two_way is True
        assert contact.occurred_at == session.starts_at
        assert clock(case) == (session.starts_at, session.starts_at)


def test_saving_the_register_twice_writes_one_contact_per_case(course, alice):
    session, mother, father = course["session"], course["mother"], course["father"]
    marks = {mother.pk: (ATTENDED, ""), father.pk: (ABSENT, "")}

    register(session, alice, marks)
    register(session, alice, marks)
    register(session, alice, {**marks, mother.pk: (ATTENDED, "遅れて参加")})

    for case in (course["case1"], course["case2"]):
        assert family_class_contacts(case).count() == 1
    assert ProgrammeAttendance.objects.filter(session=session).count() == 2


def test_father_and_mother_of_one_case_attending_write_one_contact(course, alice):
    session, mother, father = course["session"], course["mother"], course["father"]

    register(session, alice, {mother.pk: (ATTENDED, ""), father.pk: (ATTENDED, "")})

    assert family_class_contacts(course["case1"]).count() == 1
    assert family_class_contacts(course["case2"]).count() == 1


def test_correcting_the_only_attendee_to_absent_takes_the_contact_back(course, alice):
    session, mother, father = course["session"], course["mother"], course["father"]
    case1, case2 = course["case1"], course["case2"]
    before = {case.pk: clock(case) for case in (case1, case2)}
    assert before[case1.pk][0] == tokyo(2026, 4, 2, 11, 0)  # the phone call
    assert before[case2.pk][0] is None  # never contacted: the clock runs from the case's opening

    register(session, alice, {mother.pk: (ATTENDED, ""), father.pk: (ABSENT, "")})
    assert clock(case1) == clock(case2) == (session.starts_at, session.starts_at)

    register(
        session, alice, {mother.pk: (ABSENT, "間違えて出席にしていた"), father.pk: (ABSENT, "")}
    )
    for case in (case1, case2):
        assert family_class_contacts(case).count() == 0
        assert clock(case) == before[case.pk]

    register(session, alice, {mother.pk: (ATTENDED, ""), father.pk: (ABSENT, "")})
    for case in (case1, case2):
        assert family_class_contacts(case).count() == 1
        assert clock(case) == (session.starts_at, session.starts_at)


def test_correcting_one_parent_keeps_the_contact_while_the_other_attended(course, alice):
    session, mother, father = course["session"], course["mother"], course["father"]

    register(session, alice, {mother.pk: (ATTENDED, ""), father.pk: (ATTENDED, "")})
    register(session, alice, {mother.pk: (EXCUSED, "体調不良"), father.pk: (ATTENDED, "")})

    assert family_class_contacts(course["case1"]).count() == 1  # the father came
    assert family_class_contacts(course["case2"]).count() == 0  # only the mother is hers
    assert clock(course["case1"])[0] == session.starts_at


def test_a_member_of_another_centre_cannot_be_enrolled(course, centre_b, charlie):
    other_case = make_case(centre_b, charlie)
    stranger = add_member(other_case, charlie)

    with pytest.raises(ValidationError):
        services.programme_enrol(programme=course["programme"], member=stranger, by=charlie)

    assert not Enrolment.objects.filter(member=stranger).exists()


def test_a_session_that_has_not_started_cannot_be_registered(course, alice):
    later = course["programme"].sessions.order_by("-starts_at").first()
    mother = course["mother"]

    with pytest.raises(ValidationError):
        register(later, alice, {mother.pk: (ATTENDED, "")}, at=course["session"].starts_at)

    assert not ProgrammeAttendance.objects.filter(session=later).exists()
    assert family_class_contacts(course["case2"]).count() == 0


def test_the_register_refuses_a_member_not_enrolled(course, alice):
    outsider = add_member(course["case2"], alice, relation="sibling", given="三郎", kana="さぶろう")

    with pytest.raises(ValidationError):
        register(course["session"], alice, {outsider.pk: (ATTENDED, "")})

    assert not ProgrammeAttendance.objects.exists()
