from django.urls import path

from reminders import views

app_name = "reminders"
urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/seen/", views.inbox_seen, name="inbox_seen"),
    path("inbox/<int:pk>/done/", views.mark_done, name="mark_done"),
    path("escalations/", views.escalations, name="escalations"),
]
