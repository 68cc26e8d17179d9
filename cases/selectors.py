"""Reads for the case pages. Each function runs a fixed number of queries, however many
records a case has."""

from __future__ import annotations

import datetime as dt
import functools
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.contrib.postgres.aggregates import JSONBAgg
from django.db import models
from django.db.models import F, Model, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import JSONObject
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from accounts import access
from accounts.models import AuditAction, AuditEvent, User
from accounts.templatetags.tsunagu import jdate, jdatetime
from cases import access as case_access
from cases import hooks, instruments
from cases.choices import (
    CaseStatus,
    Channel,
    ClosureReason,
    Counterpart,
    DestinationKind,
    ReferralOutcome,
)
from cases.models import (
    Assessment,
    BreakGlassGrant,
    Case,
    CaseAssignment,
    CaseStatusChange,
    Consent,
    ContactEntry,
    Milestone,
    Referral,
    SensitiveShare,
    SupportPlan,
)

TIMELINE_LIMIT = 300


# What a row of the case list shows (templates/cases/list.html), and nothing more: the
# counsellor's name, not their whole user row (the password hash).
CASE_LIST_FIELDS = (
    "centre__case_number_prefix",
    "number",
    "family_name",
    "given_name",
    "family_name_kana",
    "given_name_kana",
    "status",
    "silence_stage",
    "support_stage",
    "severity",
    "risk_self_harm",
    "risk_violence",
    "risk_8050",
    "risk_parent_ill",
    "last_two_way_contact_at",
    "updated_at",
    "primary_counsellor__display_name",
    "primary_counsellor__first_name",
    "primary_counsellor__last_name",
    "primary_counsellor__username",
)


def case_list_queryset(user: User) -> QuerySet[Case]:
    """The case list, newest change first, in the order of the index `case_centre_recent`
    (centre, -updated_at, -id): a page reads 25 index entries instead of sorting the centre's
    cases, and the id breaks ties so a row never shows on two pages."""
    # Sensitive fields live in another table and are never joined here.
    return (
        access.scoped(Case.objects.all(), user)
        .select_related("centre", "primary_counsellor")
        .only(*CASE_LIST_FIELDS)
        .order_by("-updated_at", "-id")
    )


def case_detail_queryset() -> QuerySet[Case]:
    # The cases a move to another centre links this one with, joined (no query of their own).
    return Case.objects.select_related(
        "centre",
        "primary_counsellor",
        "co_counsellor",
        "created_by",
        "transferred_from__centre",
        "transferred_to__centre",
    )


def _json_rows(queryset: QuerySet[Any], group: str, order: tuple[str, ...]) -> Subquery:
    """The rows of a correlated queryset, each as a JSON object of its columns, in one JSON
    array (NULL when there are none): a relation read in the outer row's own query."""
    rows = JSONBAgg(json_columns(queryset.model), order_by=order)
    return Subquery(queryset.order_by().values(group).annotate(rows=rows).values("rows"))


def case_page_queryset(*, with_sensitive: bool) -> QuerySet[Case]:
    """The case page's case with, in the same query, its current plan (its milestones nested)
    and its consents as JSON columns, and the sensitive record joined only for the roles that
    may see it: four queries fewer (docs/performance.md, "Case page")."""
    milestones = _json_rows(
        Milestone.objects.filter(plan=OuterRef("pk")), "plan", ("target_on", "id")
    )
    plan_fields = {field.attname: F(field.attname) for field in SupportPlan._meta.concrete_fields}
    plan = (
        SupportPlan.objects.filter(case=OuterRef("pk"))
        .order_by("-created_at", "-id")
        .annotate(page_data=JSONObject(**plan_fields, milestones=milestones))
        .values("page_data")[:1]
    )
    queryset = case_detail_queryset().annotate(
        page_plan=Subquery(plan),
        page_consents=_json_rows(
            Consent.objects.filter(case=OuterRef("pk")), "case", ("-given_on", "-id")
        ),
    )
    return queryset.select_related("sensitive") if with_sensitive else queryset


def case_page_plan(case: Case) -> tuple[SupportPlan | None, list[Milestone]]:
    """The current plan and its milestones, as read by `case_page_queryset`."""
    data = getattr(case, "page_plan", None)
    if data is None:
        return None, []
    rows = data.pop("milestones") or []
    return instance_from_json(SupportPlan, data), [
        instance_from_json(Milestone, row) for row in rows
    ]


