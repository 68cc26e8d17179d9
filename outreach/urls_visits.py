"""Home visits (included at /outreach/visits/): planning from a case, the visit page and the
small forms on it, the briefing, check-in and check-out, the outcome and the report, and the
managers' list of visits whose check-out is overdue. Only ids travel in these addresses."""

from django.urls import path

from outreach.views import visits as views

urlpatterns = [
    path("new/<int:case_pk>/", views.visit_new, name="visit_new"),
    path("safety/", views.visit_safety, name="visit_safety"),
    path("<int:pk>/", views.visit_detail, name="visit_detail"),
    path("<int:pk>/edit/", views.visit_edit, name="visit_edit"),
    path("<int:pk>/briefing/", views.visit_briefing, name="visit_briefing"),
    path("<int:pk>/briefing/acknowledge/", views.visit_acknowledge, name="visit_acknowledge"),
    path("<int:pk>/announce/", views.visit_announce, name="visit_announce"),
    path("<int:pk>/confirm/", views.visit_confirm, name="visit_confirm"),
    path("<int:pk>/call-off/", views.visit_call_off, name="visit_call_off"),
    path("<int:pk>/override/", views.visit_override, name="visit_override"),
    path("<int:pk>/check-in/", views.visit_check_in, name="visit_check_in"),
    path("<int:pk>/check-out/", views.visit_check_out, name="visit_check_out"),
    path("<int:pk>/outcome/", views.visit_outcome, name="visit_outcome"),
    path("<int:pk>/report/", views.visit_report, name="visit_report"),
]
