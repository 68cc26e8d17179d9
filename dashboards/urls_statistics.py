"""The centre's statistics (a month or a fiscal year), included at /dashboards/statistics/."""

from django.urls import path

from dashboards.views import statistics as views

urlpatterns = [
    path("", views.statistics, name="statistics"),
    path("print/", views.statistics_print, name="statistics_print"),
    path("export.csv", views.statistics_csv, name="statistics_csv"),
    path("export.xlsx", views.statistics_xlsx, name="statistics_xlsx"),
]
