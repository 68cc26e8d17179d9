"""The red safety banner: for the roles that watch over visits (managers, admins), the visits
of their centres whose check-out is overdue and has been alerted, until someone checks out."""

from __future__ import annotations

from functools import cached_property

from django.http import HttpRequest

from accounts import access
from accounts.models import User
from outreach.selectors.visits import checkout_alerted_count


class CheckoutAlerts:
    """Counted the first time a template asks (one small query), never for a partial page
    that does not show the banner."""

    def __init__(self, user: User) -> None:
        self.user = user

    @cached_property
    def count(self) -> int:
        return checkout_alerted_count(self.user)


def visit_safety(request: HttpRequest) -> dict[str, object]:
    user = request.user
    if not user.is_authenticated or not access.can(user, "visit.safety"):
        return {}
    return {"visit_checkout_alerts": CheckoutAlerts(user)}  # type: ignore[arg-type]
