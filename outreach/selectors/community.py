"""Reads for the community work screens: the list of a month or a fiscal year with its totals
by kind, an activity's page (its staff, and the cases a meeting discussed), and the entries
on a case's timeline. Each runs a fixed number of queries, however many activities, staff or
cases there are."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from accounts import access
from accounts.models import Centre, User
from cases.models import Case
from outreach.models import ActivityKind, CommunityActivity, DiscussedCase

# What the pages show of a colleague: their name, never the whole row (the password hash).
_NAME_FIELDS = ("display_name", "first_name", "last_name", "username")
_STAFF = Prefetch("staff", queryset=User.objects.only(*_NAME_FIELDS).order_by("display_name", "id"))


def get_activity_for_user(user: User, pk: object) -> CommunityActivity:
    """The activity if one of the user's centres holds it, else 404."""
    return access.get_for_user(CommunityActivity.objects.select_related("centre"), user, pk)


def activity_list(
    user: User, *, first_day: dt.date, next_first_day: dt.date, kind: str = ""
) -> QuerySet[CommunityActivity]:
    """The activities of the user's centres held in the period (of one kind), newest first,
    each with its staff and the number of cases it discussed (one query a page, and one for
    the staff of that page)."""
    activities = access.scoped(CommunityActivity.objects.all(), user).filter(
        held_on__gte=first_day, held_on__lt=next_first_day
    )
    if kind:
        activities = activities.filter(kind=kind)
    return (
        activities.select_related("centre")
        .prefetch_related(_STAFF)
        .annotate(cases_discussed=Count("discussions"))
        .order_by("-held_on", "-starts_at", "-id")
    )


@dataclass
class KindTotal:
    kind: str
    label: str
    events: int
    audience: int


def activity_totals(user: User, *, first_day: dt.date, next_first_day: dt.date) -> list[KindTotal]:
    """Events and audience by kind over the period (every kind, whatever the list shows), the
    total last: one query."""
    activities = access.scoped(CommunityActivity.objects.all(), user).filter(
        held_on__gte=first_day, held_on__lt=next_first_day
    )
    aggregates: dict[str, Count | Sum] = {}
    for kind in ActivityKind:
        aggregates[f"{kind.value}_events"] = Count("id", filter=Q(kind=kind.value))
        aggregates[f"{kind.value}_audience"] = Sum("audience_count", filter=Q(kind=kind.value))
    result = activities.order_by().aggregate(**aggregates)
    rows = [
        KindTotal(
            kind.value,
            str(kind.label),
            result[f"{kind.value}_events"],
            result[f"{kind.value}_audience"] or 0,
        )
        for kind in ActivityKind
    ]
    total = KindTotal("", "", sum(row.events for row in rows), sum(row.audience for row in rows))
    return [*rows, total]


def activity_staff(activity: CommunityActivity) -> list[User]:
    return list(activity.staff.only(*_NAME_FIELDS).order_by("display_name", "id"))


def discussed_cases(activity: CommunityActivity) -> list[DiscussedCase]:
    """The cases the meeting discussed, by case number (one query). Only for the roles that
    may see them (`community.view_cases`): the view decides."""
    return list(
        activity.discussions.select_related("case__centre", "added_by").order_by("case__number")
    )


def discussed_count(activity: CommunityActivity) -> int:
    return activity.discussions.count()


def case_timeline_rows(case: Case) -> QuerySet[DiscussedCase]:
    """The meetings that discussed the case (the case timeline's branch: only this case's
    links, so the meeting's other cases are never read)."""
    return DiscussedCase.objects.filter(case=case)


def local_noon(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12, 0)))


def case_of_centre(user: User, centre: Centre, number: int) -> Case | None:
    """The centre's case with that number, if the user may see the centre's cases."""
    cases = access.scoped(Case.objects.select_related("centre"), user)
    return cases.filter(centre=centre, number=number).first()
