from django.urls import include, path

app_name = "dashboards"
urlpatterns = [
    # The counsellor's day (their home page).
    path("my-day/", include("dashboards.urls_my_day")),
    # The managers' dashboard: every number links to the list behind it.
    path("centre/", include("dashboards.urls_manager")),
    # Monthly and fiscal-year statistics, with CSV/XLSX export and a print page.
    path("statistics/", include("dashboards.urls_statistics")),
    # Reassigning one case, or a leaving counsellor's whole caseload; moving a case to
    # another centre.
    path("transfers/", include("dashboards.urls_transfers")),
]
