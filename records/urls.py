from django.urls import include, path

app_name = "records"
urlpatterns = [
    # Spreadsheet import (dry run, then confirm the same file) and export of the same shapes.
    path("import/", include("records.urls_import")),
    # The centre's cases, contact log and family members as CSV/XLSX (never locked in).
    path("export/", include("records.urls_export")),
    # The printable case record for a support meeting or a handover.
    path("case-record/", include("records.urls_case_record")),
    # Retention (APPI): the log of the cases whose personal data were disposed of.
    path("disposal-log/", include("records.urls_disposal")),
]
