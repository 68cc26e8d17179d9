"""Importing a centre's spreadsheet, in steps the user sees: upload, map the columns, a dry
run (what would be created, updated, left unchanged, and every row that can't be imported,
with why), then confirming that very dry run (the file's SHA-256 and the way it was read)
writes it.

How it stays right:
* Nothing is written before the whole file has been checked again at confirmation and found
  as the dry run said (else the new report is shown); a row that can't be imported stops the
  import unless the user chose to skip such rows.
* Rows are written in chunks; each chunk's records and the job's bookkeeping (rows written,
  counts) commit together, so a worker killed mid-way leaves whole chunks only, and the
  import resumes exactly where it stopped: a stalled job is taken over (compare-and-swap on
  its claim) and every chunk re-checks the claim under the job's row lock.
* Each row is recognised by the centre's own number for it (or a digest of what makes it that
  row): importing the same file again changes nothing.
* Records are written by the owning apps' services (cases, contacts, households), so every
  rule, the silence clock and the audit trail apply once.
* The file's content is never logged nor audited; it is deleted when the import ends."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any, Protocol

from celery import current_app
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import AuditAction, Centre, User
from accounts.services import audit_record
from records.importing import reading
from records.importing.base import Action, Planned, refuse_validation
from records.importing.cases import CasePlanner
from records.importing.contacts import ContactPlanner
from records.importing.family import FamilyPlanner
from records.importing.normalise import Invalid, cell_text, word_key
from records.importing.targets import CASES, CONTACTS, FAMILY, TARGETS, suggest
from records.models import (
    RUNNING,
    ImportFile,
    ImportIssue,
    ImportJob,
    ImportMapping,
    ImportStatus,
)

logger = logging.getLogger(__name__)

RUN_TASK = "records.run_import"

# Rows per transaction of the write pass (and per progress step of a check).
CHUNK_ROWS = getattr(settings, "IMPORT_CHUNK_ROWS", 500)
# A file this small is checked and written in the request itself; a larger one by a worker.
INLINE_MAX_BYTES = getattr(settings, "IMPORT_INLINE_MAX_BYTES", 64 * 1024)
MAX_BYTES = getattr(settings, "IMPORT_MAX_BYTES", 20 * 1024 * 1024)
MAX_ROWS = getattr(settings, "IMPORT_MAX_ROWS", 100_000)
# A running job whose worker has not written a heartbeat for this long is taken over.
STALE_AFTER = dt.timedelta(seconds=getattr(settings, "IMPORT_STALE_AFTER_SECONDS", 120))
FILE_RETENTION = dt.timedelta(days=getattr(settings, "IMPORT_FILE_RETENTION_DAYS", 7))
HEADER_SEARCH_ROWS = 20


class Planner(Protocol):
    """What each shape of spreadsheet provides (records/importing/cases.py, contacts.py,
    family.py): rows planned against the database, then written through the services."""

    def __init__(
        self, *, job: ImportJob, columns: dict[int, str], headers: list[str], dry_run: bool
    ) -> None: ...

    def plan_chunk(self, rows: Sequence[tuple[int, list[Any]]]) -> list[Planned]: ...

    def write_many(self, planned_rows: Sequence[Planned], *, by: User, ip: str | None) -> None: ...

    def write(self, planned: Planned, *, by: User, ip: str | None) -> None: ...


PLANNERS: dict[str, type[Planner]] = {
    CASES: CasePlanner,
    CONTACTS: ContactPlanner,
    FAMILY: FamilyPlanner,
}


class ImportRefused(ValidationError):
    """A step the job can't take now (another import writes, the file is not the one
    checked, rows can't be imported and the user did not choose to skip them)."""


# --- upload and mapping -------------------------------------------------------------------


