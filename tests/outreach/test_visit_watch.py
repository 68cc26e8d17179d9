"""The beat's watch over visits: a missing safety check-out alerts the centre's managers
exactly once, at the right time, however often (or however concurrently) the watch runs; and
the reminders that keep a visit on the careful path (announce it, read the briefing, write the
report) go out through the outbox once each, by ids and case number only."""

import datetime as dt
import threading
import time

import pytest
from django.db import connection

from accounts.models import Role
from cases import services as case_services
from outreach import services
from outreach.models import HomeVisit
from outreach.services import visit_watch
from reminders.models import Notification
from reminders.notification_texts import KINDS, render
from tests.factories import UserFactory, make_case
from tests.outreach.visit_clock import NOW, at, on, planned

pytestmark = pytest.mark.django_db

MINUTE = dt.timedelta(minutes=1)
SECRETS = ("山田", "太郎", "やまだ", "たろう", "近況をうかがう")


def watch(moment: dt.datetime) -> visit_watch.WatchResult:
    with at(moment):
        return services.visits_watch()


@pytest.fixture
def case(centre_a, alice):
    with at(NOW - dt.timedelta(days=30)):
        return make_case(centre_a, alice, primary_counsellor=alice)


def announced(visit: HomeVisit, by, response: str = "agreed") -> HomeVisit:
    with at(NOW):
        services.visit_announce(
            visit=visit, by=by, method="letter", made_at=NOW, recipient="person", response=response
        )
    visit.refresh_from_db()
    return visit


def briefed(visit: HomeVisit, *users) -> HomeVisit:
    with at(NOW + dt.timedelta(hours=1)):
        for user in users:
            services.briefing_acknowledge(visit=visit, by=user)
    return visit


def under_way(case, alice, bob, *, days: int = 14) -> HomeVisit:
    """Planned 10:00–11:00 on day 14, checked in at 09:58."""
    visit = briefed(announced(planned(case, alice, [alice, bob], days=days), alice), alice, bob)
    with at(on(days, 9, 58)):
        return services.visit_check_in(visit=visit, by=alice)


def notified(kind: str) -> set[tuple[str, str]]:
    return set(Notification.objects.filter(kind=kind).values_list("recipient__username", "channel"))


def both_channels(*usernames: str) -> set[tuple[str, str]]:
    return {(name, channel) for name in usernames for channel in ("email", "in_app")}


def assert_by_ids_only(kind: str, case) -> None:
    """The context carries only the keys its kind allows (ids and the case number), and the
    text rendered from it names nobody, in either language."""
    rows = Notification.objects.filter(kind=kind)
    assert rows.exists()
    for notification in rows:
        assert set(notification.context) <= KINDS[kind].allowed_keys
        assert notification.context["case_number"] == case.case_number
        for language in ("ja", "en"):
            subject, body = render(kind, notification.context, language)
            text = subject + body + str(notification.context)
            assert case.case_number in text
            assert not any(secret in text for secret in SECRETS)


@pytest.fixture
def managers(centre_a, centre_b, mallory):
    deputy = UserFactory(username="deputy", role=Role.MANAGER, centre=centre_a)
    UserFactory(username="dave", role=Role.MANAGER, centre=centre_b)
    UserFactory(username="gone", role=Role.MANAGER, centre=centre_a, is_active=False)
    return [mallory, deputy]


# --- the safety check-out -----------------------------------------------------------------------


def test_a_missing_check_out_alerts_each_manager_of_the_centre_once_after_the_grace(
    case, alice, bob, managers
):
    visit = under_way(case, alice, bob)
    due = on(14, 11) + dt.timedelta(minutes=120)  # the planned end plus the centre's grace
    assert watch(due - MINUTE).checkout_alerts == 0
    assert not Notification.objects.exists()
    assert watch(due + MINUTE).checkout_alerts == 1
    assert notified("visit_checkout_overdue") == both_channels("mallory", "deputy")
    visit.refresh_from_db()
    assert visit.checkout_alerted_at == due + MINUTE
    # The page's banner and the watch: one rule.
    with at(due - MINUTE):
        assert not visit.checkout_overdue
    with at(due + MINUTE):
        assert visit.checkout_overdue
    # Nothing more, however often it runs.
    assert watch(due + 5 * MINUTE).checkout_alerts == 0
    assert watch(due + dt.timedelta(hours=3)).checkout_alerts == 0
    assert Notification.objects.filter(kind="visit_checkout_overdue").count() == 4
    (in_app,) = Notification.objects.filter(
        kind="visit_checkout_overdue", recipient__username="mallory", channel="in_app"
    )
    assert in_app.context == {
        "case_id": case.pk,
        "case_number": case.case_number,
        "visit_id": visit.pk,
        "minutes_overdue": 121,
    }
    assert_by_ids_only("visit_checkout_overdue", case)


