"""The tablet at the ibasho's door (included at /outreach/ibasho/checkin/). Every action is a
POST to a URL that holds only ids: a name typed into the search never reaches one."""

from django.urls import path

from outreach.views import checkin as views

urlpatterns = [
    path("", views.checkin, name="checkin"),
    path("<int:pk>/", views.checkin_session, name="checkin_session"),
    path("<int:pk>/room/", views.checkin_room, name="checkin_room"),
    path("<int:pk>/search/", views.checkin_search, name="checkin_search"),
    path("<int:pk>/case/", views.checkin_case, name="checkin_case"),
    path("<int:pk>/walk-in/", views.checkin_walk_in, name="checkin_walk_in"),
    path("<int:pk>/out/<int:attendance>/", views.checkin_out, name="checkin_out"),
    path("<int:pk>/undo/<int:attendance>/", views.checkin_undo, name="checkin_undo"),
]
