"""Retention (APPI) on outreach: a case's home visits and ibasho attendance after its
retention period (records.retention). What the statistics count stays (visits' status,
outcome and times, attendance and first visits, walk-ins as rows); every free text about the
person goes."""

from __future__ import annotations

from django.db.models import Case as SqlCase
from django.db.models import Q, Value, When

from cases.models import Case
from cases.services.disposal import ERASED_TEXT
from outreach.models import (
    HomeVisit,
    IbashoAttendance,
    VisitAnnouncement,
    VisitOverride,
    WalkIn,
)


def case_outreach_blank_personal_data(*, case: Case) -> dict[str, int]:
    """Blank the case's visit reports, purposes, reasons and announcement notes, the notes
    of its ibasho attendance (and of the walk-ins linked to it), and the nicknames of those
    walk-ins. Runs inside the caller's transaction; returns the rows blanked by kind."""
    return {
        # A called-off visit must keep a reason (a database constraint): a neutral one.
        "home_visits": HomeVisit.objects.filter(case=case).update(
            purpose="",
            report="",
            status_reason=SqlCase(
                When(status_reason="", then=Value("")), default=Value(ERASED_TEXT)
            ),
        ),
        "visit_announcements": VisitAnnouncement.objects.filter(visit__case=case).update(
            note="", announced_purpose=""
        ),
        # A manager's override must keep a reason (a database constraint): a neutral one.
        "visit_overrides": VisitOverride.objects.filter(visit__case=case).update(
            reason=ERASED_TEXT
        ),
        "ibasho_attendance": IbashoAttendance.objects.filter(
            Q(case=case) | Q(walk_in__case=case)
        ).update(note=""),
        "walk_ins": WalkIn.objects.filter(case=case).update(nickname=ERASED_TEXT, search_text=""),
    }
