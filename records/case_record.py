"""The printable case record (ケース記録票) for a 支援会議 or a handover: which sections each role
may print, and the reads that fill them.

It composes what the case page and its household panel already read (cases.selectors,
families.selectors) rather than reading the case again its own way, and runs a fixed number of
queries whatever the case holds: the case with its plan, milestones, consents (and, when
printed, its sensitive record) in one; the household in two; one each for the contingency
plan, the assessments, the referrals and the period's contacts, when printed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import access
from accounts.models import User
from cases import access as case_access
from cases import selectors as case_selectors
from cases.models import (
    Assessment,
    Case,
    CaseSensitiveInfo,
    Consent,
    ContactEntry,
    Milestone,
    Referral,
    SupportPlan,
)
from families import selectors as family_selectors
from families.models import ContingencyPlan
from families.selectors import HouseholdRow

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


@dataclass(frozen=True)
class Section:
    """A part of the printed record, offered to (and printed for) only the roles that hold
    `permission`: the same permission that guards it on the case page or household panel.
    `sensitive` sections hold 要配慮個人情報 and are left unticked until chosen."""

    key: str
    label: StrOrPromise
    permission: str
    sensitive: bool = False


FACTS = "facts"
HOUSEHOLD = "household"
FAMILY_HEALTH = "family_health"
CONTINGENCY = "contingency"
PLAN = "plan"
ASSESSMENTS = "assessments"
REFERRALS = "referrals"
SENSITIVE = "sensitive"
CONTACTS = "contacts"

# In the order they are printed. The case number, name, risk flags and the person-aware
# warning head every record: they are what keeps a reader from harming the person.
SECTIONS: tuple[Section, ...] = (
    Section(FACTS, _("基本情報"), "case.view"),
    Section(HOUSEHOLD, _("世帯・家族"), "family.view"),
    Section(FAMILY_HEALTH, _("家族の健康・介護の状況（要配慮）"), "family.view_sensitive", True),
    # Its content is seen (on its form) only by those who may write it.
    Section(CONTINGENCY, _("緊急時の備え（8050世帯）"), "family.contingency_edit"),
    Section(PLAN, _("支援計画・小さな一歩"), "case.view"),
    # Scores of mental-health instruments (HQ-25, GAF...) are health data: the same permission
    # as on the case page (case.view_health); on paper, which leaves the centre, they go with
    # the other sensitive sections (unticked until chosen).
    Section(ASSESSMENTS, _("アセスメントの得点（要配慮）"), "case.view_health", True),
    Section(REFERRALS, _("つなぎ・同意"), "case.view"),
    Section(
        SENSITIVE, _("要配慮個人情報（併存する状態・診断・医療）"), "case.view_sensitive", True
    ),
    Section(CONTACTS, _("相談記録（期間を指定）"), "case.view"),
)
SECTION_KEYS = tuple(section.key for section in SECTIONS)

# A contact log longer than this in the chosen period is cut to its newest entries (the
# record says so): hundreds of A4 pages help no meeting.
CONTACT_LIMIT = 1000


# The sections holding 要配慮個人情報 of the case or its household: printed, like the case
# page's tab and the household's health notes, only by those cases.access lets see it
# (assigned, shared, the centre opened it, a manager).
PER_CASE_SENSITIVE = frozenset({SENSITIVE, FAMILY_HEALTH})


def sections_for(user: User, case: Case | None = None) -> list[Section]:
    """The sections the user's role may print, in print order; given the case, only those
    the user may see of that case (the page and the print agree)."""
    sections = [section for section in SECTIONS if access.can(user, section.permission)]
    if case is not None and not case_access.can_see_sensitive(user, case):
        sections = [section for section in sections if section.key not in PER_CASE_SENSITIVE]
    return sections


def default_sections(sections: list[Section]) -> list[str]:
    """Ticked at first: everything offered but the sensitive sections (chosen on purpose)."""
    return [section.key for section in sections if not section.sensitive]


def default_period(today: dt.date) -> tuple[dt.date, dt.date]:
    """The last twelve months, today included (29 February's year-ago is the 28th)."""
    try:
        since = today.replace(year=today.year - 1)
    except ValueError:
        since = today.replace(year=today.year - 1, day=28)
    return since + dt.timedelta(days=1), today


def printable_case(user: User, pk: object, *, with_sensitive: bool) -> Case:
    """The case as the case page reads it (another centre's: 404), its sensitive record
    joined only when it is to be printed."""
    return case_selectors.get_case_for_user(
        user, pk, case_selectors.case_page_queryset(with_sensitive=with_sensitive)
    )


def period_contacts(case: Case, since: dt.date, until: dt.date) -> tuple[list[ContactEntry], bool]:
    """The contacts from `since` to `until` (whole days, Asia/Tokyo), oldest first, as a
    record is read; at most CONTACT_LIMIT (the newest), and whether some were left out."""
    start = timezone.make_aware(dt.datetime.combine(since, dt.time.min))
    end = timezone.make_aware(dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min))
    newest_first = list(
        case_selectors.case_contacts(case).filter(occurred_at__gte=start, occurred_at__lt=end)[
            : CONTACT_LIMIT + 1
        ]
    )
    truncated = len(newest_first) > CONTACT_LIMIT
    return list(reversed(newest_first[:CONTACT_LIMIT])), truncated


