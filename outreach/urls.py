from django.urls import include, path

app_name = "outreach"
urlpatterns = [
    # The ibasho: the tablet check-in at the door, sessions and their series, walk-ins.
    path("ibasho/checkin/", include("outreach.urls_checkin")),
    path("ibasho/", include("outreach.urls_sessions")),
    path("ibasho/walk-ins/", include("outreach.urls_walk_ins")),
]
