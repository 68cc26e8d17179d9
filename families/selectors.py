"""Reads for the household screens. Each runs a fixed number of queries, however many members
a household has."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import (
    Count,
    F,
    IntegerField,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce, JSONObject
from django.utils import timezone

from accounts import access
from accounts.models import Centre, User
from cases.choices import CaseStatus
from cases.models import Case, ContactEntry
from cases.services import normalise_for_search
from families import risk_8050
from families.models import (
    AttendanceStatus,
    ContingencyPlan,
    Enrolment,
    FamilyMember,
    FamilyProgramme,
    HouseholdLink,
    MemberContact,
    MemberStatus,
    ProgrammeSession,
    Relation,
)

# Parents first, then the rest in the order of the choices.
_RELATION_ORDER = {value: index for index, value in enumerate(Relation.values)}


@dataclass
class HouseholdRow:
    link: HouseholdLink
    contacts: int
    last_contact_at: dt.datetime | None

    @property
    def member(self) -> FamilyMember:
        return self.link.member

    @property
    def other_links(self) -> list[HouseholdLink]:
        """The member's links to other cases: what the panel shows of them (the case's
        number, the relation), read as JSON in the household's own query."""
        return [
            HouseholdLink(
                id=data["id"],
                relation=data["relation"],
                member_id=self.member.pk,
                case=Case(
                    id=data["case_id"],
                    number=data["number"],
                    centre=Centre(case_number_prefix=data["prefix"]),
                ),
            )
            for data in getattr(self.link, "other_links_data", None) or []
        ]


def household(case: Case) -> list[HouseholdRow]:
    """The case's household with each member's contacts for this case and their other
    cases (a mother of two withdrawn siblings): one query."""
    other_links = (
        HouseholdLink.objects.filter(member=OuterRef("member_id"))
        .exclude(case=case)
        .order_by("id")
        .values(
            data=JSONObject(
                id="id",
                relation="relation",
                case_id="case_id",
                number="case__number",
                prefix="case__centre__case_number_prefix",
            )
        )
    )
    # Each member's contacts about this case, counted in the links' own query.
    history = (
        MemberContact.objects.filter(member=OuterRef("member_id"), contact__case=case)
        .order_by()
        .values("member")
    )
    links = list(
        HouseholdLink.objects.filter(case=case)
        .select_related("member")
        .annotate(
            other_links_data=ArraySubquery(other_links),
            contact_count=Coalesce(
                Subquery(history.annotate(n=Count("id")).values("n"), output_field=IntegerField()),
                0,
            ),
            last_contact_at=Subquery(
                history.annotate(last=Max("contact__occurred_at")).values("last")
            ),
        )
    )
    rows = [
        HouseholdRow(link, link.contact_count, link.last_contact_at)  # type: ignore[attr-defined]
        for link in links
    ]
    rows.sort(
        key=lambda row: (
            not row.member.is_present,
            _RELATION_ORDER.get(row.link.relation, 99),
            row.link.pk,
        )
    )
    return rows


def household_members(case: Case) -> QuerySet[FamilyMember]:
    """The living members of the case's household, each with `relation` to this case's
    person (the choices of a contact with a member)."""
    return (
        FamilyMember.objects.filter(links__case=case)
        .exclude(status=MemberStatus.DECEASED)
        .annotate(relation=F("links__relation"))
        .order_by("links__id")
    )


def member_links(member: FamilyMember) -> QuerySet[HouseholdLink]:
    """Every case the member belongs to (all of the member's centre)."""
    return (
        HouseholdLink.objects.filter(member=member)
        .select_related("case", "case__centre")
        .order_by("case__number")
    )


def contingency_plan(case: Case) -> ContingencyPlan | None:
    return ContingencyPlan.objects.filter(case=case).first()


def reasons_8050(case: Case, rows: list[HouseholdRow]) -> list[str]:
    return risk_8050.reasons(case, [row.link for row in rows])


