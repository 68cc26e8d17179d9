from django.contrib import admin
from django.urls import include, path

from reminders.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("", include("accounts.urls")),
    path("cases/", include("cases.urls")),
    path("reminders/", include("reminders.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
