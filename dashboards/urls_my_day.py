"""The counsellor's day, included at /dashboards/my-day/."""

from django.urls import path

from dashboards.views import my_day as views

urlpatterns = [
    path("", views.my_day, name="my_day"),
]
