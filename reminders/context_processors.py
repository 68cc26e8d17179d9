from django.http import HttpRequest

from accounts import access
from reminders import selectors


def reminders(request: HttpRequest) -> dict[str, object]:
    """The inbox badge for everyone; for managers, a banner when the sweep has stopped."""
    user = request.user
    if not user.is_authenticated:
        return {}
    context: dict[str, object] = {"inbox_unread": selectors.unread_count(user)}  # type: ignore[arg-type]
    if access.can(user, "escalations.view"):
        context["sweep_stale"] = selectors.sweep_is_stale()
    return context