def case_page_consents(case: Case) -> list[Consent]:
    """The case's consents, newest first, as read by `case_page_queryset`."""
    return [instance_from_json(Consent, row) for row in getattr(case, "page_consents", None) or []]


def get_case_for_user(user: User, pk: Any, queryset: QuerySet[Case] | None = None) -> Case:
    """The case if one of the user's centres has it, else 404: every view of a case (in this
    app or a higher one) fetches it here, through the one access helper. The user's share
    and break-glass window come as columns of the same query (cases.access); a case of
    another centre is found only through an open break-glass window."""
    queryset = (queryset if queryset is not None else case_detail_queryset()).annotate(
        **case_access.access_columns(user)
    )
    try:
        return access.get_for_user(queryset, user, pk)
    except access.OtherCentreRecord:
        if access.can(user, "case.break_glass"):
            case = queryset.filter(pk=pk).first()
            if case is not None and case_access.break_glass_until(user, case) is not None:
                return case
        raise


def live_shares(case: Case) -> list[SensitiveShare]:
    """Whom a manager shared the case's 要配慮個人情報 with, and who shared it (one query)."""
    return list(
        case.sensitive_shares.filter(revoked_at__isnull=True)
        .select_related("user", "by")
        .order_by("-created_at", "-id")
    )


def break_glass_log(user: User) -> QuerySet[BreakGlassGrant]:
    """The break-glass openings of the cases of the user's centres, newest first."""
    return access.scoped(
        BreakGlassGrant.objects.select_related("user", "case__centre"),
        user,
        centre_field="case__centre",
    ).order_by("-created_at", "-id")


@dataclass
class TimelineItem:
    # contact | status | assessment | milestone | referral | assignment, or a branch of an app
    # above (cases.hooks.TimelineBranch: obj is then its TimelineEntry, linking to `url`)
    kind: str
    at: dt.datetime
    obj: Any
    # What the row shows, resolved once here (choice labels, names, the date) so that the
    # template of 300 rows only prints strings: per-row template lookups, translations and
    # includes were most of the page's time (docs/performance.md, "Case page").
    when: str = ""
    title: str = ""
    summary: str = ""
    who: str = ""
    duration: str = ""
    url: str = ""


# What the timeline shows of a user: their name, never the whole row (the password hash).
_USER_NAME_FIELDS = ("display_name", "first_name", "last_name", "username")


def _as_datetime(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12, 0)))


def user_names(relation: str) -> dict[str, F]:
    """The name columns of the user `relation` points to, as `user_from_json` reads them
    back: a query that shows who did something reads these, never the whole user row."""
    return {f"{relation}__{name}": F(f"{relation}__{name}") for name in _USER_NAME_FIELDS}


def _branch(
    queryset: QuerySet[Any],
    kind: str,
    order: tuple[str, ...],
    fields: tuple[str, ...],
    **extra: Any,
) -> QuerySet[Any]:
    """One kind's newest rows as (kind, the columns it shows as one JSON object): every
    kind has the same two columns, so all of them come in one UNION ALL."""
    data = JSONObject(**{name: F(name) for name in fields}, **extra)
    return (
        queryset.order_by(*order)
        .annotate(timeline_kind=Value(kind), timeline_data=data)
        .values_list("timeline_kind", "timeline_data")[:TIMELINE_LIMIT]
    )


