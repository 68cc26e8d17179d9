"""The consultation log (相談記録): one row per contact, matched to its case by the centre's
old number or the case number. A row is recognised again by its own record number when the
sheet has one, else by what makes it that contact (the case, the moment, the channel, who it
was with, and how many such rows came before it in the file: two calls with the mother on the
same day are two contacts). Written through `cases.services.contact_record`, so the silence
clock and the audit trail follow as for a contact typed in by hand."""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from accounts.models import User
from cases import services as case_services
from cases.choices import Channel, ContactSource, Counterpart
from cases.models import Case, ContactEntry
from records.importing import normalise as n
from records.importing.base import (
    Action,
    Cells,
    Planned,
    PlannerBase,
    Staff,
    digest,
    external_key,
    field_labels,
    full_clean,
    refuse_validation,
    require,
)
from records.importing.targets import CONTACTS, target
from records.models import ImportedKey, ImportJob

ALIASES = {
    "date": ("occurred_at",),
    "time": ("occurred_at",),
    "duration": ("duration_minutes",),
}
# What a contact entry holds that a row may change once it is imported.
CHANGEABLE = ("duration_minutes", "counterpart_detail", "staff", "two_way", "note", "next_action")
ONE_WAY_WORDS = ("一方向", "不在", "留守", "応答なし", "返信なし", "不通")
TWO_WAY_WORDS = ("双方向", "応答あり", "返信あり", "通話")


