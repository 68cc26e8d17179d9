"""The one place that decides which records a user may see.

Every view fetches centre-owned records through these helpers. A record of another centre is
reported as missing (404), never as forbidden (403): a 403 would confirm that it exists.
Role checks inside the user's own centre raise PermissionDenied (403) as usual.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest

from accounts.models import Centre, Role, User

M = TypeVar("M", bound=Model)


class AuthenticatedHttpRequest(HttpRequest):
    """What views behind the login requirement receive: `user` is a real User."""

    user: User  # type: ignore[assignment]


_ALL = frozenset(Role)
# Who works on cases: the system administrator is not among them (issue 15, least
# privilege). The admin role administers users and centres; case content (names, notes,
# households, visits, ibasho visitors, health) reaches it only through break-glass
# (cases.access), with a written reason, audited and time-limited. What an admin keeps is
# what carries no case content: counts (dashboard, statistics), the disposal log (case
# numbers and dates) and the security events about users.
_CENTRE_ROLES = frozenset({Role.STAFF, Role.COUNSELLOR, Role.MANAGER})
_CASEWORK = frozenset({Role.COUNSELLOR, Role.MANAGER})
_MANAGERS = frozenset({Role.MANAGER})
_OVERSIGHT = frozenset({Role.MANAGER, Role.ADMIN})

# What each role may do inside its own centre(s). Staff log cases, contacts and ibasho;
# counsellors own casework; managers oversee the centre.
PERMISSIONS: dict[str, frozenset[str]] = {
    "case.view": _CENTRE_ROLES,
    "case.create": _CENTRE_ROLES,
    "case.edit": _CASEWORK,
    # 要配慮個人情報 (diagnosis, medical status): the role may see it, and then only of the
    # cases cases.access.can_see_sensitive allows (assigned, shared, or the centre opened it).
    "case.view_sensitive": _CASEWORK,
    # Health data: assessment scores, the above-cut-off badge, the self-harm flag. Staff see
    # that an assessment exists (instrument and date) and, where the centre allows, that a
    # risk is recorded.
    "case.view_health": _CASEWORK,
    # A manager shares one case's 要配慮個人情報 with a counsellor of the centre.
    "case.share_sensitive": _MANAGERS,
    # Opening a case outside one's normal reach, with a reason (cases.access).
    "case.break_glass": _OVERSIGHT,
    "case.change_status": _CASEWORK,
    "contact.add": _CENTRE_ROLES,
    "assessment.add": _CASEWORK,
    "plan.edit": _CASEWORK,
    "referral.edit": _CASEWORK,
    "consent.edit": _CASEWORK,
    # Families: staff record households and run family classes; health and care notes of a
    # member are sensitive data, as the case's own.
    "family.view": _CENTRE_ROLES,
    "family.edit": _CENTRE_ROLES,
    "family.view_sensitive": _CASEWORK,
    "family.contingency_edit": _CASEWORK,
    "programme.view": _CENTRE_ROLES,
    "programme.manage": _CENTRE_ROLES,
    "programme.attendance": _CENTRE_ROLES,
    "risk8050.view": _MANAGERS,
    # The ibasho: staff run sessions and check people in at the door; linking a walk-in to a
    # case rests on the person's consent, which is casework.
    "ibasho.view": _CENTRE_ROLES,
    "ibasho.checkin": _CENTRE_ROLES,
    "ibasho.manage": _CENTRE_ROLES,
    "ibasho.link_walk_in": _CASEWORK,
    # Home visits: staff see the calendar and may be the second person on a visit (they then
    # read the briefing and check in and out as assignees); counsellors plan and record them;
    # only a manager sets a rule aside, for an emergency.
    "visit.view": _CENTRE_ROLES,
    "visit.manage": _CASEWORK,
    "visit.override": _MANAGERS,
    # A visit whose check-out is overdue is about the staff's safety: the administrator stays
    # the last one alerted when a centre has no manager (outreach.services.visits_watch).
    "visit.safety": _OVERSIGHT,
    # Community work (lectures, trainings, meetings with other agencies): everyone records
    # it; which cases a meeting discussed is casework (a support conference's confidentiality).
    "community.view": _CENTRE_ROLES,
    "community.manage": _CENTRE_ROLES,
    "community.view_cases": _CASEWORK,
    "community.link_case": _CASEWORK,
    # The case audit trail names the case and who read it: case content, managers only.
    "audit.view": _MANAGERS,
    "escalations.view": _MANAGERS,
    "notifications.view_failed": _MANAGERS,
    # The managers' dashboard of a centre (or of all the user's centres): counts.
    "dashboard.view": _OVERSIGHT,
    # The centre's monthly and fiscal-year statistics, and their CSV/XLSX exports: counts.
    "statistics.view": _OVERSIGHT,
    # Handing cases over (one case, a leaving counsellor's caseload, a move to another centre).
    "caseload.transfer": _MANAGERS,
    # The centre's book exported back (cases, contact log, family members as CSV/XLSX), so a
    # centre is never locked in: the whole centre's records at once, hence oversight only.
    "records.export": _MANAGERS,
    # Importing the centre's spreadsheets (cases, contact log, family members): writes a whole
    # centre's records at once, so oversight only.
    "records.import": _MANAGERS,
    # Security events about the centre's users (e.g. probing other centres' ids), and the
    # break-glass openings of the centre's cases.
    "security.view": _OVERSIGHT,
    # Retention (APPI): a legal hold keeps a closed case from disposal; the disposal log (case
    # numbers and dates, never a name) is the centre's accountability, hence oversight only.
    "case.legal_hold": _MANAGERS,
    "records.disposal_view": _OVERSIGHT,
}


def can(user: User | Any, action: str) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return user.role in PERMISSIONS[action]


def require(user: User, action: str) -> None:
    if not can(user, action):
        raise PermissionDenied(action)


def permission_required(action: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            require(request.user, action)  # type: ignore[arg-type]
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def _centres(user: User) -> list[tuple[int, str]]:
    """The id and name of each centre whose records the user may see, by name: one query,
    cached on the user for the request (every page needs the ids, and the menu the names)."""
    cached = getattr(user, "_tsunagu_centres", None)
    if cached is None:
        source = Centre.objects.all() if user.sees_all_centres else user.centres.all()
        cached = list(source.order_by("name", "id").values_list("id", "name"))
        user._tsunagu_centres = cached  # type: ignore[attr-defined]
    return cached


def centre_ids(user: User) -> list[int]:
    """The centres whose records the user may see."""
    return [pk for pk, _name in _centres(user)]


def centre_names(user: User) -> list[str]:
    return [name for _pk, name in _centres(user)]


def user_centres(user: User) -> QuerySet[Centre]:
    return Centre.objects.filter(id__in=centre_ids(user))


def user_centres_or_404(user: User) -> list[Centre]:
    """The user's centres, by id, for a form that creates something in one of them: a user
    of no centre has nowhere to create it (404)."""
    centres = list(user_centres(user).order_by("id"))
    if not centres:
        raise Http404
    return centres


def scoped[M: Model](
    queryset: QuerySet[M], user: User, *, centre_field: str = "centre"
) -> QuerySet[M]:
    """Restrict any centre-owned queryset to what the user may see."""
    if not getattr(user, "is_authenticated", False):
        return queryset.none()
    return queryset.filter(**{f"{centre_field}__in": centre_ids(user)})


class OtherCentreRecord(Http404):
    """The record exists, in a centre the user may not see: to the user a 404 like any
    other; a run of them is probing (accounts.probing, via ProbeWatchMiddleware)."""

    def __init__(self, model: str, pk: Any) -> None:
        super().__init__()
        self.model, self.pk = model, str(pk)


def get_for_user[M: Model](
    queryset: QuerySet[M], user: User, pk: Any, *, centre_field: str = "centre"
) -> M:
    try:
        return scoped(queryset, user, centre_field=centre_field).get(pk=pk)
    except (ObjectDoesNotExist, ValueError, TypeError) as exc:
        # Only on the way to a 404: one more query, to tell another centre's record apart.
        if isinstance(exc, ObjectDoesNotExist) and getattr(user, "is_authenticated", False):
            elsewhere = queryset.model._base_manager.filter(pk=pk).exclude(
                **{f"{centre_field}__in": centre_ids(user)}
            )
            if elsewhere.exists():
                raise OtherCentreRecord(queryset.model._meta.label_lower, pk) from exc
        raise Http404 from exc
