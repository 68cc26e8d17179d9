"""The demo ibasho for `manage.py seed_demo`: a weekly drop-in (Wednesdays and Saturdays) that
started eight weeks ago and runs eight weeks on, a session today so the door's check-in has
something to open, a few registered people who came (a regular, a newcomer, one who came
once), visitors known only by a nickname, and one of them linked to their case with consent.

Only a few open cases that are not silent come: attendance is contact, and the demo keeps its
silent cases silent.

And home visits in every state (`seed_demo_visits`), made through the visit services: those in
the past planned and announced as they would have been, then moved back in time together."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.db.models import F
from django.utils import timezone

from accounts.models import Centre, Role, User
from cases import services as case_services
from cases.choices import AgeBand, CaseStatus, ConsentScope, Gender
from cases.models import Case
from families.models import HouseholdLink
from outreach import services
from outreach.models import (
    ActivityKind,
    AnnouncementMethod,
    AnnouncementRecipient,
    AnnouncementResponse,
    AudienceKind,
    CommunityActivity,
    EmergencyGround,
    HomeVisit,
    IbashoAttendance,
    IbashoSeries,
    IbashoSession,
    NextStep,
    Organiser,
    SharingBasis,
    StaffBooking,
    VisitAnnouncement,
    VisitAssignment,
    VisitOutcome,
    VisitOverride,
    VisitRule,
    VisitStatus,
    WalkIn,
)

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


# --- home visits ------------------------------------------------------------------------------

HOUR = dt.timedelta(hours=1)
MINUTE = dt.timedelta(minutes=1)
# Where a visit that took place in the past is planned before it is moved back in time: an
# hour nothing else is booked at, left at once.
STAGING_HOUR = 6
PURPOSES = {
    "first": "ご本人にごあいさつし、これからの相談の進め方を一緒に考える",
    "again": "前回の訪問の続きとして、近況をうかがう",
    "family": "ご家族と一緒に、居場所「ひだまり」の案内をお渡しする",
    "letter": "お手紙へのお返事をうかがい、次にお会いする日を相談する",
    "welfare": "ご本人の安否を確認する（警察署からの依頼）",
}
REPORTS = {
    VisitOutcome.MET_PERSON: "居間で本人と20分ほど話せた。好きなゲームの話題では笑顔も見られた。"
    "次回も同じ曜日・時間帯を本人が希望。",
    VisitOutcome.THROUGH_DOOR: "本人は自室から出なかったが、ドア越しにあいさつを返してくれた。"
    "手紙を置いていくことを伝えて退出。",
    VisitOutcome.MET_FAMILY: "本人は自室に。母と玄関先で面談し、最近は夜に散歩していると聞いた。",
    VisitOutcome.REFUSED: "玄関先で本人から「今日は会いたくない」と。無理はせず、時期をおいて"
    "改めて打診することを母に伝えて退出。",
    VisitOutcome.LETTER_LEFT: "応答なし。居場所の案内と、次回の訪問予定を書いた手紙をポストに入れた。",
}


@transaction.atomic
def seed_demo_visits(*, centre: Centre) -> int:
    """Home visits in every state, all made through the services: planned (one whose
    announcement is due), announced, confirmed (one tomorrow that a colleague has not read the
    briefing of), a police welfare check a manager let through without notice, one postponed
    and one refused when announced; visits done with each outcome (one without its report
    yet), one missed; and one under way today whose check-out is overdue, so the watch alerts
    the managers. Visits that met someone are two-way contacts, so they go to cases in touch
    anyway: the demo's silent cases stay silent. Skipped when the centre has visits
    (idempotent). Returns the number of visits made."""
    if HomeVisit.objects.filter(centre=centre).exists():
        return 0
    counsellor, manager = _user(centre, Role.COUNSELLOR), _user(centre, Role.MANAGER)
    if counsellor is None or manager is None:
        return 0
    pair = [counsellor, _user(centre, Role.STAFF) or manager]
    cases = list(
        Case.objects.filter(centre=centre, status=CaseStatus.OPEN)
        .select_related("centre")
        .order_by("number")
    )
    recent = timezone.now() - RECENT_CONTACT
    in_touch = [
        c for c in cases if c.last_two_way_contact_at and c.last_two_way_contact_at >= recent
    ]
    if not in_touch:
        return 0
    others = [c for c in cases if c not in in_touch] or in_touch
    today = timezone.localdate()

    def day(offset: int, hour: int = 10, minute: int = 0) -> dt.datetime:
        return _at(today + dt.timedelta(days=offset), hour, minute)

    def touch(index: int) -> Case:
        return in_touch[index % len(in_touch)]

    def other(index: int) -> Case:
        return others[index % len(others)]

    def planned(case: Case, starts_at: dt.datetime, purpose: str) -> HomeVisit:
        return _visit_planned(case, by=counsellor, staff=pair, starts_at=starts_at, purpose=purpose)

    def back_then(
        case: Case, starts_at: dt.datetime, purpose: str, briefed: Sequence[User] = pair
    ) -> HomeVisit:
        return _confirmed_back_then(
            case, by=counsellor, staff=pair, starts_at=starts_at, purpose=purpose, briefed=briefed
        )

    # Ahead.
    planned(other(0), day(20), PURPOSES["first"])
    planned(other(1), day(8), PURPOSES["letter"])  # to announce now, or move
    _announced(
        planned(touch(0), day(10), PURPOSES["again"]),
        by=counsellor,
        response=AnnouncementResponse.NO_ANSWER,
        method=AnnouncementMethod.LETTER,
    )
    confirmed = _announced(
        planned(touch(1), day(12), PURPOSES["family"]),
        by=counsellor,
        response=AnnouncementResponse.AGREED,
    )
    for user in pair:
        services.briefing_acknowledge(visit=confirmed, by=user)
    back_then(touch(2), day(1), PURPOSES["again"], briefed=[counsellor])  # one still to read
    _announced(
        planned(touch(3), day(16), PURPOSES["again"]),
        by=counsellor,
        response=AnnouncementResponse.CHANGE_DATE,
        note="来週は通院があるため、別の週にしてほしいと本人から。",
    )
    _announced(
        planned(touch(4), day(18), PURPOSES["first"]),
        by=counsellor,
        response=AnnouncementResponse.REFUSED,
        method=AnnouncementMethod.VIA_FAMILY,
        next_step=NextStep.FAMILY_CONSULTATION,
        note="母を通じて打診。本人は「まだ会う気持ちになれない」とのこと。",
    )
    emergency = _visit_planned(
        other(2),
        by=manager,
        staff=pair,
        starts_at=day(1, 16, 30),
        purpose=PURPOSES["welfare"],
        overrides=[
            services.OverrideRequest(
                rule=VisitRule.NOTICE_PERIOD,
                ground=EmergencyGround.POLICE_WELFARE_CHECK,
                reason="警察署生活安全課から安否確認の依頼。近所の方から、数日姿が見えず"
                "雨戸も閉まったままとの通報があった。",
            )
        ],
    )
    services.visit_confirm(visit=emergency, by=manager)

    # Done, missed.
    done = [
        (touch(0), -35, VisitOutcome.MET_PERSON, 45),
        (touch(1), -28, VisitOutcome.THROUGH_DOOR, 20),
        (touch(2), -21, VisitOutcome.MET_FAMILY, 30),
        (other(3), -14, VisitOutcome.LETTER_LEFT, 10),
        (touch(3), -10, VisitOutcome.REFUSED, 5),
        (other(4), -3, VisitOutcome.NO_ANSWER, 10),  # its report still to write
    ]
    for case, offset, outcome, minutes in done:
        _took_place(
            back_then(case, day(offset), PURPOSES["again"]),
            by=counsellor,
            outcome=outcome,
            report=REPORTS.get(outcome, ""),
            next_step=NextStep.LATER_DATE if outcome == VisitOutcome.REFUSED else "",
            stay=dt.timedelta(minutes=minutes),
        )
    services.visit_call_off(
        visit=back_then(other(5), day(-7), PURPOSES["again"]),
        by=counsellor,
        status=VisitStatus.MISSED,
        reason="担当職員の急病のため訪問できず。家族に電話で連絡済み。",
    )

    # Under way since this morning (or last night), its check-out long overdue.
    grace = dt.timedelta(minutes=centre.safety_checkout_grace_minutes)
    starts_at = _free_hour(
        pair,
        ending_by=timezone.localtime() - grace - dt.timedelta(minutes=30),
        buffer=dt.timedelta(minutes=centre.visit_travel_buffer_minutes),
    )
    overdue = back_then(touch(0), starts_at, PURPOSES["again"])
    # Checked in when it started (hours ago: the service refuses a check-in that late, so
    # the demo writes the state a check-in then would have left, like its other time shifts).
    HomeVisit.objects.filter(pk=overdue.pk).update(
        status=VisitStatus.IN_PROGRESS,
        checked_in_at=starts_at + 4 * MINUTE,
        checked_in_by=counsellor,
        version=F("version") + 1,
    )
    return HomeVisit.objects.filter(centre=centre).count()


def _visit_planned(
    case: Case,
    *,
    by: User,
    staff: list[User],
    starts_at: dt.datetime,
    purpose: str,
    overrides: Sequence[services.OverrideRequest] = (),
) -> HomeVisit:
    return services.visit_plan(
        case=case,
        by=by,
        starts_at=starts_at,
        ends_at=starts_at + HOUR,
        purpose=purpose,
        staff=staff,
        overrides=overrides,
    )


def _announced(
    visit: HomeVisit,
    *,
    by: User,
    response: str,
    method: str = AnnouncementMethod.PHONE,
    note: str = "",
    next_step: str = "",
) -> HomeVisit:
    # Through the family: a household member who agreed to be contacted, if there is one.
    member_id = (
        HouseholdLink.objects.filter(case=visit.case, member__contact_consent=True)
        .values_list("member_id", flat=True)
        .first()
        if method == AnnouncementMethod.VIA_FAMILY
        else None
    )
    services.visit_announce(
        visit=visit,
        by=by,
        method=method,
        made_at=timezone.now(),
        recipient=AnnouncementRecipient.HOUSEHOLD if member_id else AnnouncementRecipient.PERSON,
        recipient_member_id=member_id,
        response=response,
        note=note,
        next_step=next_step,
    )
    visit.refresh_from_db()
    return visit


def _confirmed_back_then(
    case: Case,
    *,
    by: User,
    staff: list[User],
    starts_at: dt.datetime,
    purpose: str,
    briefed: Sequence[User],
) -> HomeVisit:
    """A visit agreed a week more than the notice period before `starts_at` (which may be past
    or near), and briefed: planned, announced and acknowledged today for as far ahead, then
    moved with all of it to `starts_at`."""
    lead = dt.timedelta(days=case.centre.visit_notice_days + 7)
    visit = _visit_planned(
        case,
        by=by,
        staff=staff,
        starts_at=_at(timezone.localdate() + lead, STAGING_HOUR),
        purpose=purpose,
    )
    _announced(visit, by=by, response=AnnouncementResponse.AGREED)
    for user in briefed:
        services.briefing_acknowledge(visit=visit, by=user)
    return visit_moved_in_time(visit, to=starts_at)


def visit_moved_in_time(visit: HomeVisit, *, to: dt.datetime) -> HomeVisit:
    """The demo's shift in time (like the demo cases' back-dated clocks), used by the browser
    tests too: the visit, its announcements, overrides and acknowledgements moved together,
    as if all of it had happened that much earlier or later. Its staff are booked again at
    the new time, checked for clashes."""
    delta = to - visit.starts_at
    HomeVisit.objects.filter(pk=visit.pk).update(
        starts_at=F("starts_at") + delta,
        ends_at=F("ends_at") + delta,
        created_at=F("created_at") + delta,
    )
    VisitAnnouncement.objects.filter(visit=visit).update(
        made_at=F("made_at") + delta,
        announced_start=F("announced_start") + delta,
        created_at=F("created_at") + delta,
    )
    VisitOverride.objects.filter(visit=visit).update(
        for_start=F("for_start") + delta, at=F("at") + delta
    )
    VisitAssignment.objects.filter(visit=visit, briefing_acknowledged_at__isnull=False).update(
        briefing_acknowledged_at=F("briefing_acknowledged_at") + delta
    )
    visit.refresh_from_db()
    services.visit_staff_book(visit=visit)
    return visit


def _took_place(
    visit: HomeVisit,
    *,
    by: User,
    outcome: str,
    report: str,
    next_step: str,
    stay: dt.timedelta,
) -> None:
    """Closed with its outcome (recorded afterwards, as a visit long past is: checking in
    days late is refused), then given the check-in and check-out times it had: the contact
    on the case's log is dated from the visit's start."""
    services.visit_record_outcome(
        visit=visit, by=by, outcome=outcome, report=report, next_step=next_step
    )
    arrived = visit.starts_at  # as the contact is dated
    HomeVisit.objects.filter(pk=visit.pk).update(
        checked_in_at=arrived,
        checked_in_by=by,
        checked_out_at=arrived + stay,
        checked_out_by=by,
    )
    if report:
        HomeVisit.objects.filter(pk=visit.pk).update(report_written_at=arrived + stay + 2 * HOUR)


def _free_hour(users: list[User], *, ending_by: dt.datetime, buffer: dt.timedelta) -> dt.datetime:
    """The start of the latest hour ending by `ending_by` in which none of `users` is on
    another duty (the demo runs at any hour, and today's ibasho room is open around now)."""
    end = ending_by.replace(minute=ending_by.minute // 10 * 10, second=0, microsecond=0)
    for _attempt in range(48):
        during = DateTimeTZRange(end - HOUR - buffer, end + buffer, "[)")
        if not StaffBooking.objects.filter(user__in=users, during__overlap=during).exists():
            break
        end -= HOUR
    return end - HOUR


# --- community work ---------------------------------------------------------------------------


@transaction.atomic
def seed_demo_community(*, centre: Centre) -> int:
    """Community work of this month and the last: a lecture for residents last month, a
    training for teachers and a network meeting this month, and a support conference
    (支援会議 under 生活困窮者自立支援法) this month that discussed two of the centre's open
    cases (their timelines show it). Skipped when the centre already has community work
    (idempotent). Returns the number of activities recorded."""
    if CommunityActivity.objects.filter(centre=centre).exists():
        return 0
    counsellor = _user(centre, Role.COUNSELLOR)
    if counsellor is None:
        return 0
    staff = _user(centre, Role.STAFF)
    manager = _user(centre, Role.MANAGER)
    team = [user for user in (counsellor, staff) if user is not None]
    today = timezone.localdate()
    this_month = today.replace(day=1)
    last_month = (this_month - dt.timedelta(days=1)).replace(day=15)
    # Days already past this month (today itself on the first of a month).
    earlier = max(this_month, today - dt.timedelta(days=3))
    yesterday = max(this_month, today - dt.timedelta(days=1))

    def record(day: dt.date, start: int, end: int, people: list[User], **fields: object) -> Any:
        return services.community_activity_create(
            centre=centre,
            by=counsellor,
            fields={
                "held_on": day,
                "starts_at": _at(day, start),
                "ends_at": _at(day, end),
                **fields,
            },
            staff=people,
        )

    record(
        last_month,
        14,
        16,
        team,
        kind=ActivityKind.LECTURE,
        title="ひきこもりを知る講演会「家族にできること」",
        place="みなと市民会館 2階ホール",
        organiser=Organiser.CENTRE,
        audience_kind=AudienceKind.RESIDENTS,
        audience_count=48,
        notes="アンケート回収 41枚。個別相談の希望 3件（後日電話）。",
    )
    record(
        earlier,
        15,
        17,
        [counsellor],
        kind=ActivityKind.TRAINING,
        title="教職員向け研修「不登校からひきこもりへのつなぎ目」",
        place="市教育センター 研修室",
        organiser=Organiser.CO_HOSTED,
        organiser_name="みなと市教育委員会",
        audience_kind=AudienceKind.TEACHERS,
        audience_count=26,
    )
    record(
        earlier,
        10,
        12,
        [user for user in (manager or counsellor,) if user is not None],
        kind=ActivityKind.NETWORK_MEETING,
        title="ひきこもり支援ネットワーク連絡協議会",
        place="市役所 会議室3",
        organiser=Organiser.OUTSIDE,
        organiser_name="みなと市福祉部",
        audience_kind=AudienceKind.AGENCY_STAFF,
        audience_count=18,
    )
    meeting = record(
        yesterday,
        13,
        14,
        [counsellor],
        kind=ActivityKind.SUPPORT_MEETING,
        title="支援会議（生活困窮者自立支援）",
        place="自立相談支援機関 相談室",
        organiser=Organiser.OUTSIDE,
        organiser_name="みなと市自立相談支援センター",
        audience_kind=AudienceKind.AGENCY_STAFF,
        audience_count=7,
        sharing_basis=SharingBasis.POVERTY_ACT,
    )
    discussed = Case.objects.filter(centre=centre, status=CaseStatus.OPEN).order_by("number")[:2]
    for case in discussed:
        services.community_case_link(activity=meeting, case=case, by=counsellor)
    return 4
