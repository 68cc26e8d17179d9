from django.urls import include, path

app_name = "outreach"
urlpatterns = [
    # The ibasho: the tablet check-in at the door, sessions and their series, walk-ins.
    path("ibasho/checkin/", include("outreach.urls_checkin")),
    path("ibasho/", include("outreach.urls_sessions")),
    path("ibasho/walk-ins/", include("outreach.urls_walk_ins")),
    # Home visits: planning, the visit page, briefing, check-in/out, outcome.
    path("visits/", include("outreach.urls_visits")),
    # The visits-and-duties calendar, and each user's private iCalendar feed.
    path("calendar/", include("outreach.urls_calendar")),
    # Community work: lectures, trainings, meetings with other agencies (and the cases discussed).
    path("community/", include("outreach.urls_community")),
]
