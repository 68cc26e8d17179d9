"""Handing cases over, included at /dashboards/transfers/: a leaving counsellor's caseload,
one case to another counsellor, a case to another centre. Ids only in the URLs."""

from django.urls import path

from dashboards.views import transfers as views

urlpatterns = [
    path("caseload/", views.caseload_transfer, name="caseload_transfer"),
    path("case/<int:pk>/reassign/", views.case_reassign, name="case_reassign"),
    path("case/<int:pk>/move/", views.case_move, name="case_move"),
    path("case/<int:pk>/move/<int:centre_pk>/", views.case_move_to, name="case_move_to"),
]
