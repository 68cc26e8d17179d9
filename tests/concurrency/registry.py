"""Every form that edits an existing record, and how to test that two users editing it at once
never lose an update (issue 16, "Concurrency"): the second save is refused with a clear
message, the user's input kept, the first save untouched.

`EDIT_FORMS` holds one entry per edit view: how to make the record, who edits it, a valid
change A and a valid change B of one field. `NOT_EDIT_FORMS` names every other URL that
takes an object id, each with why it is not a field edit that could overwrite a colleague's.
`test_registry.py` walks the URLconf and the forms and fails on a view in neither, so a new
edit form can't land without its concurrency test."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import time_machine
from django import forms
from django.db.models import Model
from django.urls import reverse
from django.utils import timezone

from accounts.models import Centre, User
from cases import forms as case_forms
from cases import services as case_services
from cases.choices import DestinationKind
from cases.models import Case, CaseSensitiveInfo
from cases.views.legal_hold import LegalHoldForm
from families import services as family_services
from families.forms.household import ContingencyPlanForm, MemberEditForm
from families.forms.programmes import AttendanceRegisterForm, ProgrammeEditForm
from families.models import AttendanceStatus, ProgrammeAttendance
from outreach import services as outreach_services
from outreach.forms.community import ActivityForm
from outreach.forms.sessions import AttendanceForm, SessionEditForm
from outreach.forms.visits import ReportForm, VisitEditForm
from outreach.models import ActivityKind, HomeVisit, VisitOutcome
from tests.factories import make_case, make_member, make_visit

# The refusal, as each language says it (accounts.forms.STALE_EDIT, and the family
# programme register's own, which speaks of rows rather than a record).
STALE = {"ja": "他の人が更新しました", "en": "Someone else updated this record"}
REGISTER_STALE = {"ja": "他の人が保存しました", "en": "Someone else saved this attendance"}


@dataclass(frozen=True)
class World:
    """Centre A and its people (tests/conftest.py): alice counsellor, bob staff, mallory
    manager (who reads the app in English)."""

    centre: Centre
    alice: User
    bob: User
    mallory: User


@dataclass(frozen=True)
class Target:
    """One record made for the test: the row the edit changes, where its form is shown and
    where it posts, and the posted name of the field both users change."""

    record: Model
    url: str
    field: str
    page: str = ""  # where the form is shown, when not at `url` (a form on a detail page)
    versioned: Model | None = None  # the row with the version, when not `record`
    version_field: str | None = "version"  # posted name of the hidden version; None: no version

    @property
    def form_page(self) -> str:
        return self.page or self.url


@dataclass(frozen=True)
class EditForm:
    url_name: str
    form: type[forms.BaseForm]
    make: Callable[[World], Target]
    attribute: str  # the record's attribute the field writes
    change_a: str
    change_b: str
    editors: tuple[str, str] = ("alice", "mallory")  # the World's users: first, second
    message: dict[str, str] = field(default_factory=lambda: STALE)

    @property
    def id(self) -> str:
        return self.url_name


# --- the records -----------------------------------------------------------------------------


def _case(world: World) -> Case:
    return make_case(world.centre, world.alice, primary_counsellor=world.alice)


def case_target(world: World) -> Target:
    case = _case(world)
    return Target(case, reverse("cases:edit", args=[case.pk]), "municipality")


def sensitive_target(world: World) -> Target:
    case = _case(world)
    case_services.case_sensitive_update(
        case=case, by=world.alice, changes={"medical_status": "通院なし"}, expected_version=1
    )
    info = CaseSensitiveInfo.objects.get(case=case)
    return Target(info, reverse("cases:sensitive_edit", args=[case.pk]), "medical_status")


def plan_target(world: World) -> Target:
    case = _case(world)
    plan = case_services.plan_save(
        case=case,
        by=world.alice,
        fields={"goals": "週1回の外出", "review_on": timezone.localdate() + dt.timedelta(days=90)},
    )
    return Target(plan, reverse("cases:plan_edit", args=[case.pk, plan.pk]), "goals")


def referral_target(world: World) -> Target:
    case = _case(world)
    referral = case_services.referral_create(
        case=case,
        by=world.alice,
        fields={
            "destination_kind": DestinationKind.SAPOSTE,
            "destination_name": "地域若者サポートステーション",
            "referred_on": timezone.localdate(),
            "legal_basis": "支援会議",
        },
    )
    url = reverse("cases:referral_outcome", args=[case.pk, referral.pk])
    return Target(referral, url, "outcome")


def member_target(world: World) -> Target:
    case = _case(world)
    member = make_member(case, world.alice)
    url = reverse("families:member_edit", args=[case.pk, member.pk])
    prefix = f"edit-{member.pk}-"
    return Target(member, url, prefix + "given_name", version_field=prefix + "version")


def contingency_target(world: World) -> Target:
    case = _case(world)
    plan = family_services.contingency_plan_save(
        case=case, by=world.alice, fields={"who_to_call": "叔母（市内）"}
    )
    return Target(plan, reverse("families:contingency_edit", args=[case.pk]), "who_to_call")


def _course(world: World):  # type: ignore[no-untyped-def]
    """A weekly family class that started two weeks ago, one mother enrolled."""
    first = timezone.localtime().replace(minute=0, second=0, microsecond=0) - dt.timedelta(days=14)
    programme = family_services.programme_create(
        centre=world.centre,
        by=world.alice,
        fields={
            "kind": "craft",
            "title": "CRAFT",
            "starts_on": first.date(),
            "ends_on": first.date() + dt.timedelta(days=30),
        },
        facilitators=[world.alice],
        sessions=family_services.weekly_sessions(first_start=first, minutes=90, count=3),
    )
    member = make_member(_case(world), world.alice)
    family_services.programme_enrol(programme=programme, member=member, by=world.alice)
    return programme, member


def programme_target(world: World) -> Target:
    programme, _member = _course(world)
    return Target(programme, reverse("families:programme_edit", args=[programme.pk]), "title")


def register_target(world: World) -> Target:
    """The register has no version: each row carries what the page showed (`seen-…`), and a
    row saved by someone else since is refused (families.services.attendance_save)."""
    programme, member = _course(world)
    session = programme.sessions.order_by("starts_at").first()
    assert session is not None
    family_services.attendance_save(
        session=session, by=world.alice, marks={member.pk: (AttendanceStatus.ATTENDED, "")}
    )
    row = ProgrammeAttendance.objects.get(session=session, member=member)
    url = reverse("families:attendance_register", args=[session.pk])
    return Target(row, url, f"note-{member.pk}", version_field=None)


def _ibasho_session(world: World, days: int = 10):  # type: ignore[no-untyped-def]
    starts_at = timezone.make_aware(
        dt.datetime.combine(timezone.localdate() + dt.timedelta(days=days), dt.time(14))
    )
    return outreach_services.session_create(
        centre=world.centre,
        by=world.alice,
        fields={
            "place": "相談室",
            "starts_at": starts_at,
            "ends_at": starts_at + dt.timedelta(hours=2),
        },
        staff=[world.alice],
    )


def session_target(world: World) -> Target:
    session = _ibasho_session(world)
    return Target(session, reverse("outreach:session_edit", args=[session.pk]), "place")


def ibasho_attendance_target(world: World) -> Target:
    session = _ibasho_session(world, days=-3)  # attended: a session that took place
    attendance = outreach_services.check_in_case(
        session=session, case=_case(world), by=world.alice, at=session.starts_at
    )
    return Target(
        attendance,
        reverse("outreach:attendance_edit", args=[attendance.pk]),
        f"attendance-{attendance.pk}-note",
        page=reverse("outreach:session_detail", args=[session.pk]),
        version_field=f"attendance-{attendance.pk}-version",
    )


def visit_target(world: World) -> Target:
    visit = make_visit(_case(world), world.alice)
    return Target(visit, reverse("outreach:visit_edit", args=[visit.pk]), "purpose")


def visit_two_days_ago(world: World) -> HomeVisit:
    """A visit that was due two days ago (planned ten days ago with the notice it needs),
    both staff briefed; its outcome not recorded yet."""
    case = _case(world)
    with time_machine.travel(timezone.now() - dt.timedelta(days=10), tick=False):
        visit = make_visit(case, world.alice, status="briefed", days_ahead=8)
    visit.refresh_from_db()
    return visit


def visit_report_target(world: World) -> Target:
    """A visit that took place two days ago, its outcome recorded at the time of the visit,
    with a first report."""
    visit = visit_two_days_ago(world)
    with time_machine.travel(visit.starts_at + dt.timedelta(minutes=5), tick=False):
        outreach_services.visit_check_in(visit=visit, by=world.alice)
        outreach_services.visit_record_outcome(
            visit=visit, by=world.alice, outcome=VisitOutcome.MET_PERSON, report="玄関先で五分"
        )
    visit.refresh_from_db()
    return Target(
        visit,
        reverse("outreach:visit_report", args=[visit.pk]),
        "report-report",
        page=reverse("outreach:visit_detail", args=[visit.pk]),
        version_field="report-version",
    )


def community_target(world: World) -> Target:
    activity = outreach_services.community_activity_create(
        centre=world.centre,
        by=world.alice,
        fields={
            "kind": ActivityKind.LECTURE,
            "title": "ひきこもりを知る講演会",
            "held_on": timezone.localdate() - dt.timedelta(days=3),
            "place": "市民会館",
            "audience_kind": "residents",
            "audience_count": 40,
        },
        staff=[world.alice],
    )
    return Target(activity, reverse("outreach:community_edit", args=[activity.pk]), "place")


def legal_hold_target(world: World) -> Target:
    """A closed case on hold: two managers (here one in two tabs) change the hold's reason."""
    case = _case(world)
    case_services.case_change_status(
        case=case, by=world.alice, to_status="closed", closure_reason="moved"
    )
    case.refresh_from_db()
    case_services.case_legal_hold_set(
        case=case, by=world.mallory, hold=True, reason="照会", expected_version=case.version
    )
    return Target(case, reverse("cases:legal_hold", args=[case.pk]), "reason")


