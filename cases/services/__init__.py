"""Every write to a case file goes through these functions: they keep the invariants (race-free
case numbers, the silence clock, consent before sharing) and the audit trail. One module per
concern; the public names are re-exported here (`cases.services.contact_record`)."""

from cases.services.assessments import assessment_record
from cases.services.audit import (
    case_audit_change,
    case_audit_record,
    case_audit_records,
    case_view_record,
)
from cases.services.case_file import (
    case_change_status,
    case_create,
    case_intake,
    case_next_number,
    case_sensitive_update,
    case_update,
)
from cases.services.consent import (
    consent_record,
    consent_withdraw,
    referral_create,
    referral_mark_sent,
    referral_record_outcome,
)
from cases.services.contacts import (
    contact_correct,
    contact_record,
    contact_record_many,
    contact_retract,
)
from cases.services.disposal import (
    case_blank_personal_data,
    case_legal_hold_set,
    case_mark_disposed,
)
from cases.services.locking import StaleEdit, lock_current
from cases.services.plans import current_plan_refresh, milestone_achieve, milestone_add, plan_save
from cases.services.privacy import (
    break_glass_open,
    sensitive_share,
    sensitive_share_revoke,
)
from cases.services.search import name_search_text, normalise_for_search
from cases.services.silence_clock import (
    case_restart_silence_clock,
    case_two_way_contact,
    case_two_way_contact_withdrawn,
    cases_resume_expired_pauses,
)
from cases.services.transfer import (
    CaseloadTransferPlan,
    PlannedMove,
    StalePlan,
    can_move_between,
    case_move_to_centre,
    case_reassign,
    caseload_plan_check,
    caseload_transfer,
    caseload_transfer_plan,
    open_caseloads,
)

__all__ = [
    "CaseloadTransferPlan",
    "PlannedMove",
    "StaleEdit",
    "StalePlan",
    "assessment_record",
    "break_glass_open",
    "can_move_between",
    "case_audit_change",
    "case_audit_record",
    "case_audit_records",
    "case_blank_personal_data",
    "case_change_status",
    "case_create",
    "case_intake",
    "case_legal_hold_set",
    "case_mark_disposed",
    "case_move_to_centre",
    "case_next_number",
    "case_reassign",
    "case_restart_silence_clock",
    "case_sensitive_update",
    "case_two_way_contact",
    "case_two_way_contact_withdrawn",
    "case_update",
    "case_view_record",
    "caseload_plan_check",
    "caseload_transfer",
    "caseload_transfer_plan",
    "cases_resume_expired_pauses",
    "consent_record",
    "consent_withdraw",
    "contact_correct",
    "contact_record",
    "contact_record_many",
    "contact_retract",
    "current_plan_refresh",
    "lock_current",
    "milestone_achieve",
    "milestone_add",
    "name_search_text",
    "normalise_for_search",
    "open_caseloads",
    "plan_save",
    "referral_create",
    "referral_mark_sent",
    "referral_record_outcome",
    "sensitive_share",
    "sensitive_share_revoke",
]