def test_without_a_manager_the_alert_goes_to_the_centre_s_administrators(
    case, centre_a, centre_b, alice, bob
):
    """A vacancy never means an alert to nobody."""
    UserFactory(username="dave", role=Role.MANAGER, centre=centre_b)
    UserFactory(username="root", role=Role.ADMIN, centre=centre_a)
    under_way(case, alice, bob)
    assert watch(on(14, 13, 1)).checkout_alerts == 1
    assert notified("visit_checkout_overdue") == both_channels("root")


def test_with_nobody_to_tell_at_the_centre_the_case_s_counsellor_is_alerted(case, alice, bob):
    under_way(case, alice, bob)
    assert watch(on(14, 13, 1)).checkout_alerts == 1
    assert notified("visit_checkout_overdue") == both_channels("alice")


def test_the_centre_s_own_grace_decides_when_the_alert_goes(case, centre_a, alice, bob, managers):
    centre_a.safety_checkout_grace_minutes = 30
    centre_a.save()
    under_way(case, alice, bob)
    assert watch(on(14, 11, 29)).checkout_alerts == 0
    assert watch(on(14, 11, 31)).checkout_alerts == 1


def test_a_check_out_in_time_raises_no_alert(case, alice, bob, managers):
    visit = under_way(case, alice, bob)
    with at(on(14, 12, 50)):
        services.visit_check_out(visit=visit, by=bob)
    assert watch(on(14, 13, 1)).checkout_alerts == 0
    assert watch(on(15, 9)).checkout_alerts == 0
    assert not Notification.objects.filter(kind="visit_checkout_overdue").exists()


def test_an_outcome_recorded_in_time_raises_no_alert(case, alice, bob, managers):
    visit = under_way(case, alice, bob)
    with at(on(14, 11, 10)):
        services.visit_record_outcome(visit=visit, by=alice, outcome="met_person")
    assert watch(on(14, 14)).checkout_alerts == 0
    assert not Notification.objects.filter(kind="visit_checkout_overdue").exists()


def test_a_visit_never_started_raises_no_safety_alert(case, alice, bob, managers):
    briefed(announced(planned(case, alice, [alice, bob]), alice), alice, bob)
    assert watch(on(14, 15)).checkout_alerts == 0


def _until_another_request_waits_for_a_lock() -> None:
    """Return once another connection to the test database waits for a row lock (asked, not
    slept on: the moment it blocks shows in pg_stat_activity)."""
    deadline = time.monotonic() + 10
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                " AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0]:
                return
    raise AssertionError("the other watch never waited")


@pytest.mark.django_db(transaction=True)
def test_two_watches_at_once_raise_one_alert(case, alice, bob, managers, monkeypatch):
    """The first watch holds the visit marked (uncommitted) until the second is waiting for
    it; the second then finds it marked and sends nothing."""
    under_way(case, alice, bob)
    moment = on(14, 13, 5)
    queue = visit_watch.notification_queue

    def queue_once_the_other_waits(**kwargs):
        if kwargs["kind"] == "visit_checkout_overdue":
            _until_another_request_waits_for_a_lock()
        return queue(**kwargs)

    monkeypatch.setattr(visit_watch, "notification_queue", queue_once_the_other_waits)
    results: list[object] = []

    def run() -> None:
        try:
            results.append(visit_watch.checkout_overdue_alert(moment))
        except Exception as error:
            results.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results) == [0, 1]  # type: ignore[type-var]
    assert notified("visit_checkout_overdue") == both_channels("mallory", "deputy")
    assert Notification.objects.filter(kind="visit_checkout_overdue").count() == 4


# --- reminders through the outbox ---------------------------------------------------------------


def test_an_unannounced_visit_is_reminded_notice_days_plus_two_before(case, alice, bob):
    visit = planned(case, alice, [alice, bob], days=14)
    announced(planned(case, alice, [alice, bob], days=15), alice, response="no_answer")
    later = planned(case, alice, [alice, bob], days=20)
    reminder_due = on(14, 10) - dt.timedelta(days=7 + 2)
    assert watch(reminder_due - MINUTE).announcement_reminders == 0
    # To those who can announce it: alice (counsellor), not bob (staff), 2 channels.
    assert watch(reminder_due + MINUTE).announcement_reminders == 2
    assert notified("visit_announcement_due") == both_channels("alice")
    assert set(
        Notification.objects.filter(kind="visit_announcement_due").values_list(
            "context__visit_id", flat=True
        )
    ) == {visit.pk}
    assert watch(reminder_due + dt.timedelta(hours=5)).announcement_reminders == 0
    assert watch(on(11, 10, 1)).announcement_reminders == 2  # the later one's turn, once
    assert watch(on(11, 11)).announcement_reminders == 0
    assert set(
        Notification.objects.filter(kind="visit_announcement_due").values_list(
            "context__visit_id", flat=True
        )
    ) == {visit.pk, later.pk}
    assert_by_ids_only("visit_announcement_due", case)


