"""The disposal service, the daily task and `manage.py purge_expired`: who is due (the
centre's retention years, a legal hold, closed long enough), the dry run changing nothing,
the notifications of a batch deleted in one statement first, a second run doing nothing,
and the log's rows append-only."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.models import AuditEvent, Centre, User
from cases import services as case_services
from cases.models import Case, DisposalRecord
from cases.services.disposal import birth_date_for_statistics
from records import retention
from records.tasks import PURGE_TASK
from records.tasks import purge_expired as purge_task
from reminders.models import Notification
from tests.factories import make_case, record_contact
from tests.records.retention_data import NOW, jst

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_now() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def closed_case(centre: Centre, by: User, closed_at: dt.datetime, **fields: Any) -> Case:
    case = make_case(centre, by, first_contact_date=dt.date(2015, 4, 1), **fields)
    record_contact(case, by, at=closed_at - dt.timedelta(days=30), note="メモ：山田さん")
    with time_machine.travel(closed_at, tick=False):
        case_services.case_change_status(
            case=case, by=by, to_status="closed", closure_reason="moved"
        )
    case.refresh_from_db()
    return case


def notify(case: Case, user: User, n: int) -> None:
    for i in range(n):
        Notification.objects.create(
            recipient=user,
            centre=case.centre,
            case=case,
            channel="in_app",
            kind="silence_reminder",
            context={"case_number": case.case_number},
            dedupe_key=f"t-{case.pk}-{i}",
        )


def test_due_follows_each_centre_retention_years_hold_and_status(
    centre_a: Centre, centre_b: Centre, alice: User, charlie: User
) -> None:
    centre_b.retention_years = 10
    centre_b.save()
    old_a = closed_case(centre_a, alice, jst(2021, 11, 29))  # 5 years and a day
    just_a = closed_case(centre_a, alice, jst(2021, 11, 30, 13))  # 5 years less an hour
    held = closed_case(centre_a, alice, jst(2019, 1, 1))
    case_services.case_legal_hold_set(
        case=held, by=alice, hold=True, expected_version=held.version, reason="照会"
    )
    make_case(centre_a, alice, first_contact_date=dt.date(2010, 1, 1))  # open: never due
    old_b = closed_case(centre_b, charlie, jst(2019, 1, 1))  # 7 years: B keeps 10
    older_b = closed_case(centre_b, charlie, jst(2016, 11, 1))
    due = list(retention.cases_due_for_disposal(NOW))
    assert due == [older_b, old_a]
    assert just_a not in due and old_b not in due


def test_retention_cutoff_on_29_february() -> None:
    leap = dt.datetime(2028, 2, 29, 9, tzinfo=dt.UTC)
    assert retention.retention_cutoff(retention_years=5, now=leap) == dt.datetime(
        2023, 2, 28, 9, tzinfo=dt.UTC
    )
    assert retention.retention_cutoff(retention_years=4, now=leap) == dt.datetime(
        2024, 2, 29, 9, tzinfo=dt.UTC
    )


@pytest.mark.parametrize(
    ("born", "kept"),
    [
        (dt.date(1999, 6, 15), dt.date(1999, 7, 1)),
        (dt.date(1999, 6, 1), dt.date(1999, 6, 1)),
        (dt.date(1999, 12, 31), dt.date(2000, 1, 1)),
        (dt.date(2000, 2, 29), dt.date(2000, 3, 1)),
        (None, None),
    ],
)
def test_birth_date_kept_to_the_first_of_the_month_it_counts_from(
    born: dt.date | None, kept: dt.date | None
) -> None:
    assert birth_date_for_statistics(born) == kept


def test_birth_date_coarsened_gives_the_same_age_on_every_first_of_a_month() -> None:
    from cases.models import age_from_birth_date

    for born in (dt.date(1999, 6, 15), dt.date(2000, 2, 29), dt.date(1990, 12, 31)):
        kept = birth_date_for_statistics(born)
        assert kept is not None
        for year in range(2005, 2060):
            for month in range(1, 13):
                day = dt.date(year, month, 1)
                assert age_from_birth_date(kept, day) == age_from_birth_date(born, day), day


def test_dry_run_lists_and_changes_nothing(centre_a: Centre, alice: User) -> None:
    case = closed_case(centre_a, alice, jst(2020, 1, 1))
    notify(case, alice, 1)
    result = retention.purge_expired(now=NOW, dry_run=True)
    assert [(line.case_number, line.rule) for line in result.due] == [
        (case.case_number, "retention_years=5")
    ]
    assert result.disposed == []
    case.refresh_from_db()
    assert case.family_name == "山田" and case.disposed_at is None
    assert Notification.objects.count() == 1 and not DisposalRecord.objects.exists()


def test_notifications_of_a_batch_go_in_one_statement_first(centre_a: Centre, alice: User) -> None:
    cases = [closed_case(centre_a, alice, jst(2020, 1, day)) for day in (1, 2, 3)]
    for case in cases:
        notify(case, alice, 2)
    kept = make_case(centre_a, alice)
    notify(kept, alice, 1)
    with CaptureQueriesContext(connection) as queries:
        result = retention.purge_expired(now=NOW)
    deletes = [
        q["sql"] for q in queries if q["sql"].startswith('DELETE FROM "reminders_notification"')
    ]
    assert len(deletes) == 1
    first_write = next(
        q["sql"] for q in queries if q["sql"].startswith(("UPDATE", "DELETE", "INSERT"))
    )
    assert first_write == deletes[0]
    assert len(result.disposed) == 3
    assert list(Notification.objects.values_list("case_id", flat=True)) == [kept.pk]
    assert [r.counts["notifications"] for r in DisposalRecord.objects.order_by("closed_at")] == [
        2,
        2,
        2,
    ]


def test_second_run_and_a_held_or_reopened_case_do_nothing(centre_a: Centre, alice: User) -> None:
    case = closed_case(centre_a, alice, jst(2020, 1, 1))
    assert len(retention.purge_expired(now=NOW).disposed) == 1
    assert retention.purge_expired(now=NOW).due == []
    assert retention.case_dispose(case=case, by=alice, rule="retention_years=5") is None
    assert DisposalRecord.objects.count() == 1
    other = closed_case(centre_a, alice, jst(2020, 1, 1))
    case_services.case_legal_hold_set(
        case=other, by=alice, hold=True, expected_version=other.version, reason="照会"
    )
    assert retention.case_dispose(case=other, by=alice, rule="retention_years=5") is None
    other.refresh_from_db()
    assert other.family_name == "山田"


def test_disposal_log_is_append_only_and_names_nobody(centre_a: Centre, alice: User) -> None:
    case = closed_case(centre_a, alice, jst(2020, 1, 1))
    record = retention.case_dispose(case=case, by=alice, rule="retention_years=5", now=NOW)
    assert record is not None
    assert (record.case_number, record.opened_on, record.by) == (
        case.case_number,
        dt.date(2015, 4, 1),
        alice,
    )
    assert "山田" not in str(list(DisposalRecord.objects.values()))
    assert AuditEvent.objects.filter(case_id=case.pk, action="delete").count() == 1
    for attempt in (
        lambda: DisposalRecord.objects.filter(pk=record.pk).update(rule="x"),
        lambda: DisposalRecord.objects.filter(pk=record.pk).delete(),
    ):
        with pytest.raises(DatabaseError), transaction.atomic():
            attempt()


def test_legal_hold_needs_a_reason_and_is_audited(centre_a: Centre, mallory: User) -> None:
    case = closed_case(centre_a, mallory, jst(2020, 1, 1))
    with pytest.raises(ValidationError):
        case_services.case_legal_hold_set(
            case=case, by=mallory, hold=True, expected_version=case.version, reason="  "
        )
    held = case_services.case_legal_hold_set(
        case=case, by=mallory, hold=True, expected_version=case.version, reason="照会"
    )
    assert (held.legal_hold, held.legal_hold_by, held.legal_hold_at) == (True, mallory, NOW)
    event = AuditEvent.objects.filter(case_id=case.pk, action="change").latest("at")
    assert "legal_hold" in event.changed_fields and "照会" not in str(event.changed_fields)
    lifted = case_services.case_legal_hold_set(
        case=case, by=mallory, hold=False, expected_version=held.version
    )
    assert (lifted.legal_hold, lifted.legal_hold_reason, lifted.legal_hold_by) == (False, "", None)


def test_command_prints_numbers_dates_and_rules_never_a_name(centre_a: Centre, alice: User) -> None:
    case = closed_case(centre_a, alice, jst(2020, 1, 1))
    out = io.StringIO()
    call_command("purge_expired", "--dry-run", stdout=out)
    text = out.getvalue()
    assert case.case_number in text and "2020年1月1日" in text and "retention_years=5" in text
    assert "1 case(s) due" in text and "山田" not in text
    assert not DisposalRecord.objects.exists()
    out = io.StringIO()
    call_command("purge_expired", stdout=out)
    assert "1 case(s) disposed of" in out.getvalue() and "山田" not in out.getvalue()
    assert DisposalRecord.objects.get().source == "command"


def test_daily_task_disposes_as_the_task(centre_a: Centre, alice: User, settings: Any) -> None:
    closed_case(centre_a, alice, jst(2020, 1, 1))
    assert purge_task() == 1  # the task's body, as a worker runs it
    record = DisposalRecord.objects.get()
    assert (record.by, record.source) == (None, "task")
    schedule = settings.CELERY_BEAT_SCHEDULE["purge-expired-cases"]
    assert schedule["task"] == PURGE_TASK == purge_task.name