def _timeline_query(case: Case) -> QuerySet[Any]:
    contacts = _branch(
        case.contacts.all(),
        "contact",
        ("-occurred_at",),  # the index contact_case_period: 300 rows read, not all
        (
            "id",
            "occurred_at",
            "duration_minutes",
            "channel",
            "counterpart",
            "counterpart_detail",
            "staff_id",
            "two_way",
            "note",
            "next_action",
        ),
        **user_names("staff"),
    )
    statuses = _branch(
        case.status_changes.all(),
        "status",
        ("-at",),
        ("id", "at", "by_id", "from_status", "to_status", "closure_reason", "paused_until", "note"),
        **user_names("by"),
    )
    assessments = _branch(
        case.assessments.all(),
        "assessment",
        ("-assessed_on", "-created_at"),
        (
            "id",
            "instrument",
            "instrument_version",
            "assessed_on",
            "total_score",
            "subscale_scores",
            "above_cutoff",
        ),
    )
    milestones = _branch(
        Milestone.objects.filter(plan__case=case, achieved_on__isnull=False),
        "milestone",
        ("-achieved_on", "-id"),
        ("id", "plan_id", "description", "target_on", "achieved_on"),
    )
    referrals = _branch(
        case.referrals.all(),
        "referral",
        ("-referred_on", "-id"),
        (
            "id",
            "destination_kind",
            "destination_name",
            "referred_on",
            "consent_id",
            "legal_basis",
            "sent_at",
            "outcome",
            "follow_up_on",
        ),
        consent__given_on=F("consent__given_on"),
    )
    assignments = _branch(
        case.assignments.all(),
        "assignment",
        ("-at",),  # the index assignment_case_recent
        ("id", "at", "from_user_id", "to_user_id", "by_id", "reason"),
        **user_names("from_user"),
        **user_names("to_user"),
        **user_names("by"),
    )
    # The apps above add theirs (cases.hooks): more SELECTs of the same statement.
    registered = [
        _branch(branch.rows(case), kind, branch.order, branch.fields)
        for kind, branch in hooks.timeline_branches().items()
    ]
    # Each branch keeps its own ORDER BY and LIMIT; the whole is sorted in Python (the dated
    # kinds are placed at noon of their day).
    combined = contacts.union(
        statuses, assessments, milestones, referrals, assignments, *registered, all=True
    )
    return combined.order_by()


_TIMELINE_MODELS: dict[str, type[Model]] = {
    "status": CaseStatusChange,
    "assessment": Assessment,
    "milestone": Milestone,
    "referral": Referral,
    "assignment": CaseAssignment,
}


def json_columns(model: type[Model], *users: str) -> JSONObject:
    """A row's every column as one JSON object, and the name columns of the users it points
    to (`users`: relation names), never their whole rows: a relation read in another row's
    query (a JSON array of these), turned back by `instance_from_json`."""
    fields = {field.attname: F(field.attname) for field in model._meta.concrete_fields}
    return JSONObject(**fields, **{k: v for user in users for k, v in user_names(user).items()})


def user_from_json(data: dict[str, Any], relation: str) -> User | None:
    if data.get(f"{relation}__username") is None:
        return None
    return User(**{name: data[f"{relation}__{name}"] or "" for name in _USER_NAME_FIELDS})


def instance_from_json(model: type[Model], data: dict[str, Any]) -> Any:
    """A model instance of the columns a query read as JSON (`json_columns`; the others left
    at their defaults, never saved): what a page uses of it works as usual. Keys with `__`
    (a relation's columns) are left for the caller (`user_from_json`)."""
    meta = model._meta
    values = {}
    for name, value in data.items():
        if "__" in name:
            continue
        field = meta.get_field(name)
        values[field.attname] = None if value is None else field.to_python(value)  # type: ignore[union-attr]
    return model(**values)


@functools.cache
def _labels(choices: type[models.TextChoices], language: str | None) -> dict[str, str]:
    """A choice class's labels in one language, resolved once per process, not per row."""
    return {value: str(label) for value, label in choices.choices}


