from django.apps import AppConfig


class RecordsConfig(AppConfig):
    """The centre's book in and out: importing its spreadsheets (cases, contact log, family
    members) with a dry run, exporting the same shapes back, and the printed case record
    (ケース記録票). It reads cases, families and outreach; only `dashboards` imports it."""

    name = "records"

    def ready(self) -> None:
        from cases import hooks
        from records import panels

        hooks.register_case_panel(panels.CASE_RECORD_LINK)
