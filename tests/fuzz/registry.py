"""Every form a user posts, and how to post it: the page that shows it (read for the values a
browser would send back, the optimistic-lock `version` among them), the URL it posts to, who
posts, and which fields the fuzz replaces with hostile values. `test_registry` fails when a
form class of the project has no entry here, so a new form is fuzzed from its first day."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse

from tests.fuzz.world import World

Url = Callable[[World], str]


@dataclass(frozen=True)
class Entry:
    form: str  # dotted path of the form class
    post_to: Url
    user: str = "alice"
    page: Url | None = None  # where the form is shown; the URL it posts to when not given
    prefix: str = ""
    method: str = "post"  # "get" for the search and period forms read from the query string
    # Fields to fuzz (without prefix); every field of the form class when not given. A field
    # the form adds at run time (one per row of a register) is named here with its kind.
    fields: tuple[str, ...] | None = None
    dynamic: Callable[[World], dict[str, str]] | None = None
    skip: tuple[str, ...] = ("version",)  # never fuzzed: posted as the page gave it
    base: Callable[[World], dict[str, object]] | None = None  # values the page can't give
    shown_on: tuple[Url, ...] = ()  # pages that show what the form stores
    # False for a form its page shows only in another state of the record (a visit's outcome
    # before the visit): the fuzz posts it all the same, its values from `base`.
    on_page: bool = True


def u(name: str, *attrs: str) -> Url:
    """The URL `name` with the world's objects' ids as its arguments, e.g.
    u("cases:plan_edit", "case", "plan")."""

    def build(world: World) -> str:
        return reverse(name, args=[getattr(world, attr).pk for attr in attrs])

    return build


CASE = u("cases:detail", "case")
CASE_LIST: Url = lambda w: reverse("cases:list")  # noqa: E731
HOUSEHOLD = u("families:member_detail", "case", "member")
VISIT = u("outreach:visit_detail", "visit")
SESSION = u("outreach:session_detail", "ibasho_session")
PROGRAMME = u("families:programme_detail", "programme")
ACTIVITY = u("outreach:community_detail", "activity")
CHECKIN = u("outreach:checkin_session", "ibasho_session")
WALK_IN = u("outreach:walk_in_detail", "walk_in")
MY_DAY: Url = lambda w: reverse("dashboards:my_day")  # noqa: E731


def _intake_base(world: World) -> dict[str, object]:
    from django.utils import timezone

    return {
        "case-first_contact_by": "family",
        "case-age_band": "unknown",
        "case-gender": "unanswered",
        "case-person_aware": "unknown",
        "case-centre": world.centre.pk,
        "contact-occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "contact-duration_minutes": "10",
        "contact-channel": "phone",
        "contact-counterpart": "family",
        "contact-two_way": "on",
    }


# What a person fills in where the page leaves a required field empty, so that examples with
# one hostile field are saved and what they stored is looked for where it is shown.
def _now(days: int = 0, hour: int | None = None) -> str:
    import datetime as dt

    from django.utils import timezone

    moment = timezone.localtime() + dt.timedelta(days=days)
    if hour is not None:
        moment = moment.replace(hour=hour, minute=0)
    return moment.strftime("%Y-%m-%dT%H:%M")


def _contact(world: World) -> dict[str, object]:
    return {
        "occurred_at": _now(),
        "duration_minutes": "10",
        "channel": "phone",
        "counterpart": "person",
        "two_way": "on",
        "note": "電話で近況",
    }


def _member(world: World) -> dict[str, object]:
    values = {
        "relation": "mother",
        "lives_with_person": "on",
        "person_aware": "unknown",
        "family_name": "佐藤",
        "given_name": "とし子",
        "family_name_kana": "さとう",
        "given_name_kana": "としこ",
        "contact_consent": "on",
        "status": "active",
    }
    return {f"member-{name}": value for name, value in values.items()}


def _consent(world: World) -> dict[str, object]:
    return {"scope": "share_agency", "given_by": "本人", "given_on": _now()[:10]}


def _referral(world: World) -> dict[str, object]:
    return {
        "destination_kind": "saposte",
        "destination_name": "サポステ",
        "referred_on": _now()[:10],
        "consent": world.consent.pk,
        "legal_basis": "consent",
        "shared_information": "支援の経過",
    }


def _programme(world: World) -> dict[str, object]:
    return {
        "kind": "multi_family",
        "title": "家族教室",
        "starts_on": _now(7)[:10],
        "ends_on": _now(90)[:10],
        "capacity": "20",
        "first_start": _now(8, 14),
        "minutes": "120",
        "weeks": "4",
        "place": "相談室",
    }


def _programme_session(world: World) -> dict[str, object]:
    return {"starts_at": _now(9, 14), "place": "2階", "theme": "話し合い", "minutes": "90"}


def _ibasho_session(world: World) -> dict[str, object]:
    return {
        "place": "相談室",
        "starts_at": _now(3, 14),
        "ends_at": _now(3, 16),
        "staff": [world.users["alice"].pk],
    }


def _visit_plan(world: World) -> dict[str, object]:
    return {
        "ends_at": "11:00",
        "purpose": "近況をうかがう",
        "staff": [world.users["alice"].pk, world.users["dave"].pk],
    }


def _activity(world: World) -> dict[str, object]:
    return {
        "kind": "lecture",
        "title": "講演会",
        "held_on": _now()[:10],
        "starts_at": "14:00",
        "ends_at": "16:00",
        "place": "市民会館",
        "organiser": "centre",
        "audience_kind": "residents",
        "audience_count": "45",
    }


def _assessment(world: World) -> str:
    from cases.instruments import HQ25

    url = reverse("cases:assessment_add", args=[world.case.pk])
    return f"{url}?instrument={HQ25.code}:{HQ25.version}"


def _hq25(world: World) -> dict[str, str]:
    from cases.instruments import HQ25

    return {f"item_{n}": "number" for n in range(1, HQ25.item_count + 1)}


def _register(world: World) -> dict[str, str]:
    pk = world.member.pk
    return {f"status-{pk}": "choice", f"note-{pk}": "text"}


def _columns(world: World) -> dict[str, str]:
    return {f"column_{i}": "choice" for i in range(len(world.import_job.columns) or 1)}


ENTRIES: tuple[Entry, ...] = (
    # --- accounts --------------------------------------------------------------------------
    Entry("accounts.forms.PreferencesForm", lambda w: reverse("preferences")),
    Entry(
        "accounts.forms.OneTimeCodeForm",
        lambda w: reverse("two_factor_verify"),
        user="mallory-unverified",
    ),
    Entry("accounts.forms.ReenrolForm", lambda w: reverse("two_factor_setup"), user="mallory"),
    # --- cases -----------------------------------------------------------------------------
    Entry(
        "cases.forms.IntakeCaseForm",
        lambda w: reverse("cases:intake"),
        prefix="case",
        base=_intake_base,
        shown_on=(CASE_LIST,),
    ),
    Entry(
        "families.forms.household.IntakeCallerForm",
        lambda w: reverse("cases:intake"),
        prefix="caller",
        base=_intake_base,
    ),
    Entry(
        "cases.forms.ContactForm",
        lambda w: reverse("cases:intake"),
        prefix="contact",
        base=_intake_base,
    ),
    Entry(
        "cases.forms.ContactForm",
        u("cases:contact_add", "case"),
        page=CASE,
        base=_contact,
        shown_on=(CASE,),
    ),
    Entry("cases.forms.CaseForm", u("cases:edit", "case"), shown_on=(CASE, CASE_LIST, MY_DAY)),
    Entry("cases.forms.SensitiveInfoForm", u("cases:sensitive_edit", "case"), shown_on=(CASE,)),
    Entry("cases.forms.StatusForm", u("cases:status", "case"), shown_on=(CASE,)),
    Entry("cases.forms.AssessmentForm", _assessment, dynamic=_hq25, shown_on=(CASE,)),
    Entry("cases.forms.PlanForm", u("cases:plan_edit", "case", "plan"), shown_on=(CASE,)),
    Entry("cases.forms.MilestoneForm", u("cases:milestone_add", "case", "plan"), shown_on=(CASE,)),
    Entry(
        "cases.forms.ConsentForm", u("cases:consent_add", "case"), base=_consent, shown_on=(CASE,)
    ),
    Entry(
        "cases.forms.ReferralForm",
        u("cases:referral_add", "case"),
        base=_referral,
        shown_on=(CASE,),
    ),
    Entry(
        "cases.forms.ReferralOutcomeForm",
        u("cases:referral_outcome", "case", "referral"),
        shown_on=(CASE,),
    ),
    Entry(
        "cases.forms.SensitiveShareForm",
        u("cases:sensitive_shares", "case"),
        user="mallory",
        shown_on=(u("cases:sensitive_shares", "case"),),
    ),
    Entry(
        "cases.forms.BreakGlassForm",
        lambda w: reverse("cases:break_glass"),
        user="mallory",
        base=lambda w: {"centre": w.other_centre.pk, "case_number": "S-0001", "reason": "緊急"},
    ),
    Entry("cases.views.legal_hold.LegalHoldForm", u("cases:legal_hold", "case"), user="mallory"),
    # --- families --------------------------------------------------------------------------
    Entry(
        "families.forms.household.MemberForm",
        u("families:member_add", "case"),
        prefix="member",
        base=_member,
        shown_on=(CASE,),
    ),
    Entry(
        "families.forms.household.MemberEditForm",
        u("families:member_edit", "case", "member"),
        prefix="edit-{member}",
        shown_on=(CASE, HOUSEHOLD),
    ),
    Entry(
        "families.forms.household.MemberSearchForm", u("families:member_search", "case"), page=CASE
    ),
    Entry(
        "families.forms.household.LinkExistingForm",
        u("families:member_link", "case"),
        on_page=False,  # shown with the search results only
        base=lambda w: {
            "member": w.other_member.pk,
            "relation": "mother",
            "person_aware": "unknown",
        },
        shown_on=(CASE,),
    ),
    Entry(
        "families.forms.household.MemberContactForm",
        u("families:member_contact_add", "case"),
        base=lambda w: {**_contact(w), "member": w.member.pk, "counterpart": ""},
        shown_on=(CASE, HOUSEHOLD),
    ),
    Entry(
        "families.forms.household.ContingencyPlanForm",
        u("families:contingency_edit", "case"),
        shown_on=(CASE,),
    ),
    Entry(
        "families.forms.programmes.ProgrammeForm",
        lambda w: reverse("families:programme_create"),
        base=_programme,
        shown_on=(lambda w: reverse("families:programme_list"),),
    ),
    Entry(
        "families.forms.programmes.ProgrammeEditForm",
        u("families:programme_edit", "programme"),
        shown_on=(PROGRAMME,),
    ),
    Entry(
        "families.forms.programmes.MemberSearchForm",
        u("families:programme_member_search", "programme"),
        page=PROGRAMME,
    ),
    Entry(
        "families.forms.programmes.SessionForm",
        u("families:session_add", "programme"),
        page=PROGRAMME,
        base=_programme_session,
        shown_on=(PROGRAMME,),
    ),
    Entry(
        "families.forms.programmes.AttendanceRegisterForm",
        u("families:attendance_register", "programme_session"),
        fields=(),
        dynamic=_register,
        shown_on=(PROGRAMME,),
    ),
    # --- outreach: ibasho ------------------------------------------------------------------
    Entry(
        "outreach.forms.sessions.SessionForm",
        lambda w: reverse("outreach:session_new"),
        base=_ibasho_session,
        shown_on=(lambda w: reverse("outreach:session_list"),),
    ),
    Entry("outreach.forms.sessions.SeriesForm", lambda w: reverse("outreach:series_new")),
    Entry(
        "outreach.forms.sessions.SessionEditForm",
        u("outreach:session_edit", "ibasho_session"),
        shown_on=(SESSION,),
    ),
    Entry(
        "outreach.forms.sessions.SessionCancelForm",
        u("outreach:session_cancel", "ibasho_session"),
        shown_on=(SESSION,),
    ),
    Entry(
        "outreach.forms.sessions.AttendanceForm",
        u("outreach:attendance_edit", "attendance"),
        page=SESSION,
        prefix="attendance-{attendance}",
        shown_on=(SESSION,),
    ),
    Entry(
        "outreach.forms.checkin.CheckinSearchForm",
        u("outreach:checkin_search", "ibasho_session"),
        page=CHECKIN,
    ),
    Entry(
        "outreach.forms.checkin.WalkInCheckinForm",
        u("outreach:checkin_walk_in", "ibasho_session"),
        page=CHECKIN,
        shown_on=(CHECKIN,),
    ),
    Entry(
        "outreach.forms.checkin.EarlierWalkInForm",
        u("outreach:checkin_walk_in", "ibasho_session"),
        page=CHECKIN,
        base=lambda w: {"walk_in": w.walk_in.pk},
    ),
    Entry(
        "outreach.forms.walk_ins.CaseSearchForm",
        u("outreach:walk_in_case_search", "walk_in"),
        page=WALK_IN,
    ),
    Entry(
        "outreach.forms.walk_ins.LinkForm",
        u("outreach:walk_in_link", "walk_in"),
        page=WALK_IN,
        on_page=False,  # shown once a case is chosen (a POST)
        base=lambda w: {"case": w.case.pk, "consent": w.ibasho_consent.pk, "given_by": "本人"},
        shown_on=(WALK_IN, CASE),
    ),
    # --- outreach: visits and community work ----------------------------------------------
    Entry(
        "outreach.forms.visits.VisitPlanForm",
        u("outreach:visit_new", "case"),
        base=_visit_plan,
        shown_on=(CASE,),
    ),
    Entry(
        "outreach.forms.visits.VisitEditForm", u("outreach:visit_edit", "visit"), shown_on=(VISIT,)
    ),
    Entry(
        "outreach.forms.visits.AnnounceForm",
        prefix="announce",
        post_to=u("outreach:visit_announce", "visit"),
        page=VISIT,
        shown_on=(VISIT,),
    ),
    Entry(
        "outreach.forms.visits.CallOffForm",
        prefix="calloff",
        post_to=u("outreach:visit_call_off", "visit"),
        on_page=False,
        base=lambda w: {"calloff-status": "cancelled", "calloff-reason": "体調不良"},
        shown_on=(VISIT,),
    ),
    Entry(
        "outreach.forms.visits.OverrideForm",
        prefix="override",
        post_to=u("outreach:visit_override", "visit"),
        page=VISIT,
        user="mallory",
        on_page=False,
        base=lambda w: {
            "override-override_rule": "notice_period",
            "override-override_ground": "emergency",
            "override-override_reason": "緊急",
        },
        shown_on=(VISIT,),
    ),
    Entry(
        "outreach.forms.visits.OutcomeForm",
        prefix="outcome",
        post_to=u("outreach:visit_outcome", "visit"),
        on_page=False,
        base=lambda w: {
            "outcome-outcome": "met",
            "outcome-report": "会えた",
            "outcome-next_step": "none",
        },
        shown_on=(VISIT,),
    ),
    Entry(
        "outreach.forms.visits.ReportForm",
        prefix="report",
        post_to=u("outreach:visit_report", "visit"),
        on_page=False,
        base=lambda w: {"report-version": w.visit.version, "report-report": "報告"},
        shown_on=(VISIT,),
    ),
    Entry(
        "outreach.forms.community.ActivityForm",
        lambda w: reverse("outreach:community_new"),
        base=_activity,
        shown_on=(lambda w: reverse("outreach:community_list"),),
    ),
    Entry(
        "outreach.forms.community.ActivityForm",
        u("outreach:community_edit", "activity"),
        shown_on=(ACTIVITY,),
    ),
    Entry(
        "outreach.forms.community.ActivityPeriodForm",
        lambda w: reverse("outreach:community_list"),
        method="get",
    ),
    Entry(
        "outreach.forms.community.CaseNumberForm",
        u("outreach:community_case_add", "activity"),
        page=ACTIVITY,
        on_page=False,  # a lecture discusses no case: its page offers no case number box
    ),
    # --- records ---------------------------------------------------------------------------
    Entry(
        "records.forms.case_record.CaseRecordForm", u("records:case_record", "case"), method="get"
    ),
    Entry("records.forms.export.ExportForm", lambda w: reverse("records:export"), user="mallory"),
    Entry(
        "records.forms.imports.UploadForm", lambda w: reverse("records:import_home"), user="mallory"
    ),
    Entry(
        "records.forms.imports.ReadAsForm",
        u("records:import_columns", "import_job"),
        user="mallory",
        base=lambda w: {"reread": "1"},
    ),
    Entry(
        "records.forms.imports.ColumnsForm",
        u("records:import_columns", "import_job"),
        user="mallory",
        dynamic=_columns,
        base=lambda w: {"check": "1"},
    ),
    Entry(
        "records.forms.imports.ConfirmForm",
        u("records:import_confirm", "import_job"),
        page=u("records:import_job", "import_job"),
        user="mallory",
        on_page=False,  # offered once the dry run is done; posted before it all the same
        base=lambda w: {"file_hash": w.import_job.file_hash, "fingerprint": "x"},
    ),
    # --- dashboards ------------------------------------------------------------------------
    Entry(
        "dashboards.forms.statistics.StatisticsForm",
        lambda w: reverse("dashboards:statistics"),
        user="mallory",
        method="get",
    ),
    Entry(
        "dashboards.forms.transfers.CaseloadTransferForm",
        lambda w: reverse("dashboards:caseload_transfer"),
        user="mallory",
    ),
    Entry(
        "dashboards.forms.transfers.ReassignForm",
        u("dashboards:case_reassign", "case"),
        user="mallory",
    ),
    Entry(
        "dashboards.forms.transfers.MoveForm",
        u("dashboards:case_move_to", "case", "other_centre"),
        user="mallory",
    ),
)

# Form classes no view posts as such: a base class other forms extend.
NOT_POSTED = {
    "accounts.admin._NoOverwriteForm": (
        "mixin of the admin's centre and account change forms (Django's admin posts them: "
        "tests/accounts/test_admin_no_overwrite.py)"
    ),
    "cases.forms.CaseModelForm": "base of CaseForm and IntakeCaseForm",
    "cases.forms.VersionedForm": "mixin that adds the hidden `version` field to edit forms",
    "dashboards.forms.transfers._OnePersonForm": "base of ReassignForm and MoveForm",
}