def member_contacts(case: Case, member: FamilyMember) -> QuerySet[ContactEntry]:
    """This member's contacts with the centre about this case, newest first."""
    return (
        ContactEntry.objects.filter(case=case, family_member_link__member=member)
        .select_related("staff", "family_member_link")
        .order_by("-occurred_at", "-id")
    )


def linkable_members(case: Case, text: str, *, limit: int = 20) -> list[FamilyMember]:
    """Members of the case's centre, not yet in its household, whose name or furigana matches
    (hiragana and katakana, full and half width alike): siblings share a mother."""
    needle = normalise_for_search(text)
    if not needle:
        return []
    return list(
        FamilyMember.objects.filter(centre_id=case.centre_id, search_text__contains=needle)
        .exclude(status=MemberStatus.DECEASED)
        .exclude(links__case=case)
        .prefetch_related("links__case__centre")
        .order_by("family_name_kana", "given_name_kana", "id")[:limit]
    )


def cases_8050(user: User) -> QuerySet[Case]:
    """The user's centres' open 80/50 cases, those still without a contingency plan first."""
    return (
        access.scoped(Case.objects.filter(risk_8050=True), user)
        .exclude(status=CaseStatus.CLOSED)
        .select_related("centre", "primary_counsellor")
        .prefetch_related(
            Prefetch("household_links", queryset=HouseholdLink.objects.select_related("member"))
        )
        .annotate(has_plan=Count("contingency_plan"))
        .order_by("has_plan", "centre_id", "number")
    )


def missing_contingency_count(user: User) -> int:
    return cases_8050(user).filter(Q(contingency_plan__isnull=True)).count()


# --- family programmes (a fixed number of queries each, however many members and sessions)


def _count(queryset: QuerySet[Any]) -> Coalesce:
    """A correlated COUNT: counting two relations by joins would multiply their rows."""
    counted = queryset.order_by().values("programme").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def programme_list(user: User) -> QuerySet[FamilyProgramme]:
    upcoming = ProgrammeSession.objects.filter(
        programme=OuterRef("pk"), starts_at__gte=timezone.now()
    ).order_by("starts_at")
    return (
        access.scoped(FamilyProgramme.objects.all(), user)
        .select_related("centre")
        .prefetch_related(
            Prefetch("facilitators", queryset=User.objects.order_by("display_name", "id"))
        )
        .annotate(
            enrolled=_count(Enrolment.objects.filter(programme=OuterRef("pk"))),
            session_count=_count(ProgrammeSession.objects.filter(programme=OuterRef("pk"))),
            next_session_at=Subquery(upcoming.values("starts_at")[:1]),
        )
        .order_by("-starts_on", "-id")
    )


def members_with_cases(queryset: QuerySet[FamilyMember]) -> QuerySet[FamilyMember]:
    """Each member with their relation to each of their cases and its number: two queries."""
    links = HouseholdLink.objects.select_related("case__centre").order_by("case__number")
    return queryset.prefetch_related(Prefetch("links", queryset=links)).order_by(
        "family_name_kana", "given_name_kana", "family_name", "given_name", "id"
    )


def enrolled_members(programme: FamilyProgramme) -> list[FamilyMember]:
    return list(members_with_cases(FamilyMember.objects.filter(enrolment__programme=programme)))


def enrollable_members(
    programme: FamilyProgramme, text: str, *, limit: int = 20
) -> list[FamilyMember]:
    """Members of the programme's centre, not yet enrolled, whose name or furigana matches
    (hiragana and katakana, full and half width alike)."""
    needle = normalise_for_search(text)
    if not needle:
        return []
    found = (
        FamilyMember.objects.filter(centre_id=programme.centre_id, search_text__contains=needle)
        .exclude(status=MemberStatus.DECEASED)
        .exclude(enrolment__programme=programme)
    )
    return list(members_with_cases(found)[:limit])


def programme_sessions(programme: FamilyProgramme) -> list[ProgrammeSession]:
    attended = Q(attendance__status=AttendanceStatus.ATTENDED)
    return list(
        programme.sessions.annotate(
            attended=Count("attendance", filter=attended), recorded=Count("attendance")
        ).order_by("starts_at")
    )
