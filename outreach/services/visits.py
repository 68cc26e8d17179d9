"""The only way to change a home visit: planning, announcing, confirming, the briefing, the
check-in and check-out, the outcome and the report, calling a visit off, and a manager's
override of a rule. Views and tasks call these; the rules (docs/visits.md) live here once.

1. Notice period: a visit starts no sooner than the centre's `visit_notice_days` after the
   day its announcement was made (before one is made: after today). Only a manager sets the
   rule aside, for an emergency, with a reason (`VisitOverride`).
2. A visit can't be confirmed without an announcement the person did not refuse, and can't
   start until every assigned staff member has acknowledged the current briefing.
3. Nobody is booked on two overlapping duties: the staff's bookings (with the centre's travel
   buffer either side) go through `outreach.services.bookings` and its exclusion constraint.
4. With the centre's pair rule on, a visit needs two staff.

Each function is one transaction holding the visit's row lock, so a double tap or two
colleagues at once find the visit as the other left it."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts import access
from accounts.models import AuditAction, Centre, User
from accounts.services import centre_staff
from accounts.templatetags.tsunagu import jdate
from cases import services as case_services
from cases.choices import CaseStatus, Channel, ContactSource, Counterpart
from cases.models import Case
from families.models import HouseholdLink
from outreach.models import (
    OUTCOME_COUNTERPART,
    TWO_WAY_OUTCOMES,
    AnnouncementMethod,
    AnnouncementRecipient,
    AnnouncementResponse,
    BookingKind,
    EmergencyGround,
    HomeVisit,
    NextStep,
    VisitAnnouncement,
    VisitAssignment,
    VisitOutcome,
    VisitOverride,
    VisitRule,
    VisitStatus,
)
from outreach.services.bookings import bookings_release, bookings_set

# A check-in this long before the planned start is a mistake (the wrong visit tapped).
EARLIEST_CHECK_IN = dt.timedelta(hours=2)

# --- reading the rules ----------------------------------------------------------------------


# What briefing_key takes from each household member: the member's id, whether the person
# knows of the consultations with that member, the member's contact consent and status.
HouseholdFacts = tuple[int, str, int, str]


def briefing_key(case: Case, household: Iterable[HouseholdFacts] | None = None) -> str:
    """What an acknowledgement is of: the risk flags, whether the person knows about the
    family's consultations (the case's, and each household member's), and who of the
    household may be contacted. A change to any of them asks every assignee again. Reads
    `case.household_links` with their members (prefetch them: `BRIEFING_PREFETCH`), unless
    `household` gives their facts (`briefing_households`, for a page of many visits)."""
    if household is None:
        household = (
            (
                link.member_id,
                link.person_aware,
                int(link.member.contact_consent),
                link.member.status,
            )
            for link in case.household_links.all()
        )
    facts = "|".join(
        [
            str(int(case.risk_self_harm)),
            str(int(case.risk_violence)),
            str(int(case.risk_8050)),
            str(int(case.risk_parent_ill)),
            case.person_aware,
            repr(sorted(household)),
        ]
    )
    return hashlib.sha256(facts.encode()).hexdigest()[:16]


def briefing_households(case_ids: Iterable[int]) -> dict[int, list[HouseholdFacts]]:
    """briefing_key's household facts of many cases in one query of just those columns: what
    the managers' dashboard and my day read for their hundred visits. (A prefetch of the
    links costs Django a clone of its queryset per case, and whole member rows, names and
    notes included: together a third of the dashboard's Python.)"""
    households: dict[int, list[HouseholdFacts]] = {case_id: [] for case_id in case_ids}
    rows = HouseholdLink.objects.filter(case_id__in=households).values_list(
        "case_id", "member_id", "person_aware", "member__contact_consent", "member__status"
    )
    for case_id, member_id, person_aware, contact_consent, status in rows:
        households[case_id].append((member_id, person_aware, int(contact_consent), status))
    return households


# What `briefing_key` reads besides the case, for visits: one query for all their cases.
BRIEFING_PREFETCH = Prefetch(
    "case__household_links", queryset=HouseholdLink.objects.select_related("member")
)