# --- the registry ------------------------------------------------------------------------------

EDIT_FORMS: list[EditForm] = [
    EditForm("cases:edit", case_forms.CaseForm, case_target, "municipality", "横浜市", "川崎市"),
    EditForm(
        "cases:sensitive_edit",
        case_forms.SensitiveInfoForm,
        sensitive_target,
        "medical_status",
        "月1回通院",
        "通院を中断",
    ),
    EditForm(
        "cases:plan_edit",
        case_forms.PlanForm,
        plan_target,
        "goals",
        "週2回の外出",
        "図書館に行く",
        editors=("mallory", "alice"),
    ),
    EditForm(
        "cases:referral_outcome",
        case_forms.ReferralOutcomeForm,
        referral_target,
        "outcome",
        "accepted",
        "declined",
    ),
    EditForm(
        "cases:legal_hold",
        LegalHoldForm,
        legal_hold_target,
        "legal_hold_reason",
        "訴訟の可能性",
        "行政機関からの照会",
        editors=("mallory", "mallory"),
    ),
    EditForm(
        "families:member_edit",
        MemberEditForm,
        member_target,
        "given_name",
        "花江",
        "華子",
        editors=("alice", "bob"),
    ),
    EditForm(
        "families:contingency_edit",
        ContingencyPlanForm,
        contingency_target,
        "who_to_call",
        "叔父（隣県）",
        "地域包括支援センター",
    ),
    EditForm(
        "families:programme_edit",
        ProgrammeEditForm,
        programme_target,
        "title",
        "CRAFT 春期",
        "家族教室",
        editors=("bob", "alice"),
    ),
    EditForm(
        "families:attendance_register",
        AttendanceRegisterForm,
        register_target,
        "note",
        "笑顔が多かった",
        "途中で退室",
        editors=("alice", "mallory"),
        message=REGISTER_STALE,
    ),
    EditForm(
        "outreach:session_edit",
        SessionEditForm,
        session_target,
        "place",
        "2階 多目的室",
        "体育館",
        editors=("alice", "bob"),
    ),
    EditForm(
        "outreach:attendance_edit",
        AttendanceForm,
        ibasho_attendance_target,
        "note",
        "初めて自分から話した",
        "早めに帰った",
        editors=("bob", "mallory"),
    ),
    EditForm(
        "outreach:visit_edit", VisitEditForm, visit_target, "purpose", "進路の相談", "母の体調確認"
    ),
    EditForm(
        "outreach:visit_report",
        ReportForm,
        visit_report_target,
        "report",
        "玄関先で十分、次回の約束",
        "会えず、手紙を投函",
        editors=("mallory", "alice"),
    ),
    EditForm(
        "outreach:community_edit",
        ActivityForm,
        community_target,
        "place",
        "公民館",
        "区民センター",
        editors=("bob", "alice"),
    ),
]

