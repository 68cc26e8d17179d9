"""Reads for the home-visit screens: a visit with everything its page shows, the next action
in words, the briefing compiled from the case, the case page's panel and the visits whose
check-out is overdue (the safety banner). Each runs a fixed number of queries, however many
staff, announcements, contacts, household members or earlier visits there are."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import Model, OuterRef, Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import access
from accounts.models import User
from accounts.templatetags.tsunagu import jdate, jdatetime
from cases.choices import ConsentScope
from cases.models import Case, Consent, ContactEntry
from cases.selectors import instance_from_json, json_columns, user_from_json
from families.models import FamilyMember
from families.selectors import HouseholdRow, household, household_members
from outreach.models import (
    OPEN_STATUSES,
    AnnouncementResponse,
    HomeVisit,
    VisitAnnouncement,
    VisitAssignment,
    VisitOverride,
    VisitRule,
    VisitStatus,
)
from outreach.services.visits import (
    BRIEFING_PREFETCH,
    EARLIEST_CHECK_IN,
    Checklist,
    earliest_start_day,
    usable_announcement,
)

BRIEFING_CONTACTS = 5
BRIEFING_EARLIER_VISITS = 10
PANEL_UPCOMING = 5
PANEL_RECENT = 5


# --- one visit --------------------------------------------------------------------------------


def _with_everything(queryset: QuerySet[HomeVisit]) -> QuerySet[HomeVisit]:
    """A visit with its case, staff (and their briefing), announcements, overrides and the
    household the briefing's key reads: a fixed number of queries, whatever their number."""
    return queryset.select_related(
        "case__centre", "centre", "checked_in_by", "checked_out_by", "report_by"
    ).prefetch_related(
        Prefetch(
            "assignments",
            queryset=VisitAssignment.objects.select_related("user").order_by(
                "user__display_name", "user_id"
            ),
        ),
        Prefetch("announcements", queryset=VisitAnnouncement.objects.select_related("created_by")),
        Prefetch("overrides", queryset=VisitOverride.objects.select_related("by")),
        BRIEFING_PREFETCH,
    )


def visit_for_user(user: User, pk: int) -> HomeVisit:
    """The visit if the user's centre has it, else a 404 (another centre's visit does not
    exist for the user)."""
    return access.get_for_user(_with_everything(HomeVisit.objects.all()), user, pk)


def is_assigned(user: User, visit: HomeVisit) -> bool:
    return any(a.user_id == user.pk for a in visit.assignments.all())


def members_by_id(case: Case) -> dict[int, FamilyMember]:
    """The household's living members, each with `relation`: whom an announcement can be
    made to (one query)."""
    return {member.pk: member for member in household_members(case)}


# --- what the page offers ---------------------------------------------------------------------

_BEFORE_THE_VISIT = (VisitStatus.PLANNED, VisitStatus.ANNOUNCED, VisitStatus.CONFIRMED)


@dataclass(frozen=True)
class Offers:
    """Which forms and buttons the visit page shows this user now. The services decide
    again on every post: this only spares people buttons that can't work."""

    announce: bool = False
    confirm: bool = False
    edit: bool = False
    call_off: bool = False
    override: bool = False
    check_in: bool = False
    check_out: bool = False
    outcome: bool = False
    report: bool = False
    briefing: bool = False
    plan_again: bool = False


def offers(
    user: User, visit: HomeVisit, checklist: Checklist, *, now: dt.datetime | None = None
) -> Offers:
    now = now or timezone.now()
    status = visit.status
    manage = access.can(user, "visit.manage")
    act = manage or is_assigned(user, visit)
    overridable = {VisitRule.NOTICE_PERIOD, VisitRule.PAIR, VisitRule.BRIEFING}
    return Offers(
        announce=manage and status in _BEFORE_THE_VISIT,
        # Without an announcement, only a manager's emergency override lets it be confirmed.
        confirm=manage
        and (
            status == VisitStatus.ANNOUNCED
            or (status == VisitStatus.PLANNED and VisitRule.NOTICE_PERIOD in checklist.overrides)
        ),
        edit=manage and status in (*_BEFORE_THE_VISIT, VisitStatus.POSTPONED),
        call_off=manage and status in (*_BEFORE_THE_VISIT, VisitStatus.POSTPONED),
        override=access.can(user, "visit.override")
        and status in _BEFORE_THE_VISIT
        and bool(overridable - checklist.overrides),
        check_in=act and status == VisitStatus.CONFIRMED,
        check_out=act and status == VisitStatus.IN_PROGRESS and visit.checked_out_at is None,
        outcome=act
        and (
            status == VisitStatus.IN_PROGRESS
            or (status == VisitStatus.CONFIRMED and visit.starts_at <= now)
        ),
        report=act and status == VisitStatus.DONE,
        briefing=act,
        plan_again=manage and not visit.is_open,
    )


