"""Every write to the ibasho and to home visits goes through these functions: staff bookings
(`bookings`), sessions and series (`sessions`), attendance and walk-ins (`attendance`), home
visits (`visits`) and the beat's watch over them (`visit_watch`); community work: lectures,
trainings and meetings, and the cases a meeting discussed (`community`)."""

from outreach.services.attendance import (
    attendance_correct,
    attendance_delete,
    check_in_case,
    check_in_walk_in,
    check_out,
    ibasho_consents,
    walk_in_link,
    walk_in_unlink,
)
from outreach.services.bookings import bookings_set, ibasho_bookings_set
from outreach.services.community import (
    community_activity_create,
    community_activity_update,
    community_case_link,
    community_case_unlink,
)
from outreach.services.feed import calendar_feed_get_or_create, calendar_feed_rotate
from outreach.services.sessions import (
    SeriesChange,
    series_cancel_from,
    series_create,
    series_dates,
    series_update_from,
    session_cancel,
    session_create,
    session_update,
)
from outreach.services.visit_watch import visits_watch
from outreach.services.visits import (
    OverrideRequest,
    briefing_acknowledge,
    visit_announce,
    visit_call_off,
    visit_check_in,
    visit_check_out,
    visit_confirm,
    visit_override,
    visit_plan,
    visit_record_outcome,
    visit_report_write,
    visit_staff_book,
    visit_update,
)

__all__ = [
    "OverrideRequest",
    "SeriesChange",
    "attendance_correct",
    "attendance_delete",
    "bookings_set",
    "briefing_acknowledge",
    "calendar_feed_get_or_create",
    "calendar_feed_rotate",
    "check_in_case",
    "check_in_walk_in",
    "check_out",
    "community_activity_create",
    "community_activity_update",
    "community_case_link",
    "community_case_unlink",
    "ibasho_bookings_set",
    "ibasho_consents",
    "series_cancel_from",
    "series_create",
    "series_dates",
    "series_update_from",
    "session_cancel",
    "session_create",
    "session_update",
    "visit_announce",
    "visit_call_off",
    "visit_check_in",
    "visit_check_out",
    "visit_confirm",
    "visit_override",
    "visit_plan",
    "visit_record_outcome",
    "visit_report_write",
    "visit_staff_book",
    "visit_update",
    "visits_watch",
    "walk_in_link",
    "walk_in_unlink",
]
