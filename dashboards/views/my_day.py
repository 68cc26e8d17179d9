"""The counsellor's "my day" (今日の予定): their home page. Always the signed-in user's own
day (there is no user in the URL, so nobody can open another's). Every role may open it:
staff are on ibasho duties and may be the second person on a visit (they read its briefing
and check in), so their day of visits and duties is theirs to see too; the case cards are for
the roles that hold cases."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from accounts.access import AuthenticatedHttpRequest
from dashboards.selectors.my_day import my_day as my_day_of
from reminders.notification_texts import message_path
from reminders.notification_texts import render as render_notification


def my_day(request: AuthenticatedHttpRequest) -> HttpResponse:
    day = my_day_of(request.user)
    language = request.LANGUAGE_CODE  # type: ignore[attr-defined]
    unread = [
        (
            item,
            render_notification(item.kind, item.context, language)[0],
            message_path(item.context),
        )
        for item in day.unread.latest
    ]
    return render(request, "dashboards/my_day.html", {"day": day, "unread": unread})