def test_the_announcement_reminder_follows_the_centre_s_notice_period(case, centre_a, alice, bob):
    centre_a.visit_notice_days = 10
    centre_a.save()
    planned(case, alice, [alice, bob], days=20)
    assert watch(on(8, 9, 59)).announcement_reminders == 0  # 12 days before
    assert watch(on(8, 10, 1)).announcement_reminders == 2


def test_a_briefing_not_acknowledged_is_reminded_the_day_before_to_those_who_did_not(
    case, alice, bob
):
    visit = briefed(announced(planned(case, alice, [alice, bob]), alice), alice)
    day_before = on(13, 10)
    assert watch(day_before - MINUTE).briefing_reminders == 0
    assert watch(day_before + MINUTE).briefing_reminders == 2
    assert notified("visit_briefing_unacknowledged") == both_channels("bob")
    assert watch(day_before + 2 * MINUTE).briefing_reminders == 0
    # The risk flags change: a new briefing, which neither has read. Both are reminded, once.
    with at(day_before + dt.timedelta(hours=2)):
        case_services.case_update(
            case=case, by=alice, expected_version=case.version, changes={"risk_self_harm": True}
        )
    assert watch(day_before + dt.timedelta(hours=3)).briefing_reminders == 4
    assert watch(day_before + dt.timedelta(hours=4)).briefing_reminders == 0
    assert (
        Notification.objects.filter(kind="visit_briefing_unacknowledged", recipient=alice).count()
        == 2
    )
    assert (
        Notification.objects.filter(kind="visit_briefing_unacknowledged", recipient=bob).count()
        == 4
    )
    assert_by_ids_only("visit_briefing_unacknowledged", case)
    # Acknowledged by both: nothing more.
    briefed(visit, alice, bob)
    assert watch(day_before + dt.timedelta(hours=5)).briefing_reminders == 0


def test_a_report_not_written_is_reminded_two_days_after(case, alice, bob):
    visit = under_way(case, alice, bob)
    with at(on(14, 11, 5)):
        services.visit_record_outcome(visit=visit, by=alice, outcome="no_answer")
    other = under_way(make_case(case.centre, alice), alice, bob, days=15)
    with at(on(15, 11, 5)):
        services.visit_record_outcome(
            visit=other, by=bob, outcome="met_family", report="母と面談。本人は自室。"
        )
    due = on(14, 11) + dt.timedelta(days=2)
    assert watch(due - MINUTE).report_reminders == 0
    assert watch(due + MINUTE).report_reminders == 4
    assert notified("visit_report_due") == both_channels("alice", "bob")
    assert set(
        Notification.objects.filter(kind="visit_report_due").values_list(
            "context__visit_id", flat=True
        )
    ) == {visit.pk}
    assert watch(due + dt.timedelta(days=1)).report_reminders == 0
    assert_by_ids_only("visit_report_due", case)


def test_the_whole_watch_run_twice_queues_nothing_new(case, alice, bob, managers):
    under_way(case, alice, bob)
    planned(case, alice, [alice, bob], days=20)
    first = watch(on(14, 14))
    assert first.checkout_alerts == 1 and first.announcement_reminders == 2
    count = Notification.objects.count()
    again = watch(on(14, 14, 5))
    assert again.counts() == dict.fromkeys(again.counts(), 0)
    assert Notification.objects.count() == count


def test_a_moved_visit_is_reminded_again_for_its_new_date(case, alice, bob):
    visit = planned(case, alice, [alice, bob], days=14)
    assert watch(on(5, 10, 1)).announcement_reminders == 2
    with at(on(5, 11)):
        services.visit_update(
            visit=visit,
            by=alice,
            expected_version=visit.version,
            starts_at=on(16, 10),
            ends_at=on(16, 11),
            purpose=visit.purpose,
            staff=[alice, bob],
        )
    assert watch(on(5, 12)).announcement_reminders == 0  # not due yet for the 16th
    assert watch(on(7, 10, 1)).announcement_reminders == 2


def test_a_closed_case_s_visits_are_cancelled_and_reminded_of_no_more(case, alice, bob):
    visit = planned(case, alice, [alice, bob], days=14)
    with at(NOW + dt.timedelta(days=1)):
        case_services.case_change_status(
            case=case, by=alice, to_status="closed", closure_reason="declined"
        )
    visit.refresh_from_db()
    assert visit.status == "cancelled" and visit.status_reason
    assert not visit.bookings.exists()
    assert watch(on(5, 10, 1)).announcement_reminders == 0
