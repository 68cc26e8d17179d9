"""Walk-ins and linking one to a case: /outreach/ibasho/walk-ins/ (namespace "outreach")."""

from django.urls import path

from outreach.views import walk_ins as views

urlpatterns = [
    path("", views.walk_in_list, name="walk_in_list"),
    path("<int:pk>/", views.walk_in_detail, name="walk_in_detail"),
    path("<int:pk>/search/", views.walk_in_case_search, name="walk_in_case_search"),
    path("<int:pk>/choose/", views.walk_in_choose_case, name="walk_in_choose_case"),
    path("<int:pk>/link/", views.walk_in_link, name="walk_in_link"),
    path("<int:pk>/unlink/", views.walk_in_unlink, name="walk_in_unlink"),
]
