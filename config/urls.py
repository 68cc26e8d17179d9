from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from reminders.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("", include("accounts.urls")),
    path("cases/", include("cases.urls")),
    path("reminders/", include("reminders.urls")),
    path("families/", include("families.urls")),
    path("outreach/", include("outreach.urls")),
    path("records/", include("records.urls")),
    path("dashboards/", include("dashboards.urls")),
    # The switch is on the login page too: an English reader chooses before signing in.
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("admin/", admin.site.urls),
]
