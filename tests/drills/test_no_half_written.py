"""The database connection dies in the middle of a multi-row write: everything or nothing is
stored, never half (each service write is one transaction).

For intake (case + first contact), caseload transfer (assignments, cases, notifications),
ibasho attendance (attendance + contact) and a visit's outcome (contact + visit): the service
runs in a thread of its own while the drill holds a lock on a table it writes late. It blocks
there, having written what comes before (pg_locks shows the tables it holds row locks on);
the drill then terminates its backend (`pg_terminate_backend`, what a database restart or a
crash does to a connection) and checks that nothing it wrote is left. The same call, not
interrupted, then stores everything.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import time_machine
from django.db import DatabaseError, connection
from django.utils import timezone

from accounts.models import AuditEvent, Centre, Role, User
from cases import services as case_services
from cases.models import Case, CaseAssignment, Channel, ContactEntry, Counterpart
from dashboards import services as dashboard_services
from outreach import services as outreach_services
from outreach.models import HomeVisit, IbashoAttendance
from reminders.models import Notification
from tests.factories import CentreFactory, UserFactory, make_case, make_visit
from tests.services_for_drills import (
    PATIENCE,
    pg_connect,
    table_locked,
    tables_written_by,
    wait_for_one_blocked_backend,
)

pytestmark = pytest.mark.django_db(transaction=True)


def rows() -> dict[str, Any]:
    """What the four services write, as counts and states (no ids)."""
    return {
        "cases": Case.objects.count(),
        "contacts": ContactEntry.objects.count(),
        "assignments": CaseAssignment.objects.count(),
        "counsellors": sorted(Case.objects.values_list("primary_counsellor__username", flat=True)),
        "notifications": Notification.objects.count(),
        "attendances": IbashoAttendance.objects.count(),
        "visits": sorted(HomeVisit.objects.values_list("status", flat=True)),
        "audit": AuditEvent.objects.count(),
    }


@dataclass(frozen=True)
class Write:
    call: Callable[[], Any]
    block_on: str  # the table locked: written late by the service
    written_first: set[str]  # tables the service has written when it blocks there


def interrupted(write: Write) -> tuple[set[str], BaseException | None]:
    """Run the write in a thread, let it block on the lock, kill its backend. Returns the
    tables it had written and the error it met."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            connection.ensure_connection()
            outcome["pid"] = connection.connection.info.backend_pid
            write.call()
        except BaseException as exc:  # reported below, not lost in the thread
            outcome["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    with pg_connect() as monitor, table_locked(write.block_on):
        thread.start()
        pid = wait_for_one_blocked_backend(monitor, what=f"the write to reach {write.block_on}")
        written = tables_written_by(monitor, pid)
        with monitor.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    thread.join(timeout=PATIENCE)
    assert not thread.is_alive()
    assert outcome["pid"] == pid
    return written, outcome.get("error")


def assert_all_or_nothing(write: Write, expected_change: Callable[[dict[str, Any]], None]):
    before = rows()
    written, error = interrupted(write)
    assert write.written_first <= written, f"it should have written {write.written_first}"
    assert isinstance(error, DatabaseError), f"the write should have failed: {error!r}"
    assert rows() == before  # nothing of it is left
    write.call()
    after = rows()
    expected = dict(before)
    expected_change(expected)
    assert after == expected  # and the same write, not interrupted, stores all of it
    print(f"\nwritten before the kill: {sorted(written)}; nothing kept; then {after}")


@pytest.fixture
def centre() -> Centre:
    return CentreFactory(name="停止試験センター", case_number_prefix="T")


@pytest.fixture
def counsellor(centre: Centre) -> User:
    return UserFactory.create(username="tomo", role=Role.COUNSELLOR, centre=centre)


def test_an_intake_killed_midway_stores_neither_the_case_nor_its_first_contact(
    centre: Centre, counsellor: User
) -> None:
    now = timezone.now()
    intake = Write(
        call=lambda: case_services.case_intake(
            centre=centre,
            by=counsellor,
            case_fields={
                "family_name": "中断",
                "given_name": "一郎",
                "family_name_kana": "ちゅうだん",
                "given_name_kana": "いちろう",
                "first_contact_by": "family",
                "primary_counsellor": counsellor,
            },
            contact_fields={
                "occurred_at": now,
                "duration_minutes": 10,
                "channel": Channel.PHONE,
                "counterpart": Counterpart.FAMILY,
                "two_way": True,
            },
        ),
        block_on="cases_contactentry",
        written_first={"cases_case"},
    )

    def change(expected: dict[str, Any]) -> None:
        expected["cases"] += 1
        expected["contacts"] += 1
        expected["counsellors"] = sorted([*expected["counsellors"], "tomo"])
        expected["audit"] += 2

    assert_all_or_nothing(intake, change)


def test_a_caseload_transfer_killed_midway_moves_no_case_and_tells_nobody(
    centre: Centre, counsellor: User
) -> None:
    manager = UserFactory.create(username="mana", role=Role.MANAGER, centre=centre)
    colleague = UserFactory.create(username="kaz", role=Role.COUNSELLOR, centre=centre)
    for _ in range(3):
        make_case(centre, counsellor, primary_counsellor=counsellor)

    def transfer() -> None:
        plan = case_services.caseload_transfer_plan(
            centre=centre, from_user=counsellor, to_users=[colleague]
        )
        dashboard_services.transfer_caseload(plan=plan, by=manager, reason="異動")

    # Blocks once the assignments and the cases are written, before the notifications.
    write = Write(
        call=transfer,
        block_on="reminders_notification",
        written_first={"cases_caseassignment", "cases_case", "accounts_auditevent"},
    )

    def change(expected: dict[str, Any]) -> None:
        expected["assignments"] += 3
        expected["counsellors"] = ["kaz"] * 3
        expected["notifications"] += 6  # each case: an e-mail and an in-app notification
        expected["audit"] += 6

    assert_all_or_nothing(write, change)


@pytest.fixture
def noon() -> Iterator[dt.datetime]:
    """Midday in Tokyo today: inside the ibasho's opening hours, whatever the clock says."""
    moment = timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time(12, 0)))
    with time_machine.travel(moment, tick=False):
        yield moment


