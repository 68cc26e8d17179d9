"""Retention and disposal (APPI, docs/architecture.md): a case closed for longer than its
centre's `retention_years` loses its personal data (names, furigana, contact details, notes,
sensitive information, its household's personal data), keeping the anonymous facts the
statistics count, so past years' figures do not change. A legal hold stops it.

Each app blanks its own part with its own function; this module runs them in order, one
transaction per case, after deleting the cases' notifications in bulk (one statement for a
whole batch: the outbox has no index on the case), and writes one line of the disposal log
per case (case number, dates, rule: never a name). Run daily by the beat
(`records.purge_expired`) and by `manage.py purge_expired [--dry-run]`."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import Centre, User
from cases.choices import CaseStatus
from cases.models import Case, DisposalRecord, DisposalSource
from cases.services.disposal import case_blank_personal_data, case_mark_disposed
from families.services import household_blank_personal_data
from outreach.services.disposal import case_outreach_blank_personal_data
from reminders.services.disposal import notifications_delete_for_cases

logger = logging.getLogger(__name__)

# Cases whose notifications are deleted by one statement (each reads the whole outbox).
NOTIFICATION_BATCH = 500


def retention_rule(centre: Centre) -> str:
    """How the disposal log names the rule a case was disposed of under."""
    return f"retention_years={centre.retention_years}"


def retention_cutoff(*, retention_years: int, now: dt.datetime) -> dt.datetime:
    """A case closed before this moment has been closed longer than `retention_years`: the
    same date and time that many years earlier (29 February: the 28th)."""
    try:
        return now.replace(year=now.year - retention_years)
    except ValueError:
        return now.replace(year=now.year - retention_years, day=28)


def cases_due_for_disposal(
    now: dt.datetime, *, centres: Iterable[Centre] | None = None
) -> QuerySet[Case]:
    """Closed cases past their centre's retention period, not held and not yet disposed of,
    oldest closure first (with their centre, for the case number)."""
    centres = list(Centre.objects.all() if centres is None else centres)
    past_retention = Q(pk__in=[])
    for centre in centres:
        cutoff = retention_cutoff(retention_years=centre.retention_years, now=now)
        past_retention |= Q(centre_id=centre.pk, closed_at__lt=cutoff)
    return (
        Case.objects.filter(
            past_retention,
            status=CaseStatus.CLOSED,
            closed_at__isnull=False,
            legal_hold=False,
            disposed_at__isnull=True,
        )
        .select_related("centre")
        .order_by("closed_at", "id")
    )


def case_dispose(
    *,
    case: Case,
    by: User | None,
    rule: str,
    source: DisposalSource = DisposalSource.COMMAND,
    now: dt.datetime | None = None,
    notifications_deleted: int | None = None,
) -> DisposalRecord | None:
    """Blank one case's personal data everywhere, in one transaction holding its row lock,
    and log it. Nothing happens (None) to a case that is no longer due: held, reopened or
    disposed of meanwhile (e.g. by a second run). `notifications_deleted`: the batch has
    already deleted its notifications (purge_expired); else they are deleted here, first."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = (
            Case.objects.select_for_update(of=("self",))
            .select_related("centre")
            .filter(pk=case.pk, status=CaseStatus.CLOSED, legal_hold=False, disposed_at=None)
            .first()
        )
        if locked is None or locked.closed_at is None:
            return None
        if notifications_deleted is None:
            notifications_deleted = notifications_delete_for_cases(case_ids=[locked.pk])[locked.pk]
        counts = {
            "notifications": notifications_deleted,
            **case_blank_personal_data(case=locked),
            **household_blank_personal_data(case=locked),
            **case_outreach_blank_personal_data(case=locked),
        }
        # records' own import bookkeeping holds no personal data of a case: the issues name
        # rows and columns, never a value, and an import's file is gone when it ends.
        return case_mark_disposed(
            case=locked, by=by, source=source, rule=rule, counts=counts, at=now
        )


@dataclass(frozen=True)
class DueCase:
    """A line of the dry run, and of the command's report: never a name."""

    centre: str
    case_number: str
    closed_at: dt.datetime
    rule: str


@dataclass
class PurgeResult:
    dry_run: bool
    due: list[DueCase] = field(default_factory=list)
    disposed: list[DueCase] = field(default_factory=list)
    skipped: int = 0  # no longer due when its turn came (held, reopened, done by another run)

    @property
    def totals(self) -> dict[str, int]:
        return {"due": len(self.due), "disposed": len(self.disposed), "skipped": self.skipped}


def purge_expired(
    *,
    now: dt.datetime | None = None,
    dry_run: bool = False,
    by: User | None = None,
    source: DisposalSource = DisposalSource.TASK,
) -> PurgeResult:
    """Dispose of every case due (or, dry run, only list them). The notifications of a batch
    of cases are deleted by one statement first; then each case in its own transaction, so
    one failure stops nothing but that case (it is logged by id and tried again next run)."""
    now = now or timezone.now()
    due = list(cases_due_for_disposal(now))
    result = PurgeResult(dry_run=dry_run)
    result.due = [
        # closed_at is never None here (the query requires it)
        DueCase(
            case.centre.name, case.case_number, case.closed_at or now, retention_rule(case.centre)
        )
        for case in due
    ]
    if dry_run:
        return result
    for start in range(0, len(due), NOTIFICATION_BATCH):
        batch = due[start : start + NOTIFICATION_BATCH]
        deleted = notifications_delete_for_cases(case_ids=[case.pk for case in batch])
        for case, line in zip(batch, result.due[start : start + NOTIFICATION_BATCH], strict=True):
            try:
                record = case_dispose(
                    case=case,
                    by=by,
                    rule=line.rule,
                    source=source,
                    now=now,
                    notifications_deleted=deleted[case.pk],
                )
            except Exception:
                logger.exception("disposal of case id=%s failed", case.pk)
                result.skipped += 1
                continue
            if record is None:
                result.skipped += 1
            else:
                result.disposed.append(line)
    return result