def stored_text(text: Any) -> str:
    """Text kept in a record (a reason, a contact note) is in the centre's language, not in
    the language of whoever happened to write it."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(text)


def earliest_start_day(centre: Centre, announced_on: dt.date | None) -> dt.date:
    """The first day a visit may take place: the notice period after the day the announcement
    was made (which may be recorded days later: a letter posted on Monday counts from
    Monday), or, before one is made, after today (it can't be made earlier than today)."""
    start = announced_on if announced_on is not None else timezone.localdate()
    return start + dt.timedelta(days=centre.visit_notice_days)


def announcements_of_this_time(visit: HomeVisit) -> list[VisitAnnouncement]:
    """The announcements of the visit's current time, oldest first (from the prefetched
    announcements when there are): those of an earlier time are of another visit, as far
    as the person knows."""
    return sorted(
        (
            a
            for a in visit.announcements.all()
            if a.announced_start == visit.starts_at and a.announced_purpose == visit.purpose
        ),
        key=lambda a: (a.made_at, a.pk),
    )


def usable_announcement(visit: HomeVisit) -> VisitAnnouncement | None:
    """The latest announcement of the visit's current time, unless the person refused or
    asked for another date (then the date is not agreed: the next announcement is needed)."""
    announced = announcements_of_this_time(visit)
    latest = announced[-1] if announced else None
    if latest is None or latest.response in (
        AnnouncementResponse.REFUSED,
        AnnouncementResponse.CHANGE_DATE,
    ):
        return None
    return latest


def current_overrides(visit: HomeVisit) -> list[VisitOverride]:
    """The overrides granted for the visit's current start (from the prefetched ones when
    there are): after a move, the visit is back under the rules."""
    return [o for o in visit.overrides.all() if o.for_start == visit.starts_at]


def has_override(visit: HomeVisit, rule: str) -> bool:
    return any(override.rule == rule for override in current_overrides(visit))


@dataclass(frozen=True)
class Checklist:
    """The visit page's checklist and what a visit still needs before it may start."""

    announced: bool
    confirmed: bool
    briefed: int
    assigned: int
    pair_ok: bool
    pair_required: bool
    briefing_key: str
    overrides: frozenset[str]
    not_briefed: tuple[User, ...]

    @property
    def briefing_ok(self) -> bool:
        return self.briefed == self.assigned or VisitRule.BRIEFING in self.overrides


def visit_checklist(visit: HomeVisit) -> Checklist:
    """From prefetched assignments (with their users), announcements and overrides."""
    key = briefing_key(visit.case)
    assignments = list(visit.assignments.all())
    acknowledged = [a for a in assignments if a.has_acknowledged(key)]
    overrides = frozenset(o.rule for o in current_overrides(visit))
    pair_required = visit.centre.pair_visit_required
    return Checklist(
        announced=bool(announcements_of_this_time(visit)),
        confirmed=visit.status
        in (VisitStatus.CONFIRMED, VisitStatus.IN_PROGRESS, VisitStatus.DONE),
        briefed=len(acknowledged),
        assigned=len(assignments),
        pair_ok=not pair_required or len(assignments) >= 2 or VisitRule.PAIR in overrides,
        pair_required=pair_required,
        briefing_key=key,
        overrides=overrides,
        not_briefed=tuple(a.user for a in assignments if not a.has_acknowledged(key)),
    )


def may_act_on(user: User, visit: HomeVisit) -> bool:
    """Assigned staff (whatever their role: a staff member may be the second person) and
    casework roles act on a visit: acknowledge, check in and out."""
    if access.can(user, "visit.manage"):
        return True
    return any(a.user_id == user.pk for a in visit.assignments.all())


# --- helpers ----------------------------------------------------------------------------------


def _locked(visit: HomeVisit, expected_version: int | None = None) -> HomeVisit:
    queryset = HomeVisit.objects.select_related("case", "centre")
    if expected_version is not None:
        return case_services.lock_current(queryset, visit.pk, expected_version)
    return queryset.select_for_update(of=("self",)).get(pk=visit.pk)


def _saved(visit: HomeVisit, *fields: str) -> None:
    visit.version += 1
    visit.save(update_fields=[*fields, "version"])


def _audit(
    visit: HomeVisit,
    *,
    by: User,
    action: AuditAction = AuditAction.CHANGE,
    obj: Any = None,
    ip: str | None,
    fields: Iterable[str] = (),
) -> None:
    case_services.case_audit_record(
        by=by, action=action, obj=obj or visit, case=visit.case, ip=ip, changed_fields=fields
    )


def _day(value: dt.date) -> str:
    # As the pages write dates (2026年12月8日 / 8 Dec 2026), so a refusal names the day the
    # user sees on the calendar.
    return jdate(value)


def _refuse_unless_manager(by: User) -> None:
    if not access.can(by, "visit.override"):  # managers only (accounts/access.py)
        raise PermissionDenied(_("ルールの例外を承認できるのは所長・管理者だけです。"))


def _check_status(visit: HomeVisit, allowed: Iterable[str], message: str) -> None:
    if visit.status not in allowed:
        raise ValidationError(message)


def _check_times(starts_at: dt.datetime, ends_at: dt.datetime) -> None:
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": _("終了予定は開始予定より後にしてください。")})
    if ends_at - starts_at > dt.timedelta(hours=12):
        raise ValidationError({"ends_at": _("訪問は12時間以内で計画してください。")})


def _check_notice(
    visit_centre: Centre,
    starts_at: dt.datetime,
    announced_on: dt.date | None,
    *,
    overridden: bool,
    field: str = "starts_at",
) -> None:
    """Rule 1, with the earliest allowed day and why in the message."""
    if overridden:
        return
    earliest = earliest_start_day(visit_centre, announced_on)
    if timezone.localdate(starts_at) >= earliest:
        return
    days = visit_centre.visit_notice_days
    if announced_on is None:
        why = _("予告はまだしていないので、今日予告しても%(days)s日後からになります。") % {
            "days": days
        }
    else:
        why = _("予告日（%(day)s）から%(days)s日をあける必要があります。") % {
            "day": _day(announced_on),
            "days": days,
        }
    raise ValidationError(
        {
            field: _("訪問は%(earliest)s以降にしてください。%(why)s")
            % {"earliest": _day(earliest), "why": why}
        }
    )


def _check_pair(centre: Centre, staff: list[User], *, overridden: bool) -> None:
    if centre.pair_visit_required and len(staff) < 2 and not overridden:
        raise ValidationError(
            {"staff": _("このセンターでは訪問は2名以上で行います。もう1名を選んでください。")}
        )


def _book(visit: HomeVisit, staff: list[User]) -> None:
    """Rule 3: the visit's time plus the travel buffer either side, for every assignee."""
    buffer = dt.timedelta(minutes=visit.centre.visit_travel_buffer_minutes)
    bookings_set(
        users=staff,
        centre=visit.centre,
        starts_at=visit.starts_at - buffer,
        ends_at=visit.ends_at + buffer,
        kind=BookingKind.HOME_VISIT,
        visit=visit,
    )


def _checked_override_reason(*, rule: str, ground: str, reason: str) -> str:
    """An override names a rule and gives its reason; the notice period's, an emergency."""
    if rule not in VisitRule.values:
        raise ValidationError({"override_rule": _("例外とするルールを選んでください。")})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"override_reason": _("例外とする理由を入力してください。")})
    if (rule == VisitRule.NOTICE_PERIOD and not ground) or (
        ground and ground not in EmergencyGround.values
    ):
        raise ValidationError({"override_ground": _("緊急の事由を選んでください。")})
    return reason


