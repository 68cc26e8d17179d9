"""Community work (lectures, trainings, meetings with other agencies): the list of a month or
fiscal year, recording and editing an activity, its page, and the cases a meeting discussed
(included at /outreach/community/)."""

from django.urls import path

from outreach.views import community as views

urlpatterns = [
    path("", views.activity_list, name="community_list"),
    path("new/", views.activity_create, name="community_new"),
    path("<int:pk>/", views.activity_detail, name="community_detail"),
    path("<int:pk>/edit/", views.activity_edit, name="community_edit"),
    path("<int:pk>/cases/add/", views.case_add, name="community_case_add"),
    path("<int:pk>/cases/<int:case_pk>/remove/", views.case_remove, name="community_case_remove"),
]