class ContactPlanner(PlannerBase):
    shape = CONTACTS

    def __init__(
        self, *, job: ImportJob, columns: dict[int, str], headers: list[str], dry_run: bool
    ) -> None:
        super().__init__(job=job, columns=columns, headers=headers, dry_run=dry_run)
        self.staff = Staff(self.centre)
        self.occurrences: Counter[str] = Counter()
        self.seen_ids: dict[str, int] = {}
        self.cases: dict[int, Case] = {}

    def plan_chunk(self, rows: Sequence[tuple[int, list[Any]]]) -> list[Planned]:
        read = [self._read(line, row) for line, row in rows]
        keys = [planned.key for planned, _cells in read if planned.key]
        existing = dict(
            ImportedKey.objects.filter(
                centre=self.centre, shape=CONTACTS, key__in=keys
            ).values_list("key", "object_id")
        )
        entries = ContactEntry.objects.in_bulk(list(existing.values()))
        case_ids = {
            planned.extra["case_id"] for planned, _cells in read if "case_id" in planned.extra
        }
        self.cases = Case.objects.select_related("centre").in_bulk(list(case_ids))
        result = []
        for planned, cells in read:
            if planned.action != Action.INVALID:
                entry_id = existing.get(planned.key)
                self._plan(planned, cells, entries.get(entry_id) if entry_id else None, entry_id)
            result.append(planned)
        return result

    def _read(self, line: int, row: list[Any]) -> tuple[Planned, Cells]:
        planned = Planned(line)
        cells = Cells(row, self.columns, self.headers, planned)
        present = [
            require(cells, target(CONTACTS, key))
            for key in ("case", "date", "channel", "counterpart")
        ]
        case_id = cells.read("case", self.refs.find)
        occurred_at = cells.read("date", lambda v: n.moment(v, cells.raw("time")))
        channel = cells.read(
            "channel", lambda v: n.CHANNEL(v, field=target(CONTACTS, "channel").label)
        )
        counterpart = cells.read(
            "counterpart", lambda v: n.COUNTERPART(v, field=target(CONTACTS, "counterpart").label)
        )
        values: dict[str, Any] = {}
        duration = cells.read("duration", n.duration_minutes)
        if duration is not None:
            values["duration_minutes"] = duration
        if detail := cells.text("counterpart_detail"):
            values["counterpart_detail"] = detail
        elif (
            counterpart
            and cells.text("counterpart")
            and n.word_key(cells.raw("counterpart")) != n.word_key(Counterpart(counterpart).label)
        ):
            # 母, 保健所: the word said more than the choice keeps.
            values["counterpart_detail"] = cells.text("counterpart")[:60]
        # A blank one is the person importing (as contact_record records it).
        if (staff := cells.read("staff", self.staff.find)) is not None:
            values["staff"] = staff
        two_way = cells.read("two_way", lambda v: n.yes_no(v, yes=TWO_WAY_WORDS, no=ONE_WAY_WORDS))
        if two_way is not None:
            values["two_way"] = two_way
        elif channel == Channel.LETTER:
            # A letter left is a one-way attempt (it does not reset the silence clock)
            # unless the sheet says it was answered.
            values["two_way"] = False
        for name in ("note", "next_action"):
            if not cells.blank(name):
                values[name] = str(cells.raw(name)).strip()
        if not all(present) or planned.action == Action.INVALID:
            planned.action = Action.INVALID
            return planned, cells
        assert case_id is not None and occurred_at is not None
        values.update(occurred_at=occurred_at, channel=channel, counterpart=counterpart)
        planned.values = values
        planned.extra["case_id"] = case_id
        if not cells.blank("external_id"):
            number = external_key(cells.raw("external_id"))
            if number in self.seen_ids:
                cells.refuse(
                    "external_id",
                    _("この記録番号は%(line)s行目にもあります。") % {"line": self.seen_ids[number]},
                )
                return planned, cells
            self.seen_ids[number] = line
            planned.key = "id:" + number
        else:
            identity = (case_id, occurred_at.isoformat(), channel, counterpart)
            self.occurrences[digest(*identity)] += 1
            planned.key = "auto:" + digest(*identity, self.occurrences[digest(*identity)])
        return planned, cells

    def _plan(
        self, planned: Planned, cells: Cells, entry: ContactEntry | None, entry_id: int | None
    ) -> None:
        labels = field_labels(CONTACTS, cells.headers, ALIASES)
        case_id = planned.extra["case_id"]
        if entry_id is not None and entry is None:
            planned.refuse("", _("この行の相談記録はつなぐで削除されています。取り込みません。"))
            return
        if entry is None:
            self._check_new(planned, labels)
            return
        if entry.case_id != case_id:
            cells.refuse(
                "external_id", _("この記録番号は、別のケースの相談記録として取り込み済みです。")
            )
            return
        identity = ("occurred_at", "channel", "counterpart")
        changes = {
            name: value
            for name, value in planned.values.items()
            if name in CHANGEABLE + identity and _current(entry, name) != _compared(value)
        }
        planned.obj, planned.values = entry, changes
        planned.action = Action.UPDATE if changes else Action.UNCHANGED
        if changes:
            trial = copy.copy(entry)
            for name, value in changes.items():
                setattr(trial, name, value)
            try:
                full_clean(trial, exclude=["case", "created_by", "staff"])
            except ValidationError as error:
                refuse_validation(planned, error, labels)

    def _check_new(self, planned: Planned, labels: dict[str, str]) -> None:
        """What contact_record checks (ContactEntry.full_clean), on the new entry."""
        entry = ContactEntry(
            case_id=planned.extra["case_id"],
            created_by=self.job.created_by,
            source=ContactSource.MANUAL,
            **planned.values,
        )
        try:
            full_clean(entry, exclude=["case", "created_by", "staff"])
        except ValidationError as error:
            refuse_validation(planned, error, labels)

    def write_many(self, planned_rows: Sequence[Planned], *, by: User, ip: str | None) -> None:
        """New contacts in one go (contact_record_many), corrections one by one."""
        new = [planned for planned in planned_rows if planned.action == Action.CREATE]
        entries = case_services.contact_record_many(
            contacts=[(self.cases[planned.extra["case_id"]], planned.values) for planned in new],
            by=by,
            ip=ip,
        )
        ImportedKey.objects.bulk_create(
            ImportedKey(
                centre=self.centre,
                shape=CONTACTS,
                key=planned.key,
                object_id=entry.pk,
                job=self.job,
            )
            for planned, entry in zip(new, entries, strict=True)
        )
        for planned in planned_rows:
            if planned.action == Action.UPDATE:
                self.write(planned, by=by, ip=ip)

    def write(self, planned: Planned, *, by: User, ip: str | None) -> None:
        if planned.action == Action.CREATE:
            case = self.cases[planned.extra["case_id"]]
            entry = case_services.contact_record(case=case, by=by, fields=planned.values, ip=ip)
            ImportedKey.objects.create(
                centre=self.centre,
                shape=CONTACTS,
                key=planned.key,
                object_id=entry.pk,
                job=self.job,
            )
        elif planned.action == Action.UPDATE:
            case_services.contact_correct(entry=planned.obj, by=by, changes=planned.values, ip=ip)


def _compared(value: Any) -> Any:
    return value.pk if isinstance(value, User) else value


def _current(entry: ContactEntry, name: str) -> Any:
    return entry.staff_id if name == "staff" else getattr(entry, name)