def visit_staff_book(*, visit: HomeVisit) -> None:
    """Book the visit's assignees again at its current time (after the demo moves it)."""
    _book(visit, list(visit.staff.all()))


def _override_create(
    visit: HomeVisit, *, by: User, rule: str, ground: str, reason: str, ip: str | None
) -> VisitOverride:
    _refuse_unless_manager(by)
    reason = _checked_override_reason(rule=rule, ground=ground, reason=reason)
    override, created = VisitOverride.objects.get_or_create(
        visit=visit,
        rule=rule,
        for_start=visit.starts_at,
        defaults={"by": by, "ground": ground, "reason": reason},
    )
    if created:
        _audit(visit, by=by, action=AuditAction.CREATE, obj=override, ip=ip, fields=[rule])
    return override


# --- planning ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class OverrideRequest:
    """A manager's override given with the plan (an emergency visit)."""

    rule: str
    reason: str
    ground: str = ""


@transaction.atomic
def visit_plan(
    *,
    case: Case,
    by: User,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    purpose: str,
    staff: Iterable[User],
    overrides: Iterable[OverrideRequest] = (),
    ip: str | None = None,
) -> HomeVisit:
    """Plan a visit. It is not announced yet, so its day is at least the notice period from
    today, unless a manager overrides for an emergency."""
    if case.status == CaseStatus.CLOSED:
        raise ValidationError(_("終結したケースの訪問は計画できません。"))
    requested = {o.rule: o for o in overrides}
    if requested:
        _refuse_unless_manager(by)
    # First: an override without its reason is refused as such, not as the rule it would lift.
    for request in requested.values():
        _checked_override_reason(rule=request.rule, ground=request.ground, reason=request.reason)
    assignees = centre_staff(case.centre, staff, field="staff")
    if not assignees:
        raise ValidationError({"staff": _("訪問する職員を選んでください。")})
    _check_times(starts_at, ends_at)
    _check_pair(case.centre, assignees, overridden=VisitRule.PAIR in requested)
    _check_notice(case.centre, starts_at, None, overridden=VisitRule.NOTICE_PERIOD in requested)
    visit = HomeVisit(
        centre=case.centre,
        case=case,
        starts_at=starts_at,
        ends_at=ends_at,
        purpose=purpose.strip(),
        created_by=by,
    )
    visit.full_clean(exclude=["case", "centre", "created_by"])
    visit.save()
    VisitAssignment.objects.bulk_create([VisitAssignment(visit=visit, user=u) for u in assignees])
    for request in requested.values():
        _override_create(
            visit, by=by, rule=request.rule, ground=request.ground, reason=request.reason, ip=ip
        )
    _book(visit, assignees)
    _audit(visit, by=by, action=AuditAction.CREATE, ip=ip)
    return visit


