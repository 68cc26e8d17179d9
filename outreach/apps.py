from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutreachConfig(AppConfig):
    name = "outreach"
    verbose_name = _("アウトリーチ・居場所")

    def ready(self) -> None:
        from cases import hooks
        from outreach import panels
        from outreach.services.visits import visits_of_closed_case_cancel
        from outreach.timeline import DISCUSSED_AT_MEETING

        hooks.register_case_panel(panels.IBASHO_PANEL)
        hooks.register_case_panel(panels.VISITS_PANEL)
        hooks.register_on_case_closed("home_visits", visits_of_closed_case_cancel)
        hooks.register_timeline_branch(DISCUSSED_AT_MEETING)
