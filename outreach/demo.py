"""The demo ibasho for `manage.py seed_demo`: a weekly drop-in (Wednesdays and Saturdays) that
started eight weeks ago and runs eight weeks on, a session today so the door's check-in has
something to open, a few registered people who came (a regular, a newcomer, one who came
once), visitors known only by a nickname, and one of them linked to their case with consent.

Only a few open cases that are not silent come: attendance is contact, and the demo keeps its
silent cases silent."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from accounts.models import Centre, Role, User
from cases import services as case_services
from cases.choices import AgeBand, CaseStatus, ConsentScope, Gender
from cases.models import Case
from outreach import services
from outreach.models import IbashoAttendance, IbashoSeries, IbashoSession, WalkIn

PLACE = "センター1階 フリースペース"
WEEKS = 8
# Cases whose last two-way contact is this recent stay far from silence when they also come.
RECENT_CONTACT = dt.timedelta(days=25)


def _user(centre: Centre, role: str) -> User | None:
    return User.objects.filter(centres=centre, role=role).order_by("id").first()


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


@transaction.atomic
def seed_demo_ibasho(*, centre: Centre) -> int:
    """The series, today's session, attendance and walk-ins. Skipped when the centre already
    has a series (idempotent). Returns the number of visits recorded."""
    if IbashoSeries.objects.filter(centre=centre).exists():
        return 0
    counsellor = _user(centre, Role.COUNSELLOR)
    if counsellor is None:
        return 0
    staff = _user(centre, Role.STAFF)
    team = [user for user in (staff, counsellor) if user is not None]
    by = staff or counsellor
    today = timezone.localdate()
    series = services.series_create(
        centre=centre,
        by=counsellor,
        fields={
            "title": "居場所「ひだまり」",
            "place": PLACE,
            "weekdays": [3, 6],  # Wednesday and Saturday
            "every_weeks": 1,
            "starts_on": today - dt.timedelta(weeks=WEEKS),
            "ends_on": today + dt.timedelta(weeks=WEEKS),
            "start_time": dt.time(14, 0),
            "end_time": dt.time(16, 0),
            "capacity": 12,
        },
        staff=team,
    )
    _ensure_session_today(centre=centre, by=counsellor, staff=team, today=today)
    past = list(
        IbashoSession.objects.filter(series=series, ends_at__lt=timezone.now()).order_by(
            "starts_at"
        )
    )
    if len(past) < 8:
        return 0
    visits = _seed_named_attendance(centre=centre, by=by, past=past)
    visits += _seed_walk_ins(centre=centre, by=by, counsellor=counsellor, past=past)
    return visits


def _ensure_session_today(
    *, centre: Centre, by: User, staff: list[User], today: dt.date
) -> IbashoSession:
    """The series' session today, or a one-off open room today around the current time."""
    start_of_day = _at(today, 0)
    existing = IbashoSession.objects.filter(
        centre=centre,
        starts_at__gte=start_of_day,
        starts_at__lt=start_of_day + dt.timedelta(days=1),
        cancelled_at__isnull=True,
    ).first()
    if existing is not None:
        return existing
    now = timezone.localtime()
    starts_at, ends_at = _at(today, 13), _at(today, 17)
    if not starts_at <= now < ends_at:  # the demo is shown at any hour: an open room now
        starts_at = max(start_of_day, now.replace(minute=0, second=0, microsecond=0))
        ends_at = min(starts_at + dt.timedelta(hours=4), _at(today, 23, 59))
    return services.session_create(
        centre=centre,
        by=by,
        fields={
            "place": PLACE,
            "starts_at": starts_at,
            "ends_at": ends_at,
            "theme": "臨時開室（フリースペース）",
            "capacity": 12,
        },
        staff=staff,
    )


def _visit(
    attendance: IbashoAttendance, *, by: User, stay: dt.timedelta, **milestones: bool
) -> None:
    """Check out after `stay` (within the session) and tick the milestones seen."""
    left_at = min(attendance.arrived_at + stay, attendance.session.ends_at)
    attendance = services.check_out(attendance=attendance, by=by, at=left_at)
    ticked = {name: True for name, seen in milestones.items() if seen}
    if ticked:
        services.attendance_correct(
            attendance=attendance, by=by, changes=ticked, expected_version=attendance.version
        )