@transaction.atomic
def visit_update(
    *,
    visit: HomeVisit,
    by: User,
    expected_version: int,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    purpose: str,
    staff: Iterable[User],
    ip: str | None = None,
) -> HomeVisit:
    """Change the time, the purpose or the staff (or give a postponed visit its new date). A
    new time or purpose is not what the person agreed to: a confirmed visit goes back to
    "announced", and needs confirming again."""
    visit = _locked(visit, expected_version)
    _check_status(
        visit,
        (
            VisitStatus.PLANNED,
            VisitStatus.ANNOUNCED,
            VisitStatus.CONFIRMED,
            VisitStatus.POSTPONED,
        ),
        _("この訪問はもう変更できません。"),
    )
    assignees = centre_staff(visit.centre, staff, field="staff")
    if not assignees:
        raise ValidationError({"staff": _("訪問する職員を選んでください。")})
    _check_times(starts_at, ends_at)
    pair_overridden = has_override(visit, VisitRule.PAIR) and starts_at == visit.starts_at
    _check_pair(visit.centre, assignees, overridden=pair_overridden)
    # A new start is a new visit as far as the person knows; a longer or shorter one is not.
    moved = starts_at != visit.starts_at
    if moved or visit.status == VisitStatus.POSTPONED:
        # The new time has not been announced yet (the earlier announcement was of the old
        # one): like a new plan, it is the notice period from today.
        _check_notice(
            visit.centre,
            starts_at,
            None,
            overridden=has_override(visit, VisitRule.NOTICE_PERIOD) and not moved,
        )
    changed = [
        name
        for name, value in (("starts_at", starts_at), ("ends_at", ends_at), ("purpose", purpose))
        if getattr(visit, name) != value
    ]
    visit.starts_at, visit.ends_at, visit.purpose = starts_at, ends_at, purpose.strip()
    if moved or "purpose" in changed or visit.status == VisitStatus.POSTPONED:
        # Back to what the person has heard of it: a new time was never announced (planned);
        # a new purpose for the same time needs confirming again (announced).
        announced = usable_announcement(visit) is not None
        visit.status = VisitStatus.ANNOUNCED if announced else VisitStatus.PLANNED
        visit.status_reason = ""
    visit.full_clean(exclude=["case", "centre", "created_by"])
    _saved(visit, "starts_at", "ends_at", "purpose", "status", "status_reason")
    _assignments_set(visit, assignees)
    _book(visit, assignees)
    _audit(visit, by=by, ip=ip, fields=[*changed, "staff"])
    return visit


def _assignments_set(visit: HomeVisit, assignees: list[User]) -> None:
    """Keep the acknowledgements of those who stay on the visit."""
    keep = {u.pk for u in assignees}
    visit.assignments.exclude(user_id__in=keep).delete()
    present = set(visit.assignments.values_list("user_id", flat=True))
    VisitAssignment.objects.bulk_create(
        [VisitAssignment(visit=visit, user=u) for u in assignees if u.pk not in present]
    )


