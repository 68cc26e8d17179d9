"""The visits calendar (month and week) and each user's private iCalendar feed (included at
/outreach/calendar/). The feed's address holds its secret token and nothing else."""

from django.urls import path

from outreach.views import calendar as views
from outreach.views import feed

urlpatterns = [
    path("", views.visit_calendar_this_month, name="visit_calendar_this_month"),
    path("<int:year>/<int:month>/", views.visit_calendar_month, name="visit_calendar_month"),
    path(
        "week/<int:year>/<int:month>/<int:day>/",
        views.visit_calendar_week,
        name="visit_calendar_week",
    ),
    path("feed/", feed.calendar_feed, name="calendar_feed"),
    path("feed/rotate/", feed.calendar_feed_rotate, name="calendar_feed_rotate"),
    # A token is URL-safe base64 (secrets.token_urlsafe): anything else is no token at all.
    path("feed/<slug:token>.ics", feed.calendar_feed_ics, name="calendar_feed_ics"),
]