def test_an_ibasho_check_in_killed_midway_stores_neither_attendance_nor_contact(
    centre: Centre, counsellor: User, noon: dt.datetime
) -> None:
    case = make_case(centre, counsellor, primary_counsellor=counsellor)
    session = outreach_services.session_create(
        centre=centre,
        by=counsellor,
        fields={
            "place": "ひだまりルーム",
            "starts_at": noon - dt.timedelta(hours=1),
            "ends_at": noon + dt.timedelta(hours=2),
        },
        staff=[],
    )
    write = Write(
        call=lambda: outreach_services.check_in_case(session=session, case=case, by=counsellor),
        block_on="cases_contactentry",
        written_first={"outreach_ibashoattendance"},
    )

    def change(expected: dict[str, Any]) -> None:
        expected["attendances"] += 1
        expected["contacts"] += 1
        expected["audit"] += 2

    assert_all_or_nothing(write, change)


def test_a_visit_outcome_killed_midway_stores_neither_the_contact_nor_the_outcome(
    centre: Centre, counsellor: User
) -> None:
    planned_at = timezone.now() - dt.timedelta(days=15)
    with time_machine.travel(planned_at, tick=False):
        case = make_case(centre, counsellor, primary_counsellor=counsellor)
        visit = make_visit(case, counsellor, days_ahead=14, status="briefed")
    with time_machine.travel(visit.starts_at - dt.timedelta(minutes=2), tick=False):
        outreach_services.visit_check_in(visit=visit, by=counsellor)
    visit.refresh_from_db()
    # Blocks once the contact entry is written (its audit line is next), before the visit.
    write = Write(
        call=lambda: outreach_services.visit_record_outcome(
            visit=HomeVisit.objects.get(pk=visit.pk),
            by=counsellor,
            outcome="met_person",
            report="玄関先で話せた",
        ),
        block_on="accounts_auditevent",
        written_first={"cases_contactentry"},
    )

    def change(expected: dict[str, Any]) -> None:
        expected["contacts"] += 1
        expected["visits"] = ["done"]
        expected["audit"] += 2

    assert_all_or_nothing(write, change)