@transaction.atomic
def visit_override(
    *,
    visit: HomeVisit,
    by: User,
    rule: str,
    reason: str,
    ground: str = "",
    ip: str | None = None,
) -> VisitOverride:
    """A manager sets one rule aside for this visit, with the reason (and, for the notice
    period, the emergency). Audited, and shown on the visit."""
    _refuse_unless_manager(by)
    visit = _locked(visit)
    _check_status(
        visit,
        (VisitStatus.PLANNED, VisitStatus.ANNOUNCED, VisitStatus.CONFIRMED),
        _("この訪問には例外を承認できません。"),
    )
    return _override_create(visit, by=by, rule=rule, ground=ground, reason=reason, ip=ip)


# --- announcing and confirming --------------------------------------------------------------


# How the person's "no" reaches the contact log: by the way the announcement was made.
_ANNOUNCEMENT_CHANNEL = {
    AnnouncementMethod.LETTER: Channel.LETTER,
    AnnouncementMethod.PHONE: Channel.PHONE,
    AnnouncementMethod.VIA_FAMILY: Channel.PHONE,
    AnnouncementMethod.IN_PERSON: Channel.CENTRE_VISIT,
}


@transaction.atomic
def visit_announce(
    *,
    visit: HomeVisit,
    by: User,
    method: str,
    made_at: dt.datetime,
    recipient: str,
    response: str,
    recipient_member_id: int | None = None,
    note: str = "",
    next_step: str = "",
    ip: str | None = None,
) -> VisitAnnouncement:
    """Record an announcement and the answer. Agreed: the visit is confirmed. No answer: it is
    announced (and may be confirmed later: no refusal after an announcement is taken as
    consent). Asked for another date: postponed, for a new date. Refused: cancelled, the
    person's "no" on the case's timeline and the next step offered."""
    visit = _locked(visit)
    _check_status(
        visit,
        (VisitStatus.PLANNED, VisitStatus.ANNOUNCED, VisitStatus.CONFIRMED),
        _("この訪問には予告を記録できません。"),
    )
    _check_case_open(visit)
    _check_recipient(visit, recipient, recipient_member_id)
    if made_at > timezone.now() + dt.timedelta(minutes=5):
        raise ValidationError({"made_at": _("未来の日時は入力できません。")})
    if made_at >= visit.starts_at:
        raise ValidationError({"made_at": _("予告は訪問より前の日時で入力してください。")})
    refused = response == AnnouncementResponse.REFUSED
    if response == AnnouncementResponse.AGREED or response == AnnouncementResponse.NO_ANSWER:
        _check_notice(
            visit.centre,
            visit.starts_at,
            timezone.localdate(made_at),
            overridden=has_override(visit, VisitRule.NOTICE_PERIOD),
            field="made_at",
        )
    announcement = VisitAnnouncement(
        visit=visit,
        method=method,
        made_at=made_at,
        announced_start=visit.starts_at,
        announced_purpose=visit.purpose,
        recipient=recipient,
        recipient_member_id=recipient_member_id,
        response=response,
        note=note.strip(),
        created_by=by,
    )
    announcement.full_clean(exclude=["visit", "created_by"])
    announcement.save()
    _audit(visit, by=by, action=AuditAction.CREATE, obj=announcement, ip=ip)
    if response == AnnouncementResponse.AGREED:
        _set_status(visit, VisitStatus.CONFIRMED, by=by, ip=ip)
    elif response == AnnouncementResponse.NO_ANSWER and visit.status == VisitStatus.PLANNED:
        # (A reminder letter to a visit already agreed leaves it agreed.)
        _set_status(visit, VisitStatus.ANNOUNCED, by=by, ip=ip)
    elif response == AnnouncementResponse.CHANGE_DATE:
        reason = stored_text(_("本人・家族が日程の変更を希望"))
        _call_off(visit, VisitStatus.POSTPONED, reason, by=by, ip=ip)
    elif refused:
        _refusal_record(visit, announcement, by=by, ip=ip)
        _call_off(
            visit,
            VisitStatus.CANCELLED,
            stored_text(_("本人・家族が訪問を断った")),
            by=by,
            ip=ip,
            next_step=next_step or NextStep.LETTER,
        )
    return announcement


def _check_recipient(visit: HomeVisit, recipient: str, member_id: int | None) -> None:
    """Announced to the person, or to a member of this case's household who may be
    contacted by the centre (another case's member, or one who has not agreed to be
    contacted, is refused: the form offers only the right ones, this holds for any caller)."""
    if recipient == AnnouncementRecipient.PERSON:
        if member_id is not None:
            raise ValidationError({"recipient": _("本人への予告に家族は選べません。")})
        return
    if recipient != AnnouncementRecipient.HOUSEHOLD:
        raise ValidationError({"recipient": _("予告した相手を選んでください。")})
    if member_id is None:
        raise ValidationError({"recipient": _("予告した家族を選んでください。")})
    link = (
        HouseholdLink.objects.filter(case=visit.case, member_id=member_id)
        .select_related("member")
        .first()
    )
    if link is None:
        raise ValidationError({"recipient": _("このケースの世帯の家族を選んでください。")})
    if not link.member.contact_consent:
        raise ValidationError({"recipient": _("この家族はセンターからの連絡に同意していません。")})


