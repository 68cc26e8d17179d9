"""Importing a centre's spreadsheets: the job (what was uploaded, its dry run, its progress and
counts), the uploaded file while it is needed, the rows that could not be imported, the saved
column mappings, and the keys that recognise a row imported before.

The file's content is kept only until the import ends (and at most IMPORT_FILE_RETENTION): in
the database, so that a worker on another machine reads what the web process received, and
never in a log or on the audit trail."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Centre


class Shape(models.TextChoices):
    CASES = "cases", _("ケース（本人）の表")
    CONTACTS = "contacts", _("相談記録の表")
    FAMILY = "family", _("家族の表")


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("列の対応付け待ち")
    CHECKING = "checking", _("確認中")
    CHECKED = "checked", _("確認済み（未取込）")
    QUEUED = "queued", _("取込待ち")
    WRITING = "writing", _("取込中")
    DONE = "done", _("取込完了")
    FAILED = "failed", _("中断")
    CANCELLED = "cancelled", _("取り消し")


# A worker works on a job in these states (and a stalled one is taken over).
RUNNING = (ImportStatus.CHECKING, ImportStatus.QUEUED, ImportStatus.WRITING)
# The import of a centre that writes: one at a time (two would race for the same rows).
WRITING = (ImportStatus.QUEUED, ImportStatus.WRITING)
FINISHED = (ImportStatus.DONE, ImportStatus.FAILED, ImportStatus.CANCELLED)


class ImportMapping(models.Model):
    """Which column of a centre's spreadsheet goes to which field, saved for next time: the
    same book exported again has the same headers."""

    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="+")
    shape = models.CharField(_("表の種類"), max_length=10, choices=Shape.choices)
    name = models.CharField(_("名前"), max_length=100)
    # Header text → target field (a header left out is not imported).
    columns = models.JSONField(_("列の対応"), default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("列の対応付け")
        verbose_name_plural = _("列の対応付け")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["centre", "shape", "name"], name="import_mapping_name_unique"
            )
        ]

    def __str__(self) -> str:
        return self.name


class ImportJob(models.Model):
    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="+")
    shape = models.CharField(_("表の種類"), max_length=10, choices=Shape.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("アップロード日時"), default=timezone.now)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("取込の確定日時"), null=True)
    finished_at = models.DateTimeField(_("終了日時"), null=True)
    # The reports are written in the language of whoever ran the step.
    language = models.CharField(max_length=8, default="ja")

    file_name = models.CharField(_("ファイル名"), max_length=200)
    file_hash = models.CharField(_("ファイルのハッシュ（SHA-256）"), max_length=64)
    file_size = models.PositiveIntegerField(_("ファイルの大きさ"))
    file_kind = models.CharField(max_length=4)  # csv | xlsx
    encoding = models.CharField(max_length=12, blank=True)
    sheet_names = models.JSONField(default=list)
    sheet = models.CharField(_("シート"), max_length=100, blank=True)
    header_row = models.PositiveIntegerField(_("見出しの行"), default=1)
    headers = models.JSONField(default=list)
    # Column index (as text: JSON keys) → target field.
    columns = models.JSONField(default=dict)
    mapping = models.ForeignKey(
        ImportMapping, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    skip_invalid = models.BooleanField(_("取り込めない行を飛ばして取り込む"), default=False)
    # What the dry run was made of (file, sheet, header row, mapping): a confirmation must
    # name the same, so that nothing is written that the user has not seen the report of.
    checked_fingerprint = models.CharField(max_length=64, blank=True)
    # What each row would do (its line and action), as the dry run found: the check made
    # again at confirmation must find the same, or nothing is written.
    plan_digest = models.CharField(max_length=64, blank=True)
    # The confirmed import's second check has passed: a resumed run goes straight on writing.
    write_checked = models.BooleanField(default=False)

    status = models.CharField(
        _("状況"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.UPLOADED
    )
    failure = models.TextField(_("中断の理由"), blank=True)
    rows_total = models.PositiveIntegerField(default=0)
    rows_checked = models.PositiveIntegerField(default=0)
    # The write pass's bookkeeping: data rows (in file order) written so far, committed in
    # the same transaction as their records, so that a resumed import starts exactly there.
    rows_written = models.PositiveIntegerField(default=0)
    planned_created = models.PositiveIntegerField(default=0)
    planned_updated = models.PositiveIntegerField(default=0)
    planned_unchanged = models.PositiveIntegerField(default=0)
    planned_invalid = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    # Who works on it: a worker claims the job with a new token (compare-and-swap) and every
    # chunk it writes checks the token under the job's row lock, so a stalled worker taken
    # over can never write again.
    claim_token = models.UUIDField(null=True, editable=False)
    heartbeat_at = models.DateTimeField(null=True, editable=False)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("取り込み")
        verbose_name_plural = _("取り込み")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["centre", "-created_at"], name="import_centre_recent"),
            models.Index(
                fields=["heartbeat_at"], name="import_running", condition=Q(status__in=RUNNING)
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["centre"],
                condition=Q(status__in=WRITING),
                name="one_import_writing_per_centre",
            )
        ]

    def __str__(self) -> str:
        return f"import#{self.pk}"

    @property
    def is_running(self) -> bool:
        return self.status in RUNNING

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED

    @property
    def progress_done(self) -> int:
        """Rows done of the current pass, for the progress bar."""
        if self.status in (ImportStatus.WRITING, ImportStatus.DONE):
            return self.rows_written
        return self.rows_checked

    @property
    def progress_percent(self) -> int:
        return 100 * self.progress_done // self.rows_total if self.rows_total else 0

    def fingerprint(self) -> str:
        """The dry run's identity: the file and how it is read."""
        columns = sorted(self.columns.items())
        text = f"{self.file_hash}|{self.sheet}|{self.header_row}|{self.shape}|{columns}"
        return hashlib.sha256(text.encode()).hexdigest()


