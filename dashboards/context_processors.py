"""What the top of every page shows beyond the menu: the inbox badge; for the roles that
watch them, the stopped-sweep banner and the overdue visit check-outs banner.

One statement for all three (issue 13: every page ≤ 12 queries), read the first time a
template asks; a partial page (htmx) that shows none of them costs no query. It lives in the
top layer because it reads reminders and outreach alike; each count's definition stays in its
own app's selectors."""

from __future__ import annotations

from functools import cached_property
from typing import Any, cast

from django.db.models import F, Func, IntegerField, QuerySet, Subquery
from django.http import HttpRequest

from accounts import access
from accounts.models import User
from outreach.selectors.visits import checkout_alerted
from reminders.selectors import completion_is_stale, last_sweep_completed, unread


def _count(queryset: QuerySet[Any]) -> Subquery:
    """The number of rows, as a scalar subquery (COUNT without a GROUP BY)."""
    counted = queryset.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")
    return Subquery(counted, output_field=IntegerField())


class PageHeader:
    def __init__(self, user: User) -> None:
        self.user = user
        self.watches_sweep = access.can(user, "escalations.view")
        self.watches_visits = access.can(user, "visit.safety")

    @cached_property
    def _row(self) -> dict[str, Any]:
        read: dict[str, Any] = {"inbox": _count(unread(self.user))}
        if self.watches_sweep:
            read["sweep_completed"] = Subquery(last_sweep_completed())
        if self.watches_visits:
            read["checkouts"] = _count(checkout_alerted(self.user))
        return cast(dict[str, Any], User.objects.filter(pk=self.user.pk).values(**read).get())

    @property
    def inbox_unread(self) -> int:
        return self._row["inbox"]

    @property
    def sweep_stale(self) -> bool:
        return self.watches_sweep and completion_is_stale(self._row["sweep_completed"])

    @property
    def checkouts_overdue(self) -> int:
        return self._row["checkouts"] if self.watches_visits else 0


def page_header(request: HttpRequest) -> dict[str, object]:
    user = request.user
    if not user.is_authenticated:
        return {}
    return {"header": PageHeader(user)}  # type: ignore[arg-type]
