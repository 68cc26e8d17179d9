"""The managers' dashboard, included at /dashboards/centre/ (`?centre=<id>` for one of the
user's centres)."""

from django.urls import path

from dashboards.views import manager as views

urlpatterns = [
    path("", views.manager_dashboard, name="manager"),
]