def _refusal_record(
    visit: HomeVisit, announcement: VisitAnnouncement, *, by: User, ip: str | None
) -> None:
    """The person's "no" is an answer, and the case's timeline keeps it."""
    from_family = announcement.method == AnnouncementMethod.VIA_FAMILY or (
        announcement.recipient != AnnouncementRecipient.PERSON
    )
    case_services.contact_record(
        case=visit.case,
        by=by,
        source=ContactSource.HOME_VISIT,
        ip=ip,
        fields={
            "occurred_at": min(announcement.made_at, timezone.now()),
            "channel": _ANNOUNCEMENT_CHANNEL[AnnouncementMethod(announcement.method)],
            "counterpart": Counterpart.FAMILY if from_family else Counterpart.PERSON,
            "two_way": True,
            "note": stored_text(
                _("訪問の予告（%(day)s予定）に対し、訪問を断られた。")
                % {"day": _day(timezone.localdate(visit.starts_at))}
            ),
        },
    )


def _set_status(visit: HomeVisit, status: str, *, by: User, ip: str | None) -> None:
    if visit.status == status:
        return
    visit.status = status
    _saved(visit, "status")
    _audit(visit, by=by, ip=ip, fields=["status"])


@transaction.atomic
def visit_confirm(*, visit: HomeVisit, by: User, ip: str | None = None) -> HomeVisit:
    """Confirm an announced visit (the person did not refuse). Without an announcement only a
    manager's emergency override of the notice period lets a visit be confirmed."""
    visit = _locked(visit)
    _check_status(
        visit,
        (VisitStatus.PLANNED, VisitStatus.ANNOUNCED),
        _("この訪問は確定できる状態ではありません。"),
    )
    _check_case_open(visit)
    overridden = has_override(visit, VisitRule.NOTICE_PERIOD)
    announcement = usable_announcement(visit)
    if announcement is None and not overridden:
        raise ValidationError(_("予告が記録されていない訪問は確定できません。"))
    _check_notice(
        visit.centre,
        visit.starts_at,
        announcement.made_on if announcement else None,
        overridden=overridden,
    )
    _set_status(visit, VisitStatus.CONFIRMED, by=by, ip=ip)
    return visit


# --- the briefing, the check-in and the check-out -------------------------------------------


@transaction.atomic
def briefing_acknowledge(
    *, visit: HomeVisit, by: User, key: str | None = None, ip: str | None = None
) -> VisitAssignment:
    """An assignee has read the briefing whose key they were shown (the page posts it back).
    If the risk facts changed while they were reading, what they read is not the current
    briefing: they are asked to read it again. (`key=None`: the current one, for callers
    that show no page, such as the demo.)"""
    visit = _locked(visit)
    assignment = visit.assignments.filter(user=by).first()
    if assignment is None:
        raise ValidationError(_("この訪問の担当者だけがブリーフィングを確認できます。"))
    if not visit.is_open:
        raise ValidationError(_("この訪問は終わっています。"))
    _check_case_open(visit)
    current = briefing_key(visit.case)
    if key is not None and key != current:
        raise ValidationError(
            _("読んでいる間にブリーフィングが更新されました。もう一度読んでから確認してください。")
        )
    assignment.briefing_acknowledged_at = timezone.now()
    assignment.briefing_key = current
    assignment.save(update_fields=["briefing_acknowledged_at", "briefing_key"])
    _audit(visit, by=by, obj=assignment, ip=ip, fields=["briefing_acknowledged_at"])
    return assignment


def _check_gates(visit: HomeVisit) -> None:
    """Rules 2 and 4 before a visit starts: every assignee briefed, two going (each unless a
    manager overrode it)."""
    checklist = visit_checklist(visit)
    if not checklist.pair_ok:
        raise ValidationError(
            _("このセンターでは訪問は2名以上で行います（管理者の例外承認がありません）。")
        )
    if not checklist.briefing_ok:
        raise ValidationError(
            _("ブリーフィングを確認していない担当者がいます: %(names)s")
            % {"names": "、".join(str(user) for user in checklist.not_briefed)}
        )


