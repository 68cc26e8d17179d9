"""What a user may see of one case, on top of accounts.access (the role's permissions and
centres): the one place for the rules that depend on the case itself (issue 15).

- 要配慮個人情報 (the diagnosis, the medical status, household health notes): managers of the
  case's centre; counsellors only of the cases they work (primary or co-counsellor), of the
  cases a manager shared with them, or of every case when the centre opened it centre-wide.
- Health data (assessment scores, the above-cut-off badge, the self-harm flag): casework
  roles; staff see that an assessment exists and, where the centre allows, that a risk is
  recorded.
- Break-glass: an administrator (no case content by default) or a manager (for a case of a
  centre that is not theirs) opens a case read-only for a short window, giving a reason.

The per-user facts (a live share, an open break-glass window) are read as columns of the
case's own query (`access_columns`, used by cases.selectors.get_case_for_user), so a page asks
no extra query; a case fetched some other way costs one small query, cached on the case.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import access
from accounts.models import Role, User
from cases.models import BreakGlassGrant, Case, SensitiveShare

# What a break-glass window allows: reading the case, its sensitive and health data. Never a
# change: whoever breaks the glass looks, the centre's own staff act.
BREAK_GLASS_ACTIONS = frozenset({"case.view", "case.view_sensitive", "case.view_health"})

_SHARED = "access_shared"
_GLASS_UNTIL = "access_glass_until"
_UNSET = object()


def break_glass_window() -> dt.timedelta:
    return dt.timedelta(minutes=settings.BREAK_GLASS_MINUTES)


def _live_shares(user: User) -> Any:
    return SensitiveShare.objects.filter(user=user.pk, revoked_at__isnull=True)


def _open_grants(user: User) -> Any:
    # Python's clock, not the database's: the window closes when the application says so.
    return BreakGlassGrant.objects.filter(user=user.pk, expires_at__gt=timezone.now())


def access_columns(user: User | Any) -> dict[str, Any]:
    """The user's share and break-glass window on each case, as columns of the case query:
    only what the role can have (a counsellor's shares, an admin's or manager's grants)."""
    if not getattr(user, "is_authenticated", False):
        return {}
    columns: dict[str, Any] = {}
    if user.role == Role.COUNSELLOR:
        columns[_SHARED] = Exists(_live_shares(user).filter(case=OuterRef("pk")))
    if access.can(user, "case.break_glass"):
        grants = _open_grants(user).filter(case=OuterRef("pk")).order_by("-expires_at")
        columns[_GLASS_UNTIL] = Subquery(grants.values("expires_at")[:1])
    return columns


def _cached(case: Case, name: str, compute: Any) -> Any:
    value = getattr(case, name, _UNSET)
    if value is _UNSET:
        value = compute()
        setattr(case, name, value)
    return value


def break_glass_until(user: User, case: Case) -> dt.datetime | None:
    """The end of the user's open break-glass window on the case, None when there is none."""
    if not access.can(user, "case.break_glass"):
        return None
    until = _cached(
        case,
        _GLASS_UNTIL,
        lambda: (
            _open_grants(user)
            .filter(case=case.pk)
            .order_by("-expires_at")
            .values_list("expires_at", flat=True)
            .first()
        ),
    )
    # Read at the start of the request; a window that closed since is closed.
    return until if until is not None and until > timezone.now() else None


def in_reach(user: User, case: Case) -> bool:
    """The case is of one of the user's centres (no query: the ids are cached per request)."""
    return case.centre_id in access.centre_ids(user)


def permits(user: User, case: Case, action: str) -> bool:
    """The role may do `action` on this case: in the user's centres by the role's permissions,
    or read-only through an open break-glass window."""
    if in_reach(user, case) and access.can(user, action):
        return True
    return action in BREAK_GLASS_ACTIONS and break_glass_until(user, case) is not None


def require(user: User, case: Case, action: str) -> None:
    if not permits(user, case, action):
        raise PermissionDenied(action)


def is_shared_with(user: User, case: Case) -> bool:
    return bool(_cached(case, _SHARED, lambda: _live_shares(user).filter(case=case.pk).exists()))


def can_see_sensitive(user: User, case: Case, *, permission: str = "case.view_sensitive") -> bool:
    """The one rule for 要配慮個人情報 of a case: the case page's tab, the sensitive page, the
    printed record, the household members' health notes (`permission` then
    family.view_sensitive), the export's sensitive columns."""
    if not getattr(user, "is_authenticated", False):
        return False
    if in_reach(user, case) and access.can(user, permission):
        if user.role != Role.COUNSELLOR:  # a manager: every case of the centre
            return True
        if user.pk in (case.primary_counsellor_id, case.co_counsellor_id):
            return True
        if case.centre.sensitive_open_to_centre or is_shared_with(user, case):
            return True
    return break_glass_until(user, case) is not None


def can_see_health(user: User, case: Case) -> bool:
    """Assessment scores, the above-cut-off badge, the self-harm flag."""
    return getattr(user, "is_authenticated", False) and permits(user, case, "case.view_health")


def risk_flags_for(user: User, case: Case, *, health: bool | None = None) -> list[str]:
    """The case's risk badges as this user may see them: the self-harm flag is health data;
    without the permission it is left out, or shown as "a risk is recorded" where the centre
    lets its staff know. `health` when the caller already decided it (a list, by role)."""
    if health is None:
        health = can_see_health(user, case)
    if health:
        return case.risk_flags
    flags = case.risk_flags_without_self_harm
    if case.risk_self_harm and case.centre.risk_flag_visible_to_staff:
        flags.insert(0, _("要配慮のリスクあり"))
    return flags
