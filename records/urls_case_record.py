from django.urls import path

from records.views import case_record

urlpatterns = [
    # Choose the sections and the contact log's period, then the A4 print page.
    path("<int:pk>/", case_record.case_record_choose, name="case_record"),
    path("<int:pk>/print/", case_record.case_record_print, name="case_record_print"),
]