class ImportFile(models.Model):
    """The uploaded bytes, deleted when the import ends."""

    job = models.OneToOneField(ImportJob, on_delete=models.CASCADE, related_name="file")
    content = models.BinaryField()

    class Meta:
        verbose_name = _("取り込みファイル")
        verbose_name_plural = _("取り込みファイル")

    def __str__(self) -> str:
        return f"file of import#{self.job_id}"


class ImportIssue(models.Model):
    """A row that can't be imported (or, at the end, was skipped), and why: its row number in
    the spreadsheet, the column's header, the reason. Never the cell's value."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="issues")
    line = models.PositiveIntegerField(_("行"))
    column = models.CharField(_("列"), max_length=200, blank=True)
    reason = models.TextField(_("理由"))

    class Meta:
        verbose_name = _("取り込めない行")
        verbose_name_plural = _("取り込めない行")
        ordering = ["line", "id"]
        indexes = [models.Index(fields=["job", "line"], name="import_issue_job_line")]

    def __str__(self) -> str:
        return f"import#{self.job_id} line {self.line}"


class ImportedKey(models.Model):
    """A row imported before, by what identifies it in the centre's spreadsheet: its own
    number (台帳番号, a contact's record number) or, without one, a digest of what makes the
    row that row. Importing the same file again finds these and changes nothing. A plain
    reference to the record, like the audit trail's: it outlives a disposed record, whose
    row is then refused rather than created again."""

    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="+", db_index=False)
    shape = models.CharField(max_length=10, choices=Shape.choices)
    key = models.CharField(max_length=200)
    object_id = models.BigIntegerField()
    job = models.ForeignKey(
        ImportJob, on_delete=models.SET_NULL, null=True, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("取り込み済みの行")
        verbose_name_plural = _("取り込み済みの行")
        constraints = [
            models.UniqueConstraint(fields=["centre", "shape", "key"], name="imported_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.shape}:{self.object_id}"