# --- every other URL with an object id, and why it is not an edit form -------------------------

READ = "shows a record or a list; changes nothing"
CREATE = "creates a new row (append-only): there is no earlier version to overwrite"
TRANSITION = (
    "a one-way state change checked under a row lock (select_for_update) against the state it "
    "requires: the second of two is refused by that check, never applied over the first"
)
IDEMPOTENT = "a toggle or mark that ends in the same state whoever does it first"
SEARCH = "a search or a choice posted only to keep a name out of the URL; writes nothing"
OWN = "the user's own row (session, device, token): nobody else edits it"

NOT_EDIT_FORMS: dict[str, str] = {
    # accounts: the user's own second factor and password (their own row only).
    "two_factor_link": OWN,
    "password_reset_confirm": OWN,
    # cases
    "cases:detail": READ,
    "cases:contacts": READ,
    "cases:audit": READ,
    "cases:contact_add": CREATE,
    "cases:assessment_add": CREATE,
    "cases:plan_new": CREATE,
    "cases:milestone_add": CREATE,
    "cases:consent_add": CREATE,
    "cases:referral_add": CREATE,
    "cases:sensitive_panel": READ,
    "cases:sensitive_shares": CREATE,  # lists the shares, and adds one
    "cases:sensitive_share_revoke": IDEMPOTENT,
    "cases:status": (
        "close/reopen/pause: case_change_status locks the case and refuses a change to the "
        "status it is already in (except pause, whose new date replaces the old: reported); "
        "the reason is a new history row, not an edit"
    ),
    "cases:milestone_achieve": IDEMPOTENT,
    "cases:consent_withdraw": IDEMPOTENT,
    "cases:referral_send": IDEMPOTENT,
    # reminders
    "reminders:mark_done": IDEMPOTENT,
    # families
    "families:member_add": CREATE,
    "families:member_search": SEARCH,
    "families:member_link": CREATE,
    "families:member_detail": READ,
    "families:member_unlink": TRANSITION,
    "families:member_contact_add": CREATE,
    "families:programme_detail": READ,
    "families:programme_member_search": SEARCH,
    "families:programme_enrol": CREATE,
    "families:session_add": CREATE,
    # outreach: the tablet at the door (each tap adds, ends or undoes one attendance)
    "outreach:checkin_session": READ,
    "outreach:checkin_room": READ,
    "outreach:checkin_search": SEARCH,
    "outreach:checkin_case": CREATE,
    "outreach:checkin_walk_in": CREATE,
    "outreach:checkin_out": TRANSITION,
    "outreach:checkin_undo": TRANSITION,
    # outreach: ibasho sessions, walk-ins
    "outreach:calendar": READ,
    "outreach:session_detail": READ,
    "outreach:session_cancel": TRANSITION,
    "outreach:attendance_delete": TRANSITION,
    "outreach:walk_in_detail": READ,
    "outreach:walk_in_case_search": SEARCH,
    "outreach:walk_in_choose_case": SEARCH,
    "outreach:walk_in_link": TRANSITION,
    "outreach:walk_in_unlink": TRANSITION,
    # outreach: home visits (the visit's own steps; its edit and report are EDIT_FORMS)
    "outreach:visit_new": CREATE,
    "outreach:visit_detail": READ,
    "outreach:visit_briefing": READ,
    "outreach:visit_acknowledge": IDEMPOTENT,
    "outreach:visit_announce": CREATE,
    "outreach:visit_confirm": TRANSITION,
    "outreach:visit_call_off": TRANSITION,
    "outreach:visit_override": CREATE,
    "outreach:visit_check_in": TRANSITION,
    "outreach:visit_check_out": TRANSITION,
    # Recording the outcome closes the visit (confirmed/in progress → done) under the row
    # lock; a second outcome is refused ("この訪問には結果を記録できません"), its text kept
    # on the page. Correcting the report afterwards is `visit_report`, an EDIT_FORM.
    "outreach:visit_outcome": TRANSITION,
    "outreach:visit_calendar_month": READ,
    "outreach:visit_calendar_week": READ,
    "outreach:calendar_feed_ics": READ,
    # outreach: community work
    "outreach:community_detail": READ,
    "outreach:community_case_add": CREATE,
    "outreach:community_case_remove": TRANSITION,
    # records: an import job moves through its steps under a claim; a mapping is deleted.
    "records:import_sample": READ,
    "records:import_job": READ,
    # The set-up of a dry run: whatever mapping was saved last is the one checked, and the
    # confirmation carries the fingerprint of the check the user saw (import_confirm refuses
    # another), so nothing is written from a mapping its confirmer did not see.
    "records:import_columns": "a dry run's set-up; confirming carries the checked fingerprint",
    "records:import_progress": READ,
    "records:import_confirm": TRANSITION,
    "records:import_recheck": TRANSITION,
    "records:import_cancel": TRANSITION,
    "records:import_issues_csv": READ,
    "records:import_mapping_delete": TRANSITION,
    "records:case_record": READ,
    "records:case_record_print": READ,
    # dashboards: handing a case over is a manager's action with a reason, not a field edit.
    "dashboards:case_reassign": TRANSITION,
    "dashboards:case_move": READ,
    "dashboards:case_move_to": TRANSITION,
}
