from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FamiliesConfig(AppConfig):
    name = "families"
    verbose_name = _("家族")

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from cases import hooks
        from cases.models import Case
        from families import panels

        hooks.register_case_panel(panels.HOUSEHOLD_PANEL)
        hooks.register_intake_extension(panels.INTAKE_CALLER)
        post_save.connect(
            _refresh_8050_when_the_person_changes, sender=Case, dispatch_uid="families.8050"
        )


# What the 80/50 rule reads of the person (families.risk_8050).
_PERSON_AGE_FIELDS = {"birth_date", "age_band"}


def _refresh_8050_when_the_person_changes(
    sender: type, instance: Any, created: bool, update_fields: Any, **kwargs: Any
) -> None:
    """A new case, or the person's birth date or age band edited: the 80/50 flag follows in
    the same transaction (cases knows nothing of households, so it can't do this itself)."""
    if created or update_fields is None or _PERSON_AGE_FIELDS & set(update_fields):
        from families import risk_8050

        risk_8050.refresh(case_ids=[instance.pk])
