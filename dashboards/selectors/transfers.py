"""Reads for the transfer screens: who may hand over and who may take cases at a centre,
with their open caseloads, in one query whatever the number of cases."""

from __future__ import annotations

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from accounts import access
from accounts.models import Centre, User
from cases.models import Case, case_owners
from cases.services.transfer import CASELOAD_STATUSES

# What the screens show of a person: the name, not the whole row (the password hash).
_PERSON_FIELDS = ("id", "username", "display_name", "first_name", "last_name", "is_active")


def transfer_people(centre: Centre) -> list[User]:
    """Everyone who holds open cases at the centre (a counsellor who has left included) and
    everyone who may take them (`case_owners`), each with `open_caseload` (open or paused
    cases at this centre) and `is_owner`; by name."""
    caseload = (
        Case.objects.filter(
            centre=centre, primary_counsellor=OuterRef("pk"), status__in=CASELOAD_STATUSES
        )
        .order_by()
        .values("primary_counsellor")
        .annotate(n=Count("id"))
        .values("n")
    )
    owners = case_owners(centre).filter(pk=OuterRef("pk")).order_by().values("pk")
    people: QuerySet[User] = (
        User.objects.only(*_PERSON_FIELDS)
        .annotate(
            open_caseload=Coalesce(Subquery(caseload, output_field=IntegerField()), 0),
            is_owner=Exists(owners),
        )
        .filter(Q(is_owner=True) | Q(open_caseload__gt=0))
        .order_by("display_name", "id")
    )
    return list(people)


def move_target_centres(user: User, case: Case) -> list[Centre]:
    """The other centres a case may move to: those the user belongs to (all, for an
    administrator)."""
    return list(access.user_centres(user).exclude(pk=case.centre_id).order_by("name", "id"))


def owners_of(centre: Centre | int, *, besides: int | None = None) -> list[User]:
    """Who may take a case of the centre (`case_owners`), but `besides`, by name."""
    return list(case_owners(centre).exclude(pk=besides or 0).only(*_PERSON_FIELDS))