def _check_case_open(visit: HomeVisit) -> None:
    if visit.case.status == CaseStatus.CLOSED:
        raise ValidationError(_("ケースが終結しているため、この訪問は進められません。"))


def _refuse_unless_may_act(visit: HomeVisit, by: User) -> None:
    if not may_act_on(by, visit):
        raise PermissionDenied(_("この訪問の担当者ではありません。"))


@transaction.atomic
def visit_check_in(*, visit: HomeVisit, by: User, ip: str | None = None) -> HomeVisit:
    """Arrived: the visit starts, if it is confirmed, every assignee has acknowledged the
    current briefing and (with the centre's rule) two are going, unless a manager overrode
    the rule. A second tap changes nothing."""
    visit = _locked(visit)
    _refuse_unless_may_act(visit, by)
    if visit.status == VisitStatus.IN_PROGRESS:
        return visit
    _check_status(visit, (VisitStatus.CONFIRMED,), _("確定していない訪問は開始できません。"))
    _check_case_open(visit)
    now = timezone.now()
    if now < visit.starts_at - EARLIEST_CHECK_IN:
        raise ValidationError(_("チェックインは訪問予定の2時間前からできます。"))
    if now > visit.checkout_due_at():
        # Checking in days later would start a safety watch over a visit long over.
        raise ValidationError(
            _(
                "訪問の予定時刻をかなり過ぎています。チェックインではなく、訪問の結果を記録してください。"
            )
        )
    _check_gates(visit)
    visit.status = VisitStatus.IN_PROGRESS
    visit.checked_in_at, visit.checked_in_by = now, by
    _saved(visit, "status", "checked_in_at", "checked_in_by")
    _audit(visit, by=by, ip=ip, fields=["checked_in_at"])
    return visit


@transaction.atomic
def visit_check_out(*, visit: HomeVisit, by: User, ip: str | None = None) -> HomeVisit:
    """Left safely (one tap). Ends any safety alert; a second tap changes nothing. The visit
    is closed by its outcome."""
    visit = _locked(visit)
    _refuse_unless_may_act(visit, by)
    if visit.checked_out_at is not None:
        return visit
    _check_status(visit, (VisitStatus.IN_PROGRESS,), _("チェックインしていない訪問です。"))
    visit.checked_out_at, visit.checked_out_by = timezone.now(), by
    _saved(visit, "checked_out_at", "checked_out_by")
    _audit(visit, by=by, ip=ip, fields=["checked_out_at"])
    return visit


# --- outcome and report ---------------------------------------------------------------------


