from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    """The top layer: managers' dashboards, statistics, and the demo and scale seeds. It reads
    every app; no app imports it."""

    name = "dashboards"