# --- the next action --------------------------------------------------------------------------


@dataclass(frozen=True)
class NextAction:
    key: str  # what the page offers: announce, move, confirm, pair, brief, check_in, ...
    text: str
    detail: str = ""
    level: str = "info"  # the Bootstrap alert it is shown in


def _day(value: dt.date) -> str:
    return jdate(value)


def _names(users: tuple[User, ...]) -> str:
    return _("、").join(_("%(name)sさん") % {"name": user} for user in users)


def _before_announcement(visit: HomeVisit, checklist: Checklist) -> NextAction:
    """A planned visit: it is announced next, in time for the notice period."""
    if VisitRule.NOTICE_PERIOD in checklist.overrides:
        return NextAction(
            "confirm",
            _("緊急の例外承認があります。予告なしで訪問を確定できます。"),
            level="warning",
        )
    centre, day = visit.centre, timezone.localdate(visit.starts_at)
    earliest = earliest_start_day(centre, None)
    if day < earliest:
        return NextAction(
            "move",
            _("予告期間が足りません。訪問日を%(day)s以降に変更してください。")
            % {"day": _day(earliest)},
            _("予告した日から%(days)s日あけて訪問します（緊急時は所長の例外承認が必要です）。")
            % {"days": centre.visit_notice_days},
            level="warning",
        )
    deadline = day - dt.timedelta(days=centre.visit_notice_days)
    return NextAction(
        "announce",
        _("予告を記録してください（最短 %(day)s）") % {"day": _day(earliest)},
        _(
            "予告した日から%(days)s日あけて訪問します。今日予告すると最短で%(earliest)sに訪問でき、"
            "この訪問日（%(visit_day)s）には%(deadline)sまでの予告が必要です。"
        )
        % {
            "days": centre.visit_notice_days,
            "earliest": _day(earliest),
            "visit_day": _day(day),
            "deadline": _day(deadline),
        },
    )


def _announced(visit: HomeVisit, checklist: Checklist) -> NextAction:
    latest = usable_announcement(visit)
    overridden = VisitRule.NOTICE_PERIOD in checklist.overrides
    if latest is not None and not overridden:
        earliest = earliest_start_day(visit.centre, latest.made_on)
        if timezone.localdate(visit.starts_at) < earliest:
            return NextAction(
                "move",
                _("予告期間が足りません。訪問日を%(day)s以降に変更してください。")
                % {"day": _day(earliest)},
                level="warning",
            )
    if latest is not None and latest.response == AnnouncementResponse.AGREED:
        return NextAction("confirm", _("了承を得ています。訪問を確定してください。"))
    return NextAction(
        "confirm",
        _("予告済みで、断りはありません。訪問を確定してください。"),
        _("返答を聞けたら、予告の記録を追加してください。"),
    )


def _confirmed(visit: HomeVisit, checklist: Checklist, now: dt.datetime) -> NextAction:
    if not checklist.pair_ok:
        return NextAction(
            "pair",
            _("2名目の職員を加えてください（このセンターでは訪問は2名以上です）。"),
            _("緊急時は所長が例外を承認できます。"),
            level="warning",
        )
    if not checklist.briefing_ok:
        return NextAction(
            "brief",
            _("ブリーフィング未確認: %(names)s") % {"names": _names(checklist.not_briefed)},
            _("全員がブリーフィングを確認するまでチェックインできません。"),
            level="warning",
        )
    opens = visit.starts_at - EARLIEST_CHECK_IN
    if now < opens:
        return NextAction(
            "check_in_later",
            _("準備ができています。当日、訪問先に着いたらチェックインしてください。"),
            _("チェックインは%(time)sからできます。") % {"time": jdatetime(opens)},
            level="success",
        )
    return NextAction("check_in", _("チェックインできます"), level="success")


