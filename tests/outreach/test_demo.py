"""`manage.py seed_demo` fills the ibasho: a weekly series with past sessions, named attendance
(contacts of those cases) and walk-ins, one of them linked with consent, and a session today
for the door's check-in; and home visits in every state, one of them under way with its
check-out overdue (the managers alerted) and one a manager's emergency override. Running it
again changes nothing; some demo cases stay silent."""

import datetime as dt
import os

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

from accounts.models import AuditEvent, Centre, Role, User
from cases.choices import CaseStatus, Channel, ConsentScope, ContactSource
from cases.models import Case, ContactEntry
from outreach.models import (
    TWO_WAY_OUTCOMES,
    HomeVisit,
    IbashoAttendance,
    IbashoSeries,
    IbashoSession,
    StaffBooking,
    VisitAnnouncement,
    VisitOutcome,
    VisitOverride,
    VisitRule,
    VisitStatus,
    WalkIn,
)
from reminders.models import Notification

pytestmark = pytest.mark.django_db


def _seed() -> None:
    with open(os.devnull, "w") as quiet:
        call_command("seed_demo", "--i-know-this-is-not-production", stdout=quiet)


def _counts() -> tuple[int, ...]:
    return (
        IbashoSeries.objects.count(),
        IbashoSession.objects.count(),
        IbashoAttendance.objects.count(),
        WalkIn.objects.count(),
        StaffBooking.objects.count(),
        ContactEntry.objects.count(),
        HomeVisit.objects.count(),
        VisitAnnouncement.objects.count(),
        VisitOverride.objects.count(),
        Notification.objects.count(),
    )


def test_seed_demo_creates_the_ibasho_of_each_centre_and_is_idempotent():
    _seed()
    counts = _counts()
    _seed()
    assert _counts() == counts

    now, today = timezone.now(), timezone.localdate()
    start_of_today = timezone.make_aware(dt.datetime.combine(today, dt.time()))
    for centre in Centre.objects.all():
        series = IbashoSeries.objects.get(centre=centre)
        assert series.weekdays == [3, 6] and series.every_weeks == 1
        assert series.starts_on < today < series.ends_on
        past = IbashoSession.objects.filter(series=series, ends_at__lt=now)
        assert past.count() >= 14 and series.sessions.filter(starts_at__gt=now).exists()
        # Today's session, open, with its staff booked: the check-in has something to open.
        today_sessions = IbashoSession.objects.filter(
            centre=centre,
            starts_at__gte=start_of_today,
            starts_at__lt=start_of_today + dt.timedelta(days=1),
            cancelled_at__isnull=True,
        )
        assert today_sessions.count() == 1
        assert today_sessions.get().bookings.exists()

        named = IbashoAttendance.objects.filter(session__centre=centre, walk_in__isnull=True)
        assert named.values("case").distinct().count() == 3
        assert named.filter(first_visit=True).count() == 3  # one first visit each
        assert all(a.session.ends_at < now and a.left_at is not None for a in named)
        assert not named.filter(contact__isnull=True).exists()  # each one a contact
        assert (
            ContactEntry.objects.filter(case__centre=centre, source=ContactSource.IBASHO).count()
            == IbashoAttendance.objects.filter(session__centre=centre, case__isnull=False).count()
        )

        walk_ins = WalkIn.objects.filter(centre=centre).annotate(visits=Count("attendances"))
        assert {"ゆう", "くま"} <= {w.nickname for w in walk_ins}
        assert walk_ins.filter(case__isnull=True, visits__gte=3).exists()  # a regular
        (linked,) = walk_ins.filter(case__isnull=False)
        assert linked.consent.scope == ConsentScope.IBASHO_RECORD
        assert linked.consent.case == linked.case
        assert linked.attendances.filter(case=linked.case, contact__isnull=False).count() == 3

        # Attendance is contact, yet the demo keeps silent cases silent: nobody silent came.
        silent = Case.objects.filter(centre=centre, status=CaseStatus.OPEN).exclude(
            silence_stage="ok"
        )
        assert silent.exists()
        assert not silent.filter(ibasho_attendances__isnull=False).exists()


