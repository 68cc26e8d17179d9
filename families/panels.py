"""What `families` adds to the pages of `cases` through its hooks (cases/hooks.py): the household
panel on the case page, and the caller's details at intake."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from accounts import access
from accounts.access import AuthenticatedHttpRequest
from cases import access as case_access
from cases.hooks import CasePanel, IntakeExtension
from cases.models import Case
from families import selectors, services
from families.forms.household import IntakeCallerForm, MemberForm


def household_panel_context(request: AuthenticatedHttpRequest, case: Case) -> dict[str, Any] | None:
    """The household at a glance: who may be contacted, who the person knows consults, the
    80/50 reason and whether its contingency plan is written. One query (the members, their
    contacts with the centre counted in it), one more for their other cases, one more for the
    contingency plan of an 80/50 case."""
    if not access.can(request.user, "family.view"):
        return None
    rows = selectors.household(case)
    return {
        "household": rows,
        "reasons_8050": selectors.reasons_8050(case, rows),
        "contingency": selectors.contingency_plan(case) if case.risk_8050 else None,
        "add_form": MemberForm(
            prefix="member",
            with_health_notes=case_access.can_see_sensitive(
                request.user, case, permission="family.view_sensitive"
            ),
        ),
    }


HOUSEHOLD_PANEL = CasePanel(
    key="household", template="families/_household_panel.html", context=household_panel_context
)


def save_intake_caller(*, case: Case, by: Any, data: dict[str, Any], ip: str | None) -> None:
    """The first caller as a member of the new case's household, linked to the intake contact
    (so the contact log says who called)."""
    if not data.get("relation"):
        return
    fields = {
        name: data[name]
        for name in ("family_name", "given_name", "family_name_kana", "given_name_kana")
    }
    fields["contact_consent"] = data["contact_consent"]
    member = services.member_add(
        case=case,
        by=by,
        fields=fields,
        link_fields={
            "relation": data["relation"],
            "lives_with_person": data["lives_with_person"],
            "person_aware": case.person_aware,
            "is_primary_contact": True,
        },
        ip=ip,
    )
    first_contact = case.contacts.order_by("occurred_at", "id").first()
    if first_contact is not None:
        services.member_contact_link(contact=first_contact, member=member, outbound=False)


INTAKE_CALLER = IntakeExtension(
    prefix="caller",
    legend=_("相談者（家族の場合）"),
    form_class=IntakeCallerForm,
    save=save_intake_caller,
)
