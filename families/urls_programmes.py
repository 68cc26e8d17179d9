"""Family programmes, under the "families" namespace at programmes/ (families/urls.py)."""

from django.urls import path

from families.views import programmes as views

urlpatterns = [
    path("", views.programme_list, name="programme_list"),
    path("new/", views.programme_create, name="programme_create"),
    path("<int:pk>/", views.programme_detail, name="programme_detail"),
    path("<int:pk>/edit/", views.programme_edit, name="programme_edit"),
    path("<int:pk>/members/search/", views.programme_member_search, name="programme_member_search"),
    path("<int:pk>/enrol/", views.programme_enrol, name="programme_enrol"),
    path("<int:pk>/sessions/add/", views.session_add, name="session_add"),
    path("sessions/<int:pk>/register/", views.attendance_register, name="attendance_register"),
]
