"""What `records` adds to the case page through the hooks of `cases` (cases/hooks.py): the
link to the printable case record. `cases` knows nothing of `records` (the layers)."""

from __future__ import annotations

from typing import Any

from accounts import access
from accounts.access import AuthenticatedHttpRequest
from cases.hooks import CasePanel
from cases.models import Case


def case_record_link_context(
    request: AuthenticatedHttpRequest, case: Case
) -> dict[str, Any] | None:
    """No query: the link is all it shows (the case page's query count is pinned)."""
    return {} if access.can(request.user, "case.view") else None


CASE_RECORD_LINK = CasePanel(
    key="case_record",
    template="records/case_record_link.html",
    context=case_record_link_context,
)