def case_assessments(case: Case) -> list[Assessment]:
    """Every assessment, newest first (the case page's tab shows the same)."""
    return list(case.assessments.order_by("-assessed_on", "-created_at"))


def case_referrals(case: Case) -> list[Referral]:
    """Every referral with the consent it rests on, newest first."""
    return list(case.referrals.select_related("consent").order_by("-referred_on", "-id"))


@dataclass
class CaseRecord:
    """What one printed record holds. A section not chosen stays empty and unread."""

    case: Case
    sections: tuple[str, ...]
    since: dt.date
    until: dt.date
    printed_at: dt.datetime
    printed_by: User
    plan: SupportPlan | None = None
    milestones: list[Milestone] = field(default_factory=list)
    consents: list[Consent] = field(default_factory=list)
    referrals: list[Referral] = field(default_factory=list)
    assessments: list[Assessment] = field(default_factory=list)
    household: list[HouseholdRow] = field(default_factory=list)
    reasons_8050: list[str] = field(default_factory=list)
    contingency: ContingencyPlan | None = None
    contacts: list[ContactEntry] = field(default_factory=list)
    contacts_truncated: bool = False
    sensitive: CaseSensitiveInfo | None = None
    # The risk badges heading the record, as the case page shows them to this user.
    risk_flags: list[str] = field(default_factory=list)

    @property
    def health_notes(self) -> list[HouseholdRow]:
        """The members whose health and care notes are written."""
        return [row for row in self.household if row.member.health_notes]

    @property
    def show(self) -> dict[str, bool]:
        """{"plan": True, ...}: what the template prints."""
        return dict.fromkeys(self.sections, True)


def case_record(
    case: Case, *, user: User, sections: list[str], since: dt.date, until: dt.date
) -> CaseRecord:
    """The record of `case` (read by `printable_case`) with the chosen sections. A section the
    user's role may not print is refused here too, whatever the form let through."""
    allowed = {section.key for section in sections_for(user, case)}
    if not set(sections) <= allowed:
        raise PermissionDenied("case_record.section")
    chosen = tuple(key for key in SECTION_KEYS if key in sections)
    record = CaseRecord(
        case=case,
        sections=chosen,
        since=since,
        until=until,
        printed_at=timezone.localtime(),
        printed_by=user,
        risk_flags=case_access.risk_flags_for(user, case),
    )
    if PLAN in chosen:
        record.plan, record.milestones = case_selectors.case_page_plan(case)
    if REFERRALS in chosen:
        record.consents = case_selectors.case_page_consents(case)
        record.referrals = case_referrals(case)
    if ASSESSMENTS in chosen:
        record.assessments = case_assessments(case)
    if SENSITIVE in chosen:
        record.sensitive = getattr(case, "sensitive", None)  # joined; None when never written
    if HOUSEHOLD in chosen or FAMILY_HEALTH in chosen:
        record.household = family_selectors.household(case)
        record.reasons_8050 = family_selectors.reasons_8050(case, record.household)
    if CONTINGENCY in chosen and case.risk_8050:
        record.contingency = family_selectors.contingency_plan(case)
    if CONTACTS in chosen:
        record.contacts, record.contacts_truncated = period_contacts(case, since, until)
    return record
