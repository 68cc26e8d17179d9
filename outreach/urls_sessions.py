"""Ibasho sessions and series: the list, the month calendar, a session's page with its
attendance, creating, editing and cancelling (included at /outreach/ibasho/)."""

from django.urls import path

from outreach.views import sessions as views

urlpatterns = [
    path("", views.session_list, name="session_list"),
    path("calendar/", views.calendar_this_month, name="calendar_this_month"),
    path("calendar/<int:year>/<int:month>/", views.calendar, name="calendar"),
    path("new/", views.session_create, name="session_new"),
    path("series/new/", views.series_create, name="series_new"),
    path("<int:pk>/", views.session_detail, name="session_detail"),
    path("<int:pk>/edit/", views.session_edit, name="session_edit"),
    path("<int:pk>/cancel/", views.session_cancel, name="session_cancel"),
    path("attendances/<int:pk>/edit/", views.attendance_edit, name="attendance_edit"),
    path("attendances/<int:pk>/delete/", views.attendance_delete, name="attendance_delete"),
]