def _in_progress(visit: HomeVisit) -> NextAction:
    if visit.checked_out_at is not None:
        return NextAction("outcome", _("訪問の結果を記録してください。"))
    if visit.checkout_overdue:
        return NextAction(
            "check_out",
            _("チェックアウトの予定時刻を過ぎています。無事を確認してチェックアウトしてください。"),
            level="danger",
        )
    return NextAction(
        "check_out",
        _("訪問中です。訪問先を出たらチェックアウトしてください。"),
        _("結果を記録すると、チェックアウトも同時に記録されます。"),
    )


def _closed(visit: HomeVisit) -> NextAction:
    if visit.status == VisitStatus.DONE and not visit.report:
        return NextAction("report", _("訪問記録を書いてください。"), level="warning")
    if visit.next_step:
        return NextAction(
            "next_step",
            _("次の対応: %(step)s") % {"step": visit.get_next_step_display()},
            _("本人の「断り」も大切な返事です。無理に訪問せず、別の方法でつながりを保ちます。"),
        )
    if visit.status == VisitStatus.POSTPONED:
        return NextAction(
            "reschedule",
            _("新しい日程を決めてください（「日程・内容の変更」から）。"),
            level="warning",
        )
    if visit.status == VisitStatus.DONE:
        return NextAction("none", _("この訪問は完了しました。"), level="success")
    return NextAction("none", _("この訪問は終了しています。"), level="secondary")


def next_action(
    visit: HomeVisit, checklist: Checklist, *, now: dt.datetime | None = None
) -> NextAction:
    """What the visit needs next, in words (from the prefetched visit: no query)."""
    now = now or timezone.now()
    if visit.status == VisitStatus.PLANNED:
        return _before_announcement(visit, checklist)
    if visit.status == VisitStatus.ANNOUNCED:
        return _announced(visit, checklist)
    if visit.status == VisitStatus.CONFIRMED:
        return _confirmed(visit, checklist, now)
    if visit.status == VisitStatus.IN_PROGRESS:
        return _in_progress(visit)
    return _closed(visit)


# --- the briefing -----------------------------------------------------------------------------


@dataclass
class Briefing:
    """What the visiting staff read before they go, compiled from the case."""

    visit: HomeVisit
    household: list[HouseholdRow]
    contacts: list[ContactEntry]
    earlier_visits: list[HomeVisit]
    consents: list[Consent]

    @property
    def case(self) -> Case:
        return self.visit.case

    @cached_property
    def announcements(self) -> list[tuple[VisitAnnouncement, FamilyMember | None]]:
        """This visit's announcements, each with the household member it was made to."""
        members = {row.member.pk: row.member for row in self.household}
        return [
            (a, members.get(a.recipient_member_id or 0)) for a in self.visit.announcements.all()
        ]

    @cached_property
    def unaware_relations(self) -> list[str]:
        """Present household members of whose consultations the person does not know."""
        return [
            str(row.link.get_relation_display())
            for row in self.household
            if row.member.is_present and row.link.person_aware == "no"
        ]


