from django.urls import path

from records.views import disposal

urlpatterns = [
    # The disposal log of the user's centres, and its CSV.
    path("", disposal.disposal_log, name="disposal_log"),
    path("disposal-log.csv", disposal.disposal_log_csv, name="disposal_log_csv"),
]
