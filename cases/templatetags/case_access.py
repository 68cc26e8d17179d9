"""`{% risk_flags_for case as flags %}`: a case's risk badges as the viewing user may see them
(cases.access.risk_flags_for: the self-harm flag is health data), for templates of the apps
above `cases` that show a case (a visit, its briefing)."""

from __future__ import annotations

from typing import Any

from django import template

from cases import access as case_access
from cases.models import Case

register = template.Library()


@register.simple_tag(takes_context=True)
def risk_flags_for(context: dict[str, Any], case: Case) -> list[str]:
    request = context.get("request")
    user = getattr(request, "user", None)
    return case_access.risk_flags_for(user, case) if user is not None else []  # type: ignore[arg-type]
