"""Who may open which address: one entry per URL name of the project, read by the generated
authorisation test (tests/security/test_authorisation_matrix.py).

An entry never says "a counsellor gets 200": it says which action of `accounts.access.PERMISSIONS`
the view requires, which kind of object each URL keyword (or query parameter) names, which
HTTP methods the view accepts and what it answers when it does what it is for. The status a
given user should get is then worked out here from `access.can()` and the centres the user may
see (`access.centre_ids`), so when a permission changes in access.py the expectations follow.
Where more than the role decides (the visit's assignee, the notification's recipient), the
entry names a predicate over the objects.

The order the views decide in, which `expected_status` mirrors:
    anonymous → the login page (a public page answers as it would anyone);
    a method the view does not accept → 405;
    an object of a centre the user may not see → 404 (never 403: that would confirm it exists);
    the role → 403; the predicate → its own refusal (403, or 404 for another user's things);
    then the entry's success status for the method.

Django's admin (admin/…) is one entry for the whole site: it is django.contrib.admin, reached
only by `is_staff` accounts (none of the centres' roles), and has its own permission system.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django_otp import user_has_device

from accounts import access
from accounts.models import Role, User

GET, POST = "GET", "POST"
BOTH = (GET, POST)


class Kind(StrEnum):
    PUBLIC = "public"  # anyone, signed in or not (login_not_required)
    SIGNED_IN = "signed-in only"  # any signed-in user: their own account, their own day
    PERMISSION = "permission"  # an action of access.PERMISSIONS
    OWN = "own objects only"  # only the user's own (a notification): anyone else's is a 404


# A predicate sees the user and the objects the URL names (by kind): True lets the user in.
Predicate = Callable[[User, Mapping[str, Any]], bool]


@dataclass(frozen=True)
class Route:
    name: str
    kind: Kind
    action: str | None = None  # the PERMISSIONS key, for Kind.PERMISSION
    # URL keyword → the kind of object whose id it holds ("case", "visit", …); the test fills
    # in the id of centre A's or centre B's object of that kind.
    objects: Mapping[str, str] = field(default_factory=dict)
    # A query parameter or form field naming an object (the centre of a dashboard, the member
    # a household links), and the methods whose view reads it (GET: the query string).
    params: Mapping[str, str] = field(default_factory=dict)
    params_in: tuple[str, ...] = (GET,)
    # Keywords that are not objects (a year, a file shape).
    fixed: Mapping[str, Any] = field(default_factory=dict)
    methods: tuple[str, ...] = BOTH
    # Method → the status when the user may: 200 a page (a POST with an empty body re-renders
    # its form with errors), 302 after a POST that did its work, 204 a beacon.
    ok: Mapping[str, int] = field(default_factory=lambda: {GET: 200, POST: 200})
    # When the status depends on the user's own state (their second factor), not on access.
    ok_for: Callable[[User, str], int] | None = None
    # Statuses that also count as success: the state of the world, not access (/healthz
    # answers 503 while a dependency is down).
    also_ok: frozenset[int] = frozenset()
    predicate: Predicate | None = None
    refused: int = 403  # what a failed predicate answers
    htmx: bool = False  # requested with HX-Request: true (a fragment, polled or swapped in)
    # The status when an object after the first is not the first's (another centre's
    # attendance in this session's URL): 404, unless the view reads a missing one as done.
    missing_child: int = 404
    note: str = ""


def _ok(get: int | None = 200, post: int | None = 200) -> dict[str, int]:
    return {m: s for m, s in ((GET, get), (POST, post)) if s is not None}


def _is_assignee(user: User, objects: Mapping[str, Any]) -> bool:
    """A visit's assigned staff act on it whatever their role (the second person may be
    staff); the casework roles act on any visit of their centre."""
    visit = objects["visit"]
    return access.can(user, "visit.manage") or visit.assignments.filter(user=user).exists()


def _sees_sensitive(user: User, objects: Mapping[str, Any]) -> bool:
    """要配慮個人情報 of a case (cases.access): a manager of its centre; a counsellor only of
    the cases they work, one a manager shared with them, or all when the centre opened it."""
    if user.role != Role.COUNSELLOR:
        return True
    case = objects["case"]
    return (
        user.pk in (case.primary_counsellor_id, case.co_counsellor_id)
        or case.centre.sensitive_open_to_centre
        or case.sensitive_shares.filter(user=user, revoked_at__isnull=True).exists()
    )


def _second_factor_page(user: User, method: str) -> int:
    """Someone without an authenticator is sent on to set one up."""
    return 200 if user_has_device(user) else 302


def _is_recipient(user: User, objects: Mapping[str, Any]) -> bool:
    return bool(objects["notification"].recipient_id == user.pk)


def _perm(
    name: str,
    action: str,
    objects: Mapping[str, str] | None = None,
    *,
    methods: tuple[str, ...] = BOTH,
    get: int | None = 200,
    post: int | None = 200,
    **extra: Any,
) -> Route:
    if POST not in methods:
        post = None
    if GET not in methods:
        get = None
    return Route(
        name,
        Kind.PERMISSION,
        action,
        objects=objects or {},
        methods=methods,
        ok=_ok(get, post),
        **extra,
    )


CASE = {"pk": "case"}
POST_ONLY = (POST,)
GET_ONLY = (GET,)

ROUTES: tuple[Route, ...] = (
    # --- the project's own (config/urls.py) ---------------------------------------------------
    Route("healthz", Kind.PUBLIC, also_ok=frozenset({503}), note="for the load balancer"),
    Route("set_language", Kind.PUBLIC, ok=_ok(302, 302), note="Django's language switch"),
    Route(
        "admin",
        Kind.SIGNED_IN,
        ok=_ok(302, 302),
        note="django.contrib.admin, one entry for the site: no centre role is is_staff, so "
        "everyone is sent to the admin's own login (admin:index is what is requested)",
    ),
    # --- accounts -----------------------------------------------------------------------------
    Route("home", Kind.SIGNED_IN, ok_for=lambda u, m: 302 if u.is_counsellor else 200),
    Route("preferences", Kind.SIGNED_IN),
    Route(
        "login",
        Kind.PUBLIC,
        ok_for=lambda user, method: 302,
        note="a signed-in user is sent on (redirect_authenticated_user)",
    ),
    Route("logout", Kind.SIGNED_IN, methods=POST_ONLY, ok=_ok(None, 302)),
    Route("two_factor_verify", Kind.SIGNED_IN, ok_for=_second_factor_page),
    Route("two_factor_setup", Kind.SIGNED_IN),
    Route("two_factor_link", Kind.SIGNED_IN, fixed={"token": "not-a-link"}, ok=_ok(404, 404)),
    Route("session_status", Kind.SIGNED_IN),
    Route("session_keepalive", Kind.SIGNED_IN, methods=POST_ONLY, ok=_ok(None, 204)),
    _perm("security_events", "security.view"),
    Route("password_change", Kind.SIGNED_IN),
    Route("password_change_done", Kind.SIGNED_IN, methods=GET_ONLY, ok=_ok(200, None)),
    Route("password_reset", Kind.PUBLIC),
    Route("password_reset_done", Kind.PUBLIC, methods=GET_ONLY, ok=_ok(200, None)),
    Route(
        "password_reset_confirm",
        Kind.PUBLIC,
        fixed={"uidb64": "MQ", "token": "set-password"},
        note="an invalid link is a 200 page saying so",
    ),
    Route("password_reset_complete", Kind.PUBLIC, methods=GET_ONLY, ok=_ok(200, None)),
    # --- cases ---------------------------------------------------------------------------------
    _perm("cases:list", "case.view", post=302, note="search results; the text is POSTed"),
    _perm("cases:intake", "case.create"),
    _perm("cases:detail", "case.view", CASE),
    _perm(
        "cases:sensitive_panel",
        "case.view_sensitive",
        CASE,
        predicate=_sees_sensitive,
        htmx=True,
        note="the 要配慮個人情報 tab, loaded when opened",
    ),
    _perm("cases:sensitive_shares", "case.share_sensitive", CASE),
    _perm(
        "cases:sensitive_share_revoke",
        "case.share_sensitive",
        {"pk": "case", "share_id": "share"},
        methods=POST_ONLY,
        post=302,
    ),
    _perm("cases:break_glass", "case.break_glass"),
    _perm("cases:break_glass_log", "security.view"),
    _perm("cases:edit", "case.edit", CASE),
    _perm("cases:sensitive_edit", "case.view_sensitive", CASE, predicate=_sees_sensitive),
    _perm("cases:status", "case.change_status", CASE),
    _perm("cases:contacts", "case.view", CASE, htmx=True, note="the timeline fragment"),
    _perm("cases:contact_add", "contact.add", CASE, methods=POST_ONLY, htmx=True),
    _perm("cases:assessment_add", "assessment.add", CASE),
    _perm("cases:plan_new", "plan.edit", CASE),
    _perm("cases:plan_edit", "plan.edit", {"pk": "case", "plan_id": "plan"}),
    _perm("cases:milestone_add", "plan.edit", {"pk": "case", "plan_id": "plan"}),
    _perm(
        "cases:milestone_achieve",
        "plan.edit",
        {"pk": "case", "milestone_id": "milestone"},
        methods=POST_ONLY,
        post=302,
    ),
    _perm("cases:consent_add", "consent.edit", CASE),
    _perm(
        "cases:consent_withdraw",
        "consent.edit",
        {"pk": "case", "consent_id": "consent"},
        methods=POST_ONLY,
        post=302,
    ),
    _perm("cases:referral_add", "referral.edit", CASE),
    _perm(
        "cases:referral_send",
        "referral.edit",
        {"pk": "case", "referral_id": "referral"},
        methods=POST_ONLY,
        post=302,
    ),
    _perm("cases:referral_outcome", "referral.edit", {"pk": "case", "referral_id": "referral"}),
    _perm("cases:audit", "audit.view", CASE),
    _perm("cases:legal_hold", "case.legal_hold", CASE),
    # --- reminders -----------------------------------------------------------------------------
    Route("reminders:inbox", Kind.SIGNED_IN),
    Route("reminders:inbox_seen", Kind.SIGNED_IN, methods=POST_ONLY, ok=_ok(None, 204), htmx=True),
    Route(
        "reminders:mark_done",
        Kind.OWN,
        objects={"pk": "notification"},
        methods=POST_ONLY,
        ok=_ok(None, 302),
        predicate=_is_recipient,
        refused=404,
    ),
    _perm("reminders:escalations", "escalations.view"),
    # --- families: the household of a case ------------------------------------------------------
    _perm("families:member_add", "family.edit", CASE),
    _perm(
        "families:member_search",
        "family.edit",
        CASE,
        methods=POST_ONLY,
        htmx=True,
        note="autocomplete",
    ),
    _perm(
        "families:member_link",
        "family.edit",
        CASE,
        params={"member": "member"},
        params_in=POST_ONLY,
        methods=POST_ONLY,
    ),
    _perm("families:member_detail", "family.view", {"pk": "case", "member_id": "member"}),
    _perm("families:member_edit", "family.edit", {"pk": "case", "member_id": "member"}),
    _perm(
        "families:member_unlink",
        "family.edit",
        {"pk": "case", "member_id": "member"},
        methods=POST_ONLY,
        post=302,
    ),
    _perm("families:member_contact_add", "contact.add", CASE),
    _perm("families:contingency_edit", "family.contingency_edit", CASE),
    _perm("families:cases_8050", "risk8050.view"),
    # --- families: programmes ------------------------------------------------------------------
    _perm("families:programme_list", "programme.view"),
    _perm("families:programme_create", "programme.manage"),
    _perm("families:programme_detail", "programme.view", {"pk": "programme"}),
    _perm("families:programme_edit", "programme.manage", {"pk": "programme"}),
    _perm(
        "families:programme_member_search",
        "programme.manage",
        {"pk": "programme"},
        methods=POST_ONLY,
        htmx=True,
        note="autocomplete",
    ),
    _perm(
        "families:programme_enrol",
        "programme.manage",
        {"pk": "programme"},
        params={"member": "member"},
        params_in=POST_ONLY,
        methods=POST_ONLY,
        post=302,
    ),
    _perm("families:session_add", "programme.manage", {"pk": "programme"}),
    _perm(
        "families:attendance_register",
        "programme.attendance",
        {"pk": "programme_session"},
    ),
    # --- outreach: the ibasho's door ----------------------------------------------------------
    _perm("outreach:checkin", "ibasho.checkin", methods=GET_ONLY),
    _perm("outreach:checkin_session", "ibasho.checkin", {"pk": "ibasho_session"}, methods=GET_ONLY),
    _perm(
        "outreach:checkin_room",
        "ibasho.checkin",
        {"pk": "ibasho_session"},
        methods=GET_ONLY,
        htmx=True,
        note="polled",
    ),
    _perm(
        "outreach:checkin_search",
        "ibasho.checkin",
        {"pk": "ibasho_session"},
        methods=POST_ONLY,
        htmx=True,
        note="search results",
    ),
    _perm(
        "outreach:checkin_case",
        "ibasho.checkin",
        {"pk": "ibasho_session"},
        params={"case": "case"},
        params_in=POST_ONLY,
        methods=POST_ONLY,
        post=302,
    ),
    _perm(
        "outreach:checkin_walk_in", "ibasho.checkin", {"pk": "ibasho_session"}, methods=POST_ONLY
    ),
    _perm(
        "outreach:checkin_out",
        "ibasho.checkin",
        {"pk": "ibasho_session", "attendance": "attendance"},
        methods=POST_ONLY,
        post=302,
        missing_child=302,
        note="an attendance not in the session is the second tap of a double tap: done",
    ),
    _perm(
        "outreach:checkin_undo",
        "ibasho.checkin",
        {"pk": "ibasho_session", "attendance": "attendance"},
        methods=POST_ONLY,
        post=302,
        missing_child=302,
        note="an attendance not in the session is the second tap of a double tap: done",
    ),
    # --- outreach: ibasho sessions --------------------------------------------------------------
    _perm("outreach:session_list", "ibasho.view"),
    _perm("outreach:calendar_this_month", "ibasho.view", get=302, post=302, note="to the month"),
    _perm("outreach:calendar", "ibasho.view", fixed={"year": 2026, "month": 11}),
    _perm("outreach:session_new", "ibasho.manage"),
    _perm("outreach:series_new", "ibasho.manage"),
    _perm("outreach:session_detail", "ibasho.view", {"pk": "ibasho_session"}),
    _perm("outreach:session_edit", "ibasho.manage", {"pk": "ibasho_session"}),
    _perm("outreach:session_cancel", "ibasho.manage", {"pk": "ibasho_session"}),
    _perm(
        "outreach:attendance_edit",
        "ibasho.manage",
        {"pk": "attendance"},
        get=302,
        post=400,
        note="the form is on the session's page: a GET goes to its row",
    ),
    _perm(
        "outreach:attendance_delete",
        "ibasho.manage",
        {"pk": "attendance"},
        methods=POST_ONLY,
        post=302,
    ),
    # --- outreach: walk-ins ---------------------------------------------------------------------
    _perm("outreach:walk_in_list", "ibasho.view"),
    _perm("outreach:walk_in_detail", "ibasho.view", {"pk": "walk_in"}),
    _perm(
        "outreach:walk_in_case_search",
        "ibasho.link_walk_in",
        {"pk": "walk_in"},
        methods=POST_ONLY,
        htmx=True,
        note="search results",
    ),
    _perm(
        "outreach:walk_in_choose_case",
        "ibasho.link_walk_in",
        {"pk": "walk_in"},
        params={"case": "case"},
        params_in=POST_ONLY,
        methods=POST_ONLY,
    ),
    _perm(
        "outreach:walk_in_link",
        "ibasho.link_walk_in",
        {"pk": "walk_in"},
        params={"case": "case"},
        params_in=POST_ONLY,
        methods=POST_ONLY,
    ),
    _perm(
        "outreach:walk_in_unlink",
        "ibasho.link_walk_in",
        {"pk": "walk_in"},
        methods=POST_ONLY,
        post=302,
    ),
    # --- outreach: home visits ------------------------------------------------------------------
    _perm("outreach:visit_new", "visit.manage", {"case_pk": "case"}),
    _perm("outreach:visit_safety", "visit.safety"),
    _perm("outreach:visit_detail", "visit.view", {"pk": "visit"}),
    _perm("outreach:visit_edit", "visit.manage", {"pk": "visit"}),
    _perm("outreach:visit_briefing", "visit.view", {"pk": "visit"}, predicate=_is_assignee),
    _perm(
        "outreach:visit_acknowledge",
        "visit.view",
        {"pk": "visit"},
        methods=POST_ONLY,
        post=302,
        predicate=_is_assignee,
    ),
    _perm("outreach:visit_announce", "visit.manage", {"pk": "visit"}, methods=POST_ONLY),
    _perm("outreach:visit_confirm", "visit.manage", {"pk": "visit"}, methods=POST_ONLY, post=302),
    _perm("outreach:visit_call_off", "visit.manage", {"pk": "visit"}, methods=POST_ONLY),
    _perm("outreach:visit_override", "visit.override", {"pk": "visit"}, methods=POST_ONLY),
    _perm(
        "outreach:visit_check_in",
        "visit.view",
        {"pk": "visit"},
        methods=POST_ONLY,
        post=302,
        predicate=_is_assignee,
    ),
    _perm(
        "outreach:visit_check_out",
        "visit.view",
        {"pk": "visit"},
        methods=POST_ONLY,
        post=302,
        predicate=_is_assignee,
    ),
    _perm(
        "outreach:visit_outcome",
        "visit.view",
        {"pk": "visit"},
        methods=POST_ONLY,
        predicate=_is_assignee,
    ),
    _perm(
        "outreach:visit_report",
        "visit.view",
        {"pk": "visit"},
        methods=POST_ONLY,
        predicate=_is_assignee,
    ),
    # --- outreach: the visits calendar and its feed ---------------------------------------------
    _perm("outreach:visit_calendar_this_month", "visit.view", get=302, post=302),
    _perm("outreach:visit_calendar_month", "visit.view", fixed={"year": 2026, "month": 11}),
    _perm(
        "outreach:visit_calendar_week", "visit.view", fixed={"year": 2026, "month": 11, "day": 30}
    ),
    _perm("outreach:calendar_feed", "visit.view"),
    _perm("outreach:calendar_feed_rotate", "visit.view", methods=POST_ONLY, post=302),
    Route(
        "outreach:calendar_feed_ics",
        Kind.PUBLIC,
        objects={"token": "feed_token"},
        methods=GET_ONLY,
        note="the token is the credential: a wrong one is a 404 (tested apart)",
    ),
    # --- outreach: community work ---------------------------------------------------------------
    _perm("outreach:community_list", "community.view"),
    _perm("outreach:community_new", "community.manage"),
    _perm("outreach:community_detail", "community.view", {"pk": "activity"}),
    _perm("outreach:community_edit", "community.manage", {"pk": "activity"}),
    _perm(
        "outreach:community_case_add",
        "community.link_case",
        {"pk": "activity"},
        methods=POST_ONLY,
        post=400,
    ),
    _perm(
        "outreach:community_case_remove",
        "community.link_case",
        {"pk": "activity", "case_pk": "case"},
        methods=POST_ONLY,
        post=302,
    ),
    # --- records: import, export, the printed record, the disposal log --------------------------
    _perm("records:import_home", "records.import"),
    _perm("records:import_sample", "records.import", fixed={"shape": "cases"}, note="a CSV"),
    _perm("records:import_job", "records.import", {"pk": "import_job"}),
    _perm("records:import_columns", "records.import", {"pk": "import_job"}),
    _perm("records:import_progress", "records.import", {"pk": "import_job"}, htmx=True),
    _perm(
        "records:import_confirm",
        "records.import",
        {"pk": "import_job"},
        methods=POST_ONLY,
        post=302,
    ),
    _perm(
        "records:import_recheck",
        "records.import",
        {"pk": "import_job"},
        methods=POST_ONLY,
        post=302,
    ),
    _perm(
        "records:import_cancel", "records.import", {"pk": "import_job"}, methods=POST_ONLY, post=302
    ),
    _perm("records:import_issues_csv", "records.import", {"pk": "import_job"}, note="a CSV"),
    _perm(
        "records:import_mapping_delete",
        "records.import",
        {"pk": "import_mapping"},
        methods=POST_ONLY,
        post=302,
    ),
    _perm(
        "records:export",
        "records.export",
        params={"centre": "centre"},
        params_in=POST_ONLY,
        post=400,
        note="CSV/XLSX; the centre is a form field (alone, the form is incomplete: 400)",
    ),
    _perm("records:case_record", "case.view", CASE),
    _perm("records:case_record_print", "case.view", CASE),
    _perm("records:disposal_log", "records.disposal_view"),
    _perm("records:disposal_log_csv", "records.disposal_view", note="a CSV"),
    # --- dashboards -----------------------------------------------------------------------------
    Route("dashboards:my_day", Kind.SIGNED_IN),
    _perm("dashboards:manager", "dashboard.view", params={"centre": "centre"}),
    _perm("dashboards:statistics", "statistics.view", params={"centre": "centre"}),
    _perm("dashboards:statistics_print", "statistics.view", params={"centre": "centre"}),
    _perm("dashboards:statistics_csv", "statistics.view", params={"centre": "centre"}),
    _perm("dashboards:statistics_xlsx", "statistics.view", params={"centre": "centre"}),
    _perm(
        "dashboards:caseload_transfer",
        "caseload.transfer",
        params={"centre": "centre"},
        params_in=BOTH,
    ),
    _perm("dashboards:case_reassign", "caseload.transfer", CASE),
    _perm("dashboards:case_move", "caseload.transfer", CASE),
    _perm(
        "dashboards:case_move_to",
        "caseload.transfer",
        {"pk": "case", "centre_pk": "centre"},
        note="the case's own centre as the target: access, not the move, is what is checked",
    ),
)

BY_NAME: dict[str, Route] = {route.name: route for route in ROUTES}
assert len(BY_NAME) == len(ROUTES), "a URL name is declared twice"
assert all(
    route.action in access.PERMISSIONS for route in ROUTES if route.kind is Kind.PERMISSION
), "an entry names an action that access.PERMISSIONS does not have"


def expected_status(
    route: Route,
    user: User | None,
    method: str,
    *,
    object_centres: set[int],
    objects: Mapping[str, Any],
) -> int:
    """The status `user` (None: anonymous) should get for `method` on the route, when its URL
    names objects of `object_centres`. 302 for an anonymous user means the login page."""
    public = route.kind is Kind.PUBLIC
    if user is None and not public:
        return 302
    if method not in route.methods:
        return 405
    if user is None:
        return route.ok[method]
    if not public:
        if not object_centres <= set(access.centre_ids(user)):
            return 404
        if route.kind is Kind.PERMISSION and not access.can(user, str(route.action)):
            return 403
        if route.predicate is not None and not route.predicate(user, objects):
            return route.refused
    if route.ok_for is not None:
        return route.ok_for(user, method)
    return route.ok[method]