def briefing(visit: HomeVisit) -> Briefing:
    """The household (one query), and the last contacts, the earlier visits of the case and
    its consents to visits: one query, the three read as JSON arrays of the case's row (the
    staff's names only, never their user rows)."""
    case = visit.case
    contacts = ContactEntry.objects.filter(case=OuterRef("pk")).order_by("-occurred_at", "-id")
    earlier = (
        HomeVisit.objects.filter(case=OuterRef("pk"), starts_at__lt=visit.starts_at)
        .exclude(pk=visit.pk)
        .order_by("-starts_at", "-id")
    )
    consents = Consent.objects.filter(
        case=OuterRef("pk"), scope=ConsentScope.HOME_VISIT, withdrawn_on__isnull=True
    ).order_by("-given_on", "-id")
    rows = (
        Case.objects.filter(pk=case.pk)
        .annotate(
            briefing_contacts=ArraySubquery(
                contacts.values(data=json_columns(ContactEntry, "staff"))[:BRIEFING_CONTACTS]
            ),
            briefing_earlier=ArraySubquery(
                earlier.values(data=json_columns(HomeVisit, "report_by"))[:BRIEFING_EARLIER_VISITS]
            ),
            briefing_consents=ArraySubquery(consents.values(data=json_columns(Consent))),
        )
        .values_list("briefing_contacts", "briefing_earlier", "briefing_consents")
        .get()
    )
    return Briefing(
        visit,
        household(case),
        [_with_user(ContactEntry, data, "staff") for data in rows[0]],
        [_with_user(HomeVisit, data, "report_by") for data in rows[1]],
        [instance_from_json(Consent, data) for data in rows[2]],
    )


def _with_user(model: type[Model], data: dict[str, Any], relation: str) -> Any:
    row = instance_from_json(model, data)
    user = user_from_json(data, relation)
    if user is not None:
        user.pk = data[f"{relation}_id"]
        setattr(row, relation, user)
    return row


@dataclass(frozen=True)
class Acknowledgement:
    assignment: VisitAssignment
    current: bool  # acknowledged the briefing as it is now

    @property
    def again(self) -> bool:
        """Acknowledged an earlier briefing: the risk facts have changed since."""
        return self.assignment.briefing_acknowledged_at is not None and not self.current


def acknowledgements(visit: HomeVisit, checklist: Checklist) -> list[Acknowledgement]:
    return [
        Acknowledgement(a, a.has_acknowledged(checklist.briefing_key))
        for a in visit.assignments.all()
    ]


# --- the case page's panel --------------------------------------------------------------------


@dataclass(frozen=True)
class CaseVisits:
    upcoming: list[HomeVisit]
    recent: list[HomeVisit]


def case_visits(case: Case) -> CaseVisits:
    """The case's open visits (soonest first) and its latest ended ones: one query."""
    visits = HomeVisit.objects.filter(case=case).only(
        "id",
        "case_id",
        "centre_id",
        "starts_at",
        "ends_at",
        "status",
        "outcome",
        "report",
        "checked_out_at",
    )
    upcoming = visits.filter(status__in=OPEN_STATUSES).order_by("starts_at", "id")[:PANEL_UPCOMING]
    recent = visits.exclude(status__in=OPEN_STATUSES).order_by("-starts_at", "-id")[:PANEL_RECENT]
    rows = list(upcoming.union(recent, all=True))
    for visit in rows:
        visit.case, visit.centre = case, case.centre  # for the overdue check-out mark
    return CaseVisits(
        upcoming=sorted((v for v in rows if v.is_open), key=lambda v: (v.starts_at, v.pk)),
        recent=sorted(
            (v for v in rows if not v.is_open), key=lambda v: (v.starts_at, v.pk), reverse=True
        ),
    )


# --- safety -----------------------------------------------------------------------------------


def checkout_alerted(user: User) -> QuerySet[HomeVisit]:
    """Under way, no check-out, and the watch has alerted the managers."""
    return access.scoped(HomeVisit.objects.all(), user).filter(
        status=VisitStatus.IN_PROGRESS,
        checked_out_at__isnull=True,
        checkout_alerted_at__isnull=False,
    )


def checkout_alerted_count(user: User) -> int:
    return checkout_alerted(user).count()


def visits_under_way(user: User) -> list[HomeVisit]:
    """Every visit of the user's centres under way now, the alerted ones first (two queries:
    the visits, their staff)."""
    return list(
        access.scoped(HomeVisit.objects.all(), user)
        .filter(status=VisitStatus.IN_PROGRESS, checked_out_at__isnull=True)
        .select_related("case__centre", "centre", "checked_in_by")
        .prefetch_related(
            Prefetch(
                "assignments",
                queryset=VisitAssignment.objects.select_related("user").order_by(
                    "user__display_name", "user_id"
                ),
            )
        )
        .order_by("checkout_alerted_at", "ends_at", "id")
    )