def import_upload(
    *, centre: Centre, by: User, shape: str, file_name: str, data: bytes, language: str
) -> ImportJob:
    """Keep the file and read its first rows: the sheets, where the header row is, and the
    columns suggested from the headers (or from a mapping saved for this centre's file)."""
    if len(data) > MAX_BYTES:
        raise ValidationError(
            _("ファイルが大きすぎます（上限 %(mb)s MB）。") % {"mb": MAX_BYTES // (1024 * 1024)}
        )
    try:
        opened = reading.open_file(data)
    except Invalid as error:
        raise ValidationError(str(error)) from None
    job = ImportJob(
        centre=centre,
        shape=shape,
        created_by=by,
        language=language,
        file_name=file_name[-200:],
        file_hash=hashlib.sha256(data).hexdigest(),
        file_size=len(data),
        file_kind=opened.kind,
        encoding=opened.encoding,
        sheet_names=opened.sheets if opened.kind == "xlsx" else [],
        sheet=opened.sheets[0],
    )
    _read_headers(job, data)
    job.columns, job.mapping = _suggested_columns(job)
    with transaction.atomic():
        job.save()
        ImportFile.objects.create(job=job, content=data)
    return job


def _open(job: ImportJob) -> reading.Opened:
    return reading.Opened(job.file_kind, job.encoding, job.sheet_names or [""])  # type: ignore[arg-type]


def _read_headers(job: ImportJob, data: bytes, header_row: int | None = None) -> None:
    """The header row (the one whose cells name the most known fields among the first rows,
    unless the user said which) and its headers."""
    try:
        first = list(islice(reading.rows(data, _open(job), sheet=job.sheet), HEADER_SEARCH_ROWS))
    except Invalid as error:
        raise ValidationError(str(error)) from None
    if not first:
        raise ValidationError(_("このシートには何も入っていません。"))
    if header_row is None:
        known = {word_key(word) for t in TARGETS[job.shape] for word in (*t.headers, str(t.label))}
        scores = [
            (sum(word_key(cell) in known for cell in cells), -number) for number, cells in first
        ]
        best = max(range(len(first)), key=lambda index: scores[index])
        header_row = first[best][0] if scores[best][0] else first[0][0]
    by_number = dict(first)
    cells = by_number.get(header_row)
    if cells is None:
        raise ValidationError(
            _("見出しの行には、最初の%(n)s行のうち、何か入っている行を選んでください。")
            % {"n": HEADER_SEARCH_ROWS}
        )
    job.header_row = header_row
    job.headers = _unique_headers(cells)


def _unique_headers(cells: list[Any]) -> list[str]:
    """Headers as text; a blank one named by its column letter, a repeated one numbered."""
    from openpyxl.utils import get_column_letter

    headers: list[str] = []
    for index, cell in enumerate(cells):
        header = cell_text(cell) or _("（%(letter)s列）") % {"letter": get_column_letter(index + 1)}
        while header in headers:
            header += "'"
        headers.append(header)
    return headers


def _suggested_columns(job: ImportJob) -> tuple[dict[str, str], ImportMapping | None]:
    """A saved mapping of the centre whose headers this file has (the one matching most),
    else suggestions from the header words."""
    best, best_hits = None, 0
    for mapping in ImportMapping.objects.filter(centre=job.centre, shape=job.shape):
        hits = sum(header in mapping.columns for header in job.headers)
        if hits > best_hits and hits * 2 >= len(mapping.columns):
            best, best_hits = mapping, hits
    if best is not None:
        valid = {t.key for t in TARGETS[job.shape]}
        return {
            str(index): best.columns[header]
            for index, header in enumerate(job.headers)
            if best.columns.get(header) in valid
        }, best
    return {str(index): key for index, key in suggest(job.shape, job.headers).items()}, None


def import_read_as(*, job: ImportJob, sheet: str, header_row: int | None = None) -> ImportJob:
    """Read another sheet of the workbook (or the headers from another row): its headers and
    the columns suggested for them. Nothing is checked yet."""
    if job.status not in (ImportStatus.UPLOADED, ImportStatus.CHECKED, ImportStatus.FAILED):
        raise ImportRefused(_("この取り込みは今は変更できません。"))
    if job.file_kind == "xlsx" and sheet not in job.sheet_names:
        raise ValidationError({"sheet": _("そのシートはこのファイルにありません。")})
    job.sheet = sheet
    _read_headers(job, _content(job), header_row)
    job.columns, job.mapping = _suggested_columns(job)
    _reset(job, status=ImportStatus.UPLOADED)
    job.save()
    return job


def import_set_mapping(
    *,
    job: ImportJob,
    by: User,
    sheet: str,
    header_row: int,
    columns: Mapping[int, str],
    save_as: str = "",
    language: str = "ja",
) -> ImportJob:
    """Read the file this way: the sheet, the header row and each column's field. Saves the
    mapping by name for the centre's next file of this shape if asked. The dry run follows
    (import_start)."""
    if job.status not in (ImportStatus.UPLOADED, ImportStatus.CHECKED, ImportStatus.FAILED):
        raise ImportRefused(_("この取り込みは今は変更できません。"))
    if sheet != job.sheet or header_row != job.header_row:
        # The columns were chosen for other headers: show the new ones first.
        raise ImportRefused(_("シートか見出しの行が変わりました。列の対応付けを確かめてください。"))
    check_columns(job.shape, columns)
    job.columns = {str(index): key for index, key in columns.items() if index < len(job.headers)}
    job.language = language
    if save_as:
        named = {job.headers[int(index)]: key for index, key in job.columns.items()}
        name = save_as[:100]
        taken = ImportMapping.objects.filter(centre=job.centre, shape=job.shape, name=name)
        if job.mapping_id is not None:
            taken = taken.exclude(pk=job.mapping_id)
        if taken.exists():
            # Another of the centre's saved mappings (a colleague's, for another book): not
            # replaced unseen. The job's own mapping, chosen for this file, is updated.
            raise ImportRefused(
                {
                    "save_as": _(
                        "「%(name)s」という名前の対応付けはすでにあります。別の名前にしてください。"
                    )
                    % {"name": name}
                }
            )
        job.mapping, _created = ImportMapping.objects.update_or_create(
            centre=job.centre,
            shape=job.shape,
            name=name,
            defaults={"columns": named, "created_by": by},
        )
    _reset(job, status=ImportStatus.CHECKING)
    job.save()
    return job


def check_columns(shape: str, columns: Mapping[int, str]) -> None:
    """Each field from one column at most; the required ones mapped; a case row
    identifiable (the centre's number or the case number)."""
    chosen = [key for key in columns.values() if key]
    errors = []
    for key in {key for key in chosen if chosen.count(key) > 1}:
        label = next(t.label for t in TARGETS[shape] if t.key == key)
        errors.append(_("「%(field)s」に2つ以上の列が選ばれています。") % {"field": label})
    for t in TARGETS[shape]:
        if t.required and t.key not in chosen:
            errors.append(_("「%(field)s」にあたる列を選んでください。") % {"field": t.label})
    if shape == CASES and not {"external_id", "case_number"} & set(chosen):
        errors.append(
            _(
                "行を見分ける列（台帳番号、またはつなぐのケース番号）を選んでください。"
                "同じ表をもう一度取り込んだときに、同じケースとわかるようにするためです。"
            )
        )
    if errors:
        raise ValidationError(errors)


def _reset(job: ImportJob, *, status: str) -> None:
    job.status = status
    job.failure = ""
    job.claim_token = None
    job.heartbeat_at = None
    job.checked_fingerprint = job.plan_digest = ""
    job.write_checked = False
    job.rows_checked = job.rows_written = 0
    job.planned_created = job.planned_updated = job.planned_unchanged = job.planned_invalid = 0
    job.created = job.updated = job.unchanged = job.skipped = 0


def _content(job: ImportJob) -> bytes:
    content = ImportFile.objects.filter(job=job).values_list("content", flat=True).first()
    if content is None:
        raise ImportRefused(
            _("ファイルはもう保存されていません。もう一度アップロードしてください。")
        )
    return bytes(content)


# --- confirming -------------------------------------------------------------------------


def import_confirm(
    *,
    job: ImportJob,
    by: User,
    file_hash: str,
    fingerprint: str,
    skip_invalid: bool,
    language: str = "ja",
    ip: str | None = None,
) -> ImportJob:
    """Write what the dry run showed: only for the same file (its hash) read the same way,
    and, when rows can't be imported, only if the user chose to skip them."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.status != ImportStatus.CHECKED:
            raise ImportRefused(_("確認（ドライラン）が終わった取り込みだけを確定できます。"))
        if file_hash != job.file_hash or fingerprint != job.checked_fingerprint:
            raise ImportRefused(
                _("確認したファイルと違います。もう一度アップロードして確認してください。")
            )
        if job.planned_invalid and not skip_invalid:
            raise ImportRefused(
                _(
                    "取り込めない行が%(n)s行あります。表を直してもう一度アップロードするか、"
                    "「取り込めない行を飛ばして、ほかの行を取り込む」を選んでください。何も書き込んでいません。"
                )
                % {"n": job.planned_invalid}
            )
        job.status = ImportStatus.QUEUED
        job.skip_invalid = skip_invalid
        job.confirmed_by, job.confirmed_at, job.language = by, timezone.now(), language
        job.claim_token = job.heartbeat_at = None
        job.write_checked, job.failure = False, ""
        job.rows_written = job.created = job.updated = job.unchanged = job.skipped = 0
        try:
            with transaction.atomic():
                job.save()
        except IntegrityError:
            raise ImportRefused(
                _("このセンターでは別の取り込みが実行中です。終わってから確定してください。")
            ) from None
        # Who imported what (the fields, never a value); the counts stay on the job.
        audit_record(
            user=by,
            action=AuditAction.IMPORT,
            obj=job,
            centre_id=job.centre_id,
            ip=ip,
            changed_fields=sorted(set(job.columns.values())),
        )
    return job


def import_start(job: ImportJob) -> None:
    """Run the job's next pass: here and now for a small file, else on a worker (published
    once the transaction commits; if the broker is down, the periodic resume finds it)."""
    if job.file_size <= INLINE_MAX_BYTES:
        import_run(job_id=job.pk)
        job.refresh_from_db()
        return

    def publish() -> None:
        try:
            current_app.send_task(RUN_TASK, args=[job.pk], retry=False, ignore_result=True)
        except Exception as exc:  # the periodic resume publishes it again
            logger.warning("import #%s not announced to the broker: %s", job.pk, type(exc).__name__)

    transaction.on_commit(publish)


def import_cancel(*, job: ImportJob, by: User) -> ImportJob:
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.status in (ImportStatus.QUEUED, ImportStatus.WRITING, ImportStatus.DONE):
            raise ImportRefused(_("取り込みを始めたあとは取り消せません。"))
        job.status, job.finished_at, job.claim_token = ImportStatus.CANCELLED, timezone.now(), None
        job.save(update_fields=["status", "finished_at", "claim_token"])
        ImportFile.objects.filter(job=job).delete()
    return job


# --- running (a worker, or the request for a small file) ---------------------------------------


class LostClaim(Exception):
    """Another worker took the job over (this one was thought dead): stop writing."""


@dataclass
class RowRefused(Exception):
    planned: Planned


def import_run(*, job_id: int, now: dt.datetime | None = None) -> str:
    """Claim the job and run its due pass: the dry run, or the confirmed import (checked
    again, then written from where it stopped). Returns the job's status. A job another
    worker holds (with a fresh heartbeat), or already finished, is left alone."""
    token = _claim(job_id, now or timezone.now())
    if token is None:
        return "not claimed"
    job = ImportJob.objects.select_related("centre", "created_by", "confirmed_by").get(pk=job_id)
    with translation.override(job.language):
        try:
            if job.status == ImportStatus.CHECKING:
                _check_pass(job, token, dry_run=True)
            else:
                _write(job, token)
        except LostClaim:
            return "lost claim"
        except Invalid as error:  # the file can't be read at all
            _fail(job, token, str(error))
    job.refresh_from_db(fields=["status"])
    return job.status


def _claim(job_id: int, now: dt.datetime) -> uuid.UUID | None:
    """Take the job if nobody works on it: queued or checking and unclaimed, or running with
    a heartbeat older than STALE_AFTER (its worker died). Compare-and-swap: of two workers,
    one wins."""
    token = uuid.uuid4()
    fresh = Q(status__in=(ImportStatus.CHECKING, ImportStatus.QUEUED), claim_token__isnull=True)
    stalled = Q(status__in=RUNNING, heartbeat_at__lt=now - STALE_AFTER)
    claimed = ImportJob.objects.filter(Q(pk=job_id) & (fresh | stalled)).update(
        claim_token=token, heartbeat_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return None
    ImportJob.objects.filter(pk=job_id, status=ImportStatus.QUEUED).update(
        status=ImportStatus.WRITING
    )
    return token


def _beat(job: ImportJob, token: uuid.UUID, **fields: Any) -> None:
    """Progress (and the heartbeat), committed as it goes, if the job is still ours."""
    updated = ImportJob.objects.filter(pk=job.pk, claim_token=token).update(
        heartbeat_at=timezone.now(), **fields
    )
    if not updated:
        raise LostClaim
    for name, value in fields.items():
        setattr(job, name, value)


def _data_rows(job: ImportJob, data: bytes) -> Iterator[tuple[int, list[Any]]]:
    for number, cells in reading.rows(data, _open(job), sheet=job.sheet):
        if number > job.header_row:
            yield number, cells


def _chunks(rows: Iterator[tuple[int, list[Any]]]) -> Iterator[list[tuple[int, list[Any]]]]:
    while chunk := list(islice(rows, CHUNK_ROWS)):
        yield chunk


def _planner(job: ImportJob, *, dry_run: bool) -> Planner:
    columns = {int(index): key for index, key in job.columns.items()}
    return PLANNERS[job.shape](job=job, columns=columns, headers=job.headers, dry_run=dry_run)


def _check_pass(job: ImportJob, token: uuid.UUID, *, dry_run: bool) -> str:
    """Plan every row without writing: the counts, the rows that can't be imported (their
    reasons stored), and a digest of what each row would do, to compare with later."""
    data = _content(job)
    total = sum(1 for _row in _data_rows(job, data))
    if total > MAX_ROWS:
        raise Invalid(
            _("行が多すぎます（上限 %(n)s 行）。ファイルを分けてください。"), {"n": MAX_ROWS}
        )
    ImportIssue.objects.filter(job=job).delete()
    _beat(job, token, rows_total=total, rows_checked=0)
    planner = _planner(job, dry_run=dry_run)
    counts = dict.fromkeys(Action, 0)
    plan_digest = hashlib.sha256()
    for chunk in _chunks(_data_rows(job, data)):
        planned_rows = planner.plan_chunk(chunk)
        for planned in planned_rows:
            counts[planned.action] += 1
            plan_digest.update(f"{planned.line}:{planned.action};".encode())
        _store_issues(job, planned_rows)
        _beat(job, token, rows_checked=job.rows_checked + len(chunk))
    fields = {
        "planned_created": counts[Action.CREATE],
        "planned_updated": counts[Action.UPDATE],
        "planned_unchanged": counts[Action.UNCHANGED],
        "planned_invalid": counts[Action.INVALID],
    }
    _beat(job, token, **fields)
    if dry_run:
        _beat(
            job,
            token,
            status=ImportStatus.CHECKED,
            checked_fingerprint=job.fingerprint(),
            plan_digest=plan_digest.hexdigest(),
            claim_token=None,
        )
    return plan_digest.hexdigest()


def _store_issues(job: ImportJob, planned_rows: list[Planned]) -> None:
    ImportIssue.objects.bulk_create(
        ImportIssue(job=job, line=planned.line, column=error.column[:200], reason=error.reason)
        for planned in planned_rows
        for error in planned.errors
    )


def _write(job: ImportJob, token: uuid.UUID) -> None:
    if not job.write_checked:
        plan_digest = _check_pass(job, token, dry_run=False)
        if plan_digest != job.plan_digest:
            # Something changed since the dry run (a case edited, a counsellor left): show
            # the new report and let the user confirm that one. Nothing has been written.
            _beat(
                job,
                token,
                status=ImportStatus.CHECKED,
                checked_fingerprint=job.fingerprint(),
                plan_digest=plan_digest,
                claim_token=None,
                failure=_(
                    "確認（ドライラン）のあとで、つなぐの記録が変わりました。新しい確認結果を見て、"
                    "もう一度確定してください。何も書き込んでいません。"
                ),
            )
            return
        _beat(job, token, write_checked=True)
    data = _content(job)
    planner = _planner(job, dry_run=False)
    by = job.confirmed_by or job.created_by
    rows = _data_rows(job, data)
    done = 0
    for chunk in _chunks(rows):
        if done + len(chunk) <= job.rows_written:
            planner.plan_chunk(chunk)  # already written: only remember what the file said
            done += len(chunk)
            continue
        try:
            _write_chunk(job, token, planner, chunk, by=by)
        except RowRefused as refused:
            errors = "; ".join(error.reason for error in refused.planned.errors)
            _fail(
                job,
                token,
                _(
                    "%(line)s行目を取り込めませんでした（%(reason)s）。確認のあとで記録が変わったためです。"
                    "%(done)s行目までの取り込みは済んでいます。もう一度確認すると、続きから取り込めます。"
                )
                % {
                    "line": refused.planned.line,
                    "reason": errors,
                    "done": job.rows_written + job.header_row,
                },
            )
            return
        done += len(chunk)
    _finish(job, token)


def _write_chunk(
    job: ImportJob,
    token: uuid.UUID,
    planner: Planner,
    chunk: list[tuple[int, list[Any]]],
    *,
    by: User,
) -> None:
    """One transaction: the chunk's records and the job's bookkeeping, or neither. The rows
    go to the planner's bulk path; if that refuses (a row the dry run let through, refused
    by the database), one by one, to find which."""
    with transaction.atomic():
        claim = (
            ImportJob.objects.select_for_update()
            .filter(pk=job.pk)
            .values_list("claim_token", flat=True)
        )
        if claim.first() != token:
            raise LostClaim
        planned_rows = planner.plan_chunk(chunk)
        refused = _refused(job, planned_rows)
        to_write = [p for p in planned_rows if p.action in (Action.CREATE, Action.UPDATE)]
        try:
            with transaction.atomic():
                planner.write_many(to_write, by=by, ip=None)
        except (ValidationError, IntegrityError):
            for planned in to_write:
                try:
                    with transaction.atomic():
                        planner.write(planned, by=by, ip=None)
                except ValidationError as error:
                    refuse_validation(planned, error, {})
                except IntegrityError:
                    planned.refuse("", _("つなぐの記録の決まりに合わないため取り込めません。"))
            refused += _refused(job, to_write)
        known = set(
            ImportIssue.objects.filter(job=job, line__in=[p.line for p in refused]).values_list(
                "line", flat=True
            )
        )
        _store_issues(job, [p for p in refused if p.line not in known])
        actions = [p.action for p in planned_rows]
        _beat(
            job,
            token,
            rows_written=job.rows_written + len(chunk),
            created=job.created + actions.count(Action.CREATE),
            updated=job.updated + actions.count(Action.UPDATE),
            unchanged=job.unchanged + actions.count(Action.UNCHANGED),
            skipped=job.skipped + actions.count(Action.INVALID),
        )


def _refused(job: ImportJob, planned_rows: list[Planned]) -> list[Planned]:
    """The rows that can't be imported: skipped if the user chose so, else the import stops
    (and the chunk's transaction is rolled back)."""
    refused = [planned for planned in planned_rows if planned.action == Action.INVALID]
    if refused and not job.skip_invalid:
        raise RowRefused(refused[0])
    return refused


def _finish(job: ImportJob, token: uuid.UUID) -> None:
    _beat(job, token, status=ImportStatus.DONE, finished_at=timezone.now(), claim_token=None)
    ImportFile.objects.filter(job=job).delete()
    # References and counts only: never a value of the file.
    logger.info(
        "import #%s done: centre=%s shape=%s created=%s updated=%s unchanged=%s skipped=%s",
        job.pk,
        job.centre_id,
        job.shape,
        job.created,
        job.updated,
        job.unchanged,
        job.skipped,
    )


def _fail(job: ImportJob, token: uuid.UUID, reason: str) -> None:
    _beat(
        job,
        token,
        status=ImportStatus.FAILED,
        failure=reason,
        claim_token=None,
        finished_at=timezone.now(),
    )
    logger.info("import #%s stopped: centre=%s shape=%s", job.pk, job.centre_id, job.shape)


def import_recheck(*, job: ImportJob, by: User, language: str = "ja") -> ImportJob:
    """A stopped import checked again (the same file, the same columns): rows written before
    it stopped are recognised and left unchanged, so confirming goes on from there."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.status not in (ImportStatus.FAILED, ImportStatus.CHECKED):
            raise ImportRefused(_("この取り込みは今は確認し直せません。"))
        _content(job)
        _reset(job, status=ImportStatus.CHECKING)
        job.language = language
        job.save()
    return job


# --- the periodic watch ---------------------------------------------------------------------


def imports_resume_stalled(*, now: dt.datetime | None = None) -> list[int]:
    """Publish again every job whose worker died (or was never told): running with a stale
    heartbeat, or waiting unclaimed longer than STALE_AFTER. The run claims it with a
    compare-and-swap, so a job published twice runs once."""
    now = now or timezone.now()
    stale = now - STALE_AFTER
    waiting = Q(status__in=(ImportStatus.CHECKING, ImportStatus.QUEUED), claim_token__isnull=True)
    ids = list(
        ImportJob.objects.filter(status__in=RUNNING)
        .filter(
            Q(heartbeat_at__lt=stale)
            | (waiting & (Q(confirmed_at__lt=stale) | Q(created_at__lt=stale)))
        )
        .values_list("pk", flat=True)
    )
    for job_id in ids:
        try:
            current_app.send_task(RUN_TASK, args=[job_id], retry=False, ignore_result=True)
        except Exception as exc:
            logger.warning("import #%s not announced to the broker: %s", job_id, type(exc).__name__)
    return ids


def import_files_purge(*, now: dt.datetime | None = None) -> int:
    """Delete the uploaded files of imports that ended, and give up imports left unfinished
    (never confirmed) for longer than FILE_RETENTION, with their files."""
    now = now or timezone.now()
    old = now - FILE_RETENTION
    ImportJob.objects.filter(
        status__in=(ImportStatus.UPLOADED, ImportStatus.CHECKED, ImportStatus.FAILED),
        created_at__lt=old,
    ).update(status=ImportStatus.CANCELLED, finished_at=now)
    deleted, _by_model = ImportFile.objects.filter(
        Q(job__status__in=(ImportStatus.DONE, ImportStatus.CANCELLED)) | Q(job__created_at__lt=old),
        ~Q(job__status__in=RUNNING),
    ).delete()
    return deleted