@transaction.atomic
def visit_record_outcome(
    *,
    visit: HomeVisit,
    by: User,
    outcome: str,
    report: str = "",
    next_step: str = "",
    ip: str | None = None,
) -> HomeVisit:
    """Close the visit with its outcome: a contact entry (channel 訪問) on the case's log,
    two-way only when the person or the family was met or answered; a letter left or no
    answer does not reset the silence clock. Recording the outcome checks out too."""
    visit = _locked(visit)
    _refuse_unless_may_act(visit, by)
    _check_status(
        visit,
        (VisitStatus.CONFIRMED, VisitStatus.IN_PROGRESS),
        _("この訪問には結果を記録できません。"),
    )
    if outcome not in VisitOutcome.values:
        raise ValidationError({"outcome": _("訪問の結果を選んでください。")})
    now = timezone.now()
    if visit.checked_in_at is None:
        # Recorded afterwards, without a check-in: it still took place only if it could
        # have started (nobody goes unbriefed, or alone against the centre's rule).
        if visit.starts_at > now:
            raise ValidationError(_("訪問の開始予定より前に結果は記録できません。"))
        _check_gates(visit)
    if visit.checked_in_at is not None and visit.checked_out_at is None:
        visit.checked_out_at, visit.checked_out_by = now, by
    started = visit.checked_in_at or visit.starts_at
    ended = visit.checked_out_at or min(visit.ends_at, now)
    report = report.strip()
    visit.contact = case_services.contact_record(
        case=visit.case,
        by=by,
        source=ContactSource.HOME_VISIT,
        ip=ip,
        fields={
            "occurred_at": started,
            "duration_minutes": min(24 * 60, max(0, int((ended - started).total_seconds() // 60))),
            "channel": Channel.HOME_VISIT,
            "counterpart": OUTCOME_COUNTERPART[VisitOutcome(outcome)],
            "two_way": outcome in TWO_WAY_OUTCOMES,
            "note": _contact_note(outcome, report),
        },
    )
    visit.status, visit.outcome = VisitStatus.DONE, outcome
    if outcome == VisitOutcome.REFUSED:
        visit.next_step = next_step or NextStep.LETTER
    if report:
        visit.report, visit.report_written_at, visit.report_by = report, now, by
    _saved(
        visit,
        "status",
        "outcome",
        "next_step",
        "checked_out_at",
        "checked_out_by",
        "contact",
        "report",
        "report_written_at",
        "report_by",
    )
    _audit(visit, by=by, ip=ip, fields=["status", "outcome", *(["report"] if report else [])])
    return visit


def _contact_note(outcome: str, report: str) -> str:
    heading = stored_text(f"【{_('訪問')}: {VisitOutcome(outcome).label}】")
    return f"{heading}\n{report}" if report else heading


@transaction.atomic
def visit_report_write(
    *, visit: HomeVisit, by: User, report: str, expected_version: int, ip: str | None = None
) -> HomeVisit:
    """Write or correct the report after the visit; the contact entry's note follows."""
    visit = _locked(visit, expected_version)
    _refuse_unless_may_act(visit, by)
    _check_status(visit, (VisitStatus.DONE,), _("結果を記録してから訪問記録を書いてください。"))
    report = report.strip()
    if not report:
        raise ValidationError({"report": _("訪問記録を入力してください。")})
    visit.report, visit.report_written_at, visit.report_by = report, timezone.now(), by
    _saved(visit, "report", "report_written_at", "report_by")
    if visit.contact is not None:
        case_services.contact_correct(
            entry=visit.contact,
            by=by,
            changes={"note": _contact_note(visit.outcome, report)},
            ip=ip,
        )
    _audit(visit, by=by, ip=ip, fields=["report"])
    return visit


# --- calling a visit off ------------------------------------------------------------------------


def _call_off(
    visit: HomeVisit,
    status: str,
    reason: str,
    *,
    by: User,
    ip: str | None,
    next_step: str = "",
) -> None:
    visit.status, visit.status_reason = status, reason
    if next_step:
        visit.next_step = next_step
    _saved(visit, "status", "status_reason", "next_step")
    bookings_release(visit=visit)
    _audit(visit, by=by, ip=ip, fields=["status", "status_reason"])


@transaction.atomic
def visit_call_off(
    *,
    visit: HomeVisit,
    by: User,
    status: str,
    reason: str,
    next_step: str = "",
    ip: str | None = None,
) -> HomeVisit:
    """Cancel, postpone or mark a visit missed, with the reason; the staff's time is freed.
    A postponed visit gets its new date through `visit_update`."""
    if status not in (VisitStatus.CANCELLED, VisitStatus.POSTPONED, VisitStatus.MISSED):
        raise ValidationError({"status": _("中止・延期・未実施のいずれかを選んでください。")})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("理由を入力してください。")})
    visit = _locked(visit)
    allowed = [VisitStatus.PLANNED, VisitStatus.ANNOUNCED, VisitStatus.CONFIRMED]
    if status == VisitStatus.CANCELLED:
        allowed.append(VisitStatus.POSTPONED)
    _check_status(visit, allowed, _("この訪問は中止・延期できる状態ではありません。"))
    if status == VisitStatus.MISSED and visit.starts_at > timezone.now():
        raise ValidationError(
            {"status": _("まだ予定の時刻になっていない訪問は未実施にできません。")}
        )
    _call_off(visit, status, reason, by=by, ip=ip, next_step=next_step)
    return visit


def visits_of_closed_case_cancel(*, case: Case, by: User, ip: str | None = None) -> int:
    """A case closed (the person died, moved, declined support): its visits still ahead are
    cancelled, their staff freed, and no reminder goes out about them. One under way is left
    to its check-out: its staff are still out there."""
    cancelled = 0
    ahead = HomeVisit.objects.select_related("case", "centre").filter(
        case=case,
        status__in=[
            VisitStatus.PLANNED,
            VisitStatus.ANNOUNCED,
            VisitStatus.CONFIRMED,
            VisitStatus.POSTPONED,
        ],
    )
    for visit in ahead.select_for_update(of=("self",)):
        _call_off(visit, VisitStatus.CANCELLED, stored_text(_("ケースの終結")), by=by, ip=ip)
        cancelled += 1
    return cancelled
