from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("アカウント")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from accounts import signals

        user_logged_in.connect(signals.start_idle_clock, dispatch_uid="accounts.idle")
