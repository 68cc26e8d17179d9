"""`manage.py seed_demo` fills the ibasho: a weekly series with past sessions, named attendance
(contacts of those cases) and walk-ins, one of them linked with consent, and a session today
for the door's check-in. Running it again changes nothing; some demo cases stay silent."""

import datetime as dt
import os

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

from accounts.models import Centre
from cases.choices import CaseStatus, ConsentScope, ContactSource
from cases.models import Case, ContactEntry
from outreach.models import IbashoAttendance, IbashoSeries, IbashoSession, StaffBooking, WalkIn

pytestmark = pytest.mark.django_db


def _seed() -> None:
    with open(os.devnull, "w") as quiet:
        call_command("seed_demo", stdout=quiet)


def _counts() -> tuple[int, ...]:
    return (
        IbashoSeries.objects.count(),
        IbashoSession.objects.count(),
        IbashoAttendance.objects.count(),
        WalkIn.objects.count(),
        StaffBooking.objects.count(),
        ContactEntry.objects.count(),
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
