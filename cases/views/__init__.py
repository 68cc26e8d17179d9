"""The case pages, one module per part of the case file; urls.py reads the names here."""

from cases.views.case_file import (
    case_audit,
    case_contacts,
    case_detail,
    case_edit,
    case_intake,
    case_status,
    contact_add,
    sensitive_edit,
    sensitive_panel,
)
from cases.views.case_list import case_list
from cases.views.casework import (
    assessment_add,
    consent_add,
    consent_withdraw,
    milestone_achieve,
    milestone_add,
    plan_edit,
    referral_add,
    referral_outcome,
    referral_send,
)

__all__ = [
    "assessment_add",
    "case_audit",
    "case_contacts",
    "case_detail",
    "case_edit",
    "case_intake",
    "case_list",
    "case_status",
    "consent_add",
    "consent_withdraw",
    "contact_add",
    "milestone_achieve",
    "milestone_add",
    "plan_edit",
    "referral_add",
    "referral_outcome",
    "referral_send",
    "sensitive_edit",
    "sensitive_panel",
]
