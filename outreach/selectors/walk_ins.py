"""Reads for the walk-in pages: the centre's visitors known by a nickname, their visits, and the
cases a walk-in may be linked to. Each runs a fixed number of queries."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, F, Max, Min, Q, QuerySet

from accounts import access
from accounts.models import User
from cases.choices import CaseStatus
from cases.filters import CASE_NUMBER
from cases.models import Case
from cases.services import normalise_for_search
from outreach.models import IbashoAttendance, WalkIn

CASE_SEARCH_LIMIT = 20


def _with_visits(queryset: QuerySet[WalkIn]) -> QuerySet[WalkIn]:
    return queryset.annotate(
        visits=Count("attendances"),
        first_visit_at=Min("attendances__arrived_at"),
        last_visit_at=Max("attendances__arrived_at"),
    )


def unlinked_walk_ins(user: User) -> QuerySet[WalkIn]:
    """The user's centres' walk-ins not (yet) linked to a case, the latest visitors first."""
    return (
        _with_visits(access.scoped(WalkIn.objects.filter(case__isnull=True), user))
        .select_related("centre")
        .order_by(F("last_visit_at").desc(nulls_last=True), "-id")
    )


def linked_walk_ins(user: User) -> QuerySet[WalkIn]:
    """Walk-ins already linked to a case, the latest link first (where a link is undone)."""
    return (
        _with_visits(access.scoped(WalkIn.objects.filter(case__isnull=False), user))
        .select_related("centre", "case__centre", "linked_by")
        .order_by("-linked_at", "-id")
    )


def get_walk_in_for_user(user: User, pk: Any) -> WalkIn:
    """The walk-in if one of the user's centres has it, else 404."""
    queryset = WalkIn.objects.select_related("centre", "case__centre", "consent", "linked_by")
    return access.get_for_user(queryset, user, pk)


def walk_in_visits(walk_in: WalkIn) -> QuerySet[IbashoAttendance]:
    """Every visit of the walk-in (also those moved to the case once linked), newest first."""
    return walk_in.attendances.select_related("session").order_by("-arrived_at", "-id")


def linkable_cases_queryset(walk_in: WalkIn) -> QuerySet[Case]:
    """The cases a walk-in may be linked to: its own centre's, not closed (a closed case is
    reopened first: a return after closure is a new episode)."""
    return (
        Case.objects.filter(centre_id=walk_in.centre_id)
        .exclude(status=CaseStatus.CLOSED)
        .select_related("centre", "primary_counsellor")
    )


def linkable_cases(walk_in: WalkIn, text: str) -> list[Case]:
    """The walk-in's centre's cases whose name or furigana (hiragana and katakana, full and
    half width alike) contains the text, or whose case number it is."""
    text = text.strip()
    needle = normalise_for_search(text)
    if not needle:
        return []
    condition = Q(search_text__contains=needle)
    number = CASE_NUMBER.match(text.replace(" ", ""))
    if number:
        condition |= Q(number=int(number.group(1)))
    return list(
        linkable_cases_queryset(walk_in).filter(condition).order_by("number")[:CASE_SEARCH_LIMIT]
    )
