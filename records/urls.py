from django.urls import include, path

app_name = "records"
urlpatterns = [
    # Spreadsheet import (dry run, then confirm the same file) and export of the same shapes.
    path("import/", include("records.urls_import")),
    # The printable case record for a support meeting or a handover.
    path("case-record/", include("records.urls_case_record")),
]