def _seed_named_attendance(*, centre: Centre, by: User, past: Sequence[IbashoSession]) -> int:
    """A regular who comes most weeks, a newcomer of the last fortnight, one who came once."""
    cases = list(
        Case.objects.filter(
            centre=centre,
            status=CaseStatus.OPEN,
            last_two_way_contact_at__gte=timezone.now() - RECENT_CONTACT,
        )
        .select_related("centre")
        .order_by("number")[:3]
    )
    visits = 0
    for role, case in zip(("regular", "newcomer", "once"), cases, strict=False):
        if role == "regular":
            sessions = [s for i, s in enumerate(past) if i >= 2 and i % 4 != 3]
        elif role == "newcomer":
            sessions = list(past[-3:])
        else:
            sessions = [past[4]]
        for number, session in enumerate(sessions):
            attendance = services.check_in_case(
                session=session,
                case=case,
                by=by,
                at=session.starts_at + dt.timedelta(minutes=5 + (number * 7) % 25),
            )
            _visit(
                attendance,
                by=by,
                stay=dt.timedelta(minutes=40 + (number * 13) % 90),
                # The regular, after a few weeks, talks with others and joins in.
                talked_with_others=role == "regular" and number >= 3,
                joined_activity=role == "regular" and number >= 3 and number % 2 == 0,
            )
            visits += 1
    return visits


def _walk_in_visits(
    *,
    by: User,
    sessions: Sequence[IbashoSession],
    nickname: str,
    age_band: str,
    gender: str,
    stay: dt.timedelta,
) -> WalkIn:
    walk_in: WalkIn | None = None
    for number, session in enumerate(sessions):
        attendance = services.check_in_walk_in(
            session=session,
            by=by,
            client_key=uuid.uuid4(),
            walk_in=walk_in,
            nickname=nickname,
            fields={"age_band": age_band, "gender": gender},
            at=session.starts_at + dt.timedelta(minutes=10 + number * 5),
        )
        walk_in = attendance.walk_in
        _visit(attendance, by=by, stay=stay)
    assert walk_in is not None
    return walk_in


def _seed_walk_ins(
    *, centre: Centre, by: User, counsellor: User, past: Sequence[IbashoSession]
) -> int:
    """「ゆう」 comes often, 「くま」 came once, 「みー」 twice; 「そら」 turned out to be a
    registered person, who agreed to the visits being kept on their case."""
    _walk_in_visits(
        by=by,
        sessions=[past[-8], past[-6], past[-3], past[-1]],
        nickname="ゆう",
        age_band=AgeBand.TWENTIES,
        gender=Gender.MALE,
        stay=dt.timedelta(minutes=90),
    )
    _walk_in_visits(
        by=by,
        sessions=[past[-2]],
        nickname="くま",
        age_band=AgeBand.THIRTIES,
        gender=Gender.UNANSWERED,
        stay=dt.timedelta(minutes=25),
    )
    _walk_in_visits(
        by=by,
        sessions=[past[-5], past[-2]],
        nickname="みー",
        age_band=AgeBand.UNDER_20,
        gender=Gender.FEMALE,
        stay=dt.timedelta(minutes=60),
    )
    visits = 4 + 1 + 2
    sora = _walk_in_visits(
        by=by,
        sessions=[past[-7], past[-5], past[-4]],
        nickname="そら",
        age_band=AgeBand.TWENTIES,
        gender=Gender.UNANSWERED,
        stay=dt.timedelta(minutes=50),
    )
    visits += 3
    case = (
        Case.objects.filter(
            centre=centre,
            status=CaseStatus.OPEN,
            last_two_way_contact_at__gte=timezone.now() - RECENT_CONTACT,
            ibasho_attendances__isnull=True,
        )
        .select_related("centre")
        .order_by("number")
        .first()
    )
    if case is not None:
        consent = case_services.consent_record(
            case=case,
            by=counsellor,
            fields={
                "scope": ConsentScope.IBASHO_RECORD,
                "given_by": "本人",
                "given_on": timezone.localdate() - dt.timedelta(days=2),
            },
        )
        services.walk_in_link(walk_in=sora, case=case, consent=consent, by=counsellor)
    return visits