def case_timeline(case: Case) -> list[TimelineItem]:
    """Contacts, status changes, assessments, milestones reached, referrals and changes of
    counsellor, newest first: one query (UNION ALL of the kinds, each its newest
    TIMELINE_LIMIT rows), the staff names joined, not their user rows."""
    language = get_language()
    channel, counterpart = _labels(Channel, language), _labels(Counterpart, language)
    status, closure = _labels(CaseStatus, language), _labels(ClosureReason, language)
    destination = _labels(DestinationKind, language)
    outcome = _labels(ReferralOutcome, language)
    system = str(_("システム"))
    staff_names: dict[int, str] = {}  # a few colleagues write all the contacts
    items: list[TimelineItem] = []
    branches = hooks.timeline_branches()
    for kind, data in _timeline_query(case):
        if kind in branches:
            entry = branches[kind].entry(data)
            items.append(
                TimelineItem(
                    kind,
                    entry.at,
                    entry,
                    when=entry.when,
                    title=entry.title,
                    summary=entry.summary,
                    url=entry.url,
                )
            )
            continue
        if kind == "contact":
            # The many rows: kept as the dict read (the template prints note, next_action,
            # two_way, duration_minutes of it), not a model instance each.
            at = dt.datetime.fromisoformat(data["occurred_at"])
            data["occurred_at"] = at
            detail = data["counterpart_detail"]
            item = TimelineItem(
                kind,
                at,
                data,
                when=jdatetime(at),
                title=channel.get(data["channel"], data["channel"]),
                summary=counterpart.get(data["counterpart"], data["counterpart"])
                + (f"（{detail}）" if detail else ""),
                who=staff_names.get(data["staff_id"])
                or staff_names.setdefault(data["staff_id"], str(user_from_json(data, "staff"))),
            )
            if data["duration_minutes"]:
                item.duration = _("%(m)s分") % {"m": data["duration_minutes"]}
            items.append(item)
            continue
        obj = instance_from_json(_TIMELINE_MODELS[kind], data)
        if kind == "status":
            obj.by = user_from_json(data, "by")
            change = status.get(obj.to_status, obj.to_status)
            if obj.from_status:
                change = f"{status.get(obj.from_status, obj.from_status)} → {change}"
            if obj.closure_reason:
                change += f"（{closure.get(obj.closure_reason, obj.closure_reason)}）"
            if obj.paused_until:
                change += f"（{_('休止期限')} {jdate(obj.paused_until)}）"
            who = str(obj.by) if obj.by else system
            item = TimelineItem(kind, obj.at, obj, when=jdatetime(obj.at), summary=change, who=who)
        elif kind == "assignment":
            obj.from_user = user_from_json(data, "from_user")
            obj.to_user = user_from_json(data, "to_user")
            obj.by = user_from_json(data, "by")
            change = f"{obj.from_user or '—'} → {obj.to_user}"
            item = TimelineItem(
                kind, obj.at, obj, when=jdatetime(obj.at), summary=change, who=str(obj.by)
            )
        elif kind == "assessment":
            at = _as_datetime(obj.assessed_on)
            item = TimelineItem(kind, at, obj, when=jdate(obj.assessed_on))
            item.summary = obj.instrument_label
        elif kind == "milestone":
            at = _as_datetime(obj.achieved_on)
            item = TimelineItem(kind, at, obj, when=jdate(obj.achieved_on))
        else:  # referral
            if obj.consent_id is not None:
                obj.consent = Consent(
                    id=obj.consent_id, given_on=dt.date.fromisoformat(data["consent__given_on"])
                )
            at = _as_datetime(obj.referred_on)
            kind_label = destination.get(obj.destination_kind, obj.destination_kind)
            summary = f"{kind_label} · {obj.destination_name} · {outcome.get(obj.outcome, '')}"
            item = TimelineItem(kind, at, obj, when=jdate(obj.referred_on), summary=summary)
        items.append(item)
    items.sort(key=lambda item: item.at, reverse=True)
    return items


def case_contacts(case: Case) -> QuerySet[ContactEntry]:
    """The whole contact log, newest first (paginated by the view)."""
    return case.contacts.select_related("staff").order_by("-occurred_at", "-id")


def timeline_truncated(timeline: list[TimelineItem]) -> int | None:
    """The per-kind limit when some kind reached it (older entries are not shown)."""
    counts = Counter(item.kind for item in timeline)
    return TIMELINE_LIMIT if counts and max(counts.values()) >= TIMELINE_LIMIT else None


def assessment_trend(assessments: list[Assessment]) -> list[dict[str, Any]]:
    """Chart.js-ready series: one line per instrument version, oldest first."""
    series: dict[tuple[str, str], dict[str, Any]] = {}
    for assessment in sorted(assessments, key=lambda a: a.assessed_on):
        key = (assessment.instrument, assessment.instrument_version)
        if key not in series:
            instrument = instruments.INSTRUMENTS.get(key)
            series[key] = {
                "label": assessment.instrument_label,
                "cutoff": instrument.cutoff if instrument else None,
                "cutoff_label": str(_("カットオフ")),
                "min": instrument.min_total if instrument else None,
                "max": instrument.max_total if instrument else None,
                "points": [],
            }
        series[key]["points"].append(
            {"x": assessment.assessed_on.isoformat(), "y": assessment.total_score}
        )
    return list(series.values())


def case_viewers(case: Case, *, limit: int = 200) -> QuerySet[AuditEvent]:
    return (
        AuditEvent.objects.filter(
            case_id=case.pk, action__in=[AuditAction.VIEW, AuditAction.VIEW_SENSITIVE]
        )
        .select_related("user")
        .order_by("-at")[:limit]
    )


def case_audit_trail(case: Case) -> QuerySet[AuditEvent]:
    """Everything recorded about the case, newest first (paginated by the view)."""
    return AuditEvent.objects.filter(case_id=case.pk).select_related("user").order_by("-at", "-id")
