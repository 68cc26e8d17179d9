"""Every write to the ibasho goes through these functions (and, with the next part of
outreach, to home visits): staff bookings (`bookings`), sessions and series (`sessions`),
attendance and walk-ins (`attendance`)."""

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

__all__ = [
    "SeriesChange",
    "attendance_correct",
    "attendance_delete",
    "bookings_set",
    "check_in_case",
    "check_in_walk_in",
    "check_out",
    "ibasho_bookings_set",
    "ibasho_consents",
    "series_cancel_from",
    "series_create",
    "series_dates",
    "series_update_from",
    "session_cancel",
    "session_create",
    "session_update",
    "walk_in_link",
    "walk_in_unlink",
]