def test_seed_demo_makes_home_visits_in_every_state_through_the_services():
    _seed()
    now = timezone.now()
    for centre in Centre.objects.all():
        visits = HomeVisit.objects.filter(centre=centre)
        assert set(visits.values_list("status", flat=True)) == set(VisitStatus.values)
        assert (
            AuditEvent.objects.filter(
                model="outreach.homevisit", action="create", object_id__in=visits.values("pk")
            ).count()
            == visits.count()
        )

        # Done with each outcome, each one a home-visit contact dated from its check-in in the
        # past, two-way only when someone was met or answered.
        done = visits.filter(status=VisitStatus.DONE).select_related("contact")
        assert sorted(done.values_list("outcome", flat=True)) == sorted(VisitOutcome.values)
        for visit in done:
            assert visit.checked_in_at < visit.checked_out_at < now
            assert visit.contact.channel == Channel.HOME_VISIT
            assert visit.contact.source == ContactSource.HOME_VISIT
            assert visit.contact.occurred_at == visit.checked_in_at
            assert visit.contact.two_way == (visit.outcome in TWO_WAY_OUTCOMES)
            # agreed a full notice period before it took place
            (announcement,) = visit.announcements.all()
            assert announcement.response == "agreed"
            assert (
                timezone.localdate(visit.starts_at) - announcement.made_on
            ).days >= centre.visit_notice_days
        assert [v.outcome for v in done if not v.report] == [VisitOutcome.NO_ANSWER]
        assert done.get(outcome=VisitOutcome.REFUSED).next_step

        # The person's "no" when announced: cancelled, on the timeline, a next step offered.
        refused = visits.get(status=VisitStatus.CANCELLED)
        assert refused.announcements.get().response == "refused" and refused.next_step
        assert ContactEntry.objects.filter(
            case=refused.case,
            source=ContactSource.HOME_VISIT,
            two_way=True,
            occurred_at__gt=now - dt.timedelta(hours=1),
        ).exists()
        postponed = visits.get(status=VisitStatus.POSTPONED)
        assert postponed.announcements.get().response == "change_date"
        assert not postponed.bookings.exists() and not refused.bookings.exists()
        assert visits.get(status=VisitStatus.MISSED).ends_at < now

        # Under way, its check-out overdue: alerted once, to the centre's managers only.
        (overdue,) = visits.filter(status=VisitStatus.IN_PROGRESS)
        assert overdue.checkout_overdue and overdue.checkout_alerted_at is not None
        assert overdue.checked_in_at is not None and overdue.checked_out_at is None
        managers = set(User.objects.filter(centres=centre, role=Role.MANAGER))
        alerts = Notification.objects.filter(
            kind="visit_checkout_overdue", context__visit_id=overdue.pk
        )
        assert {n.recipient for n in alerts} == managers
        assert alerts.count() == 2 * len(managers)  # e-mail and inbox

        # A manager's emergency override: a police welfare check, confirmed without notice.
        (override,) = VisitOverride.objects.filter(visit__centre=centre)
        assert (override.rule, override.ground) == (VisitRule.NOTICE_PERIOD, "police")
        assert override.by.role == Role.MANAGER and override.reason
        assert override.visit.status == VisitStatus.CONFIRMED
        assert not override.visit.announcements.exists()
        assert AuditEvent.objects.filter(
            model="outreach.visitoverride", object_id=override.pk, user=override.by
        ).exists()

        # What the beat reminds of: a visit to announce, a briefing unread, a report to write.
        reminded = set(Notification.objects.filter(centre=centre).values_list("kind", flat=True))
        assert {"visit_announcement_due", "visit_report_due"} <= reminded
        half_briefed = [
            visit
            for visit in visits.filter(status=VisitStatus.CONFIRMED)
            if sorted(a.briefing_acknowledged_at is None for a in visit.assignments.all())
            == [False, True]
        ]
        assert len(half_briefed) == 1
        assert timezone.localdate(half_briefed[0].starts_at) == timezone.localdate() + dt.timedelta(
            days=1
        )
