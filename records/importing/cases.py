"""The case sheet (ケース台帳): one row per person, with their first-contact data, status and
counsellor. A row is recognised by the centre's own number for it (台帳番号, kept as an
imported key) or by its case number in Tsunagu; a new case is opened through
`cases.services.case_create`, a known one changed through `case_update` and
`case_change_status`, so every rule of the case file (case numbers, the silence clock, the
audit trail) applies as it does to a case typed in by hand."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from cases import services as case_services
from cases.choices import CaseStatus
from cases.models import Case
from records.importing import normalise as n
from records.importing.base import (
    Action,
    Cells,
    Planned,
    PlannerBase,
    Staff,
    external_key,
    field_labels,
    full_clean,
    refuse_validation,
    require,
    write_each,
)
from records.importing.targets import CASES, target
from records.models import ImportedKey, ImportJob

# Which model fields a target fills (for putting a model's refusal on the right column).
ALIASES = {
    "full_name": ("family_name", "given_name"),
    "full_name_kana": ("family_name_kana", "given_name_kana"),
    "age": ("age_band",),
    "address": ("prefecture", "address_line"),
    "withdrawal_since": ("withdrawal_since_year", "withdrawal_since_month"),
    "closed_on": ("closed_at",),
}
STATUS_FIELDS = ("status", "closure_reason", "paused_until")
REQUIRED_TO_OPEN = ("first_contact_date", "first_contact_by")


class CasePlanner(PlannerBase):
    shape = CASES

    def __init__(
        self, *, job: ImportJob, columns: dict[int, str], headers: list[str], dry_run: bool
    ) -> None:
        super().__init__(job=job, columns=columns, headers=headers, dry_run=dry_run)
        self.staff = Staff(self.centre)
        self.seen: dict[str, int] = {}  # the centre's number → the first row that has it

    # --- reading a row --------------------------------------------------------------------

    def values(self, cells: Cells) -> dict[str, Any]:
        """The model's values of the row's non-blank cells (a blank cell never clears what
        a case holds already)."""
        values: dict[str, Any] = {}
        if full := cells.read("full_name", n.split_name):
            values.update(_present(family_name=full[0], given_name=full[1]))
        if full_kana := cells.read("full_name_kana", lambda v: n.split_name(n.kana(v))):
            values.update(_present(family_name_kana=full_kana[0], given_name_kana=full_kana[1]))
        for name in ("family_name", "given_name"):
            if text := cells.text(name):
                values[name] = text
        for name in ("family_name_kana", "given_name_kana"):
            if furigana := cells.read(name, n.kana):
                values[name] = furigana
        if address := cells.read("address", n.split_prefecture):
            values.update(_present(prefecture=address[0], address_line=address[1]))
        for name in ("prefecture", "municipality", "address_line"):
            if text := cells.text(name):
                values[name] = text
        if since := cells.read("withdrawal_since", n.year_month):
            values["withdrawal_since_year"], values["withdrawal_since_month"] = since
        parsers = {
            "birth_date": n.day,
            "age": n.age_band,
            "gender": lambda v: n.GENDER(v, field=target(CASES, "gender").label),
            "postal_code": n.postal_code,
            "phone": n.phone,
            "first_contact_date": n.day,
            "first_contact_by": lambda v: n.FIRST_CONTACT_BY(
                v, field=target(CASES, "first_contact_by").label
            ),
            "severity": lambda v: n.SEVERITY(v, field=target(CASES, "severity").label),
            "support_stage": lambda v: n.SUPPORT_STAGE(
                v, field=target(CASES, "support_stage").label
            ),
            "status": lambda v: n.CASE_STATUS(v, field=target(CASES, "status").label),
            "closure_reason": lambda v: n.CLOSURE_REASON(
                v, field=target(CASES, "closure_reason").label
            ),
            "paused_until": n.day,
            "closed_on": n.moment,
            "person_aware": lambda v: n.PERSON_AWARE(v, field=target(CASES, "person_aware").label),
            "risk_self_harm": n.yes_no,
            "risk_violence": n.yes_no,
            "risk_parent_ill": n.yes_no,
            "followup_interval_days": lambda v: n.whole_number(v, suffixes=("日",)),
            "primary_counsellor": self.staff.find,
        }
        for key, parse in parsers.items():
            value = cells.read(key, parse)
            if value is not None:
                values[{"age": "age_band", "closed_on": "closed_at"}.get(key, key)] = value
        return values

    # --- planning -------------------------------------------------------------------------

    def plan_chunk(self, rows: Sequence[tuple[int, list[Any]]]) -> list[Planned]:
        return [self.plan(line, row) for line, row in rows]

    def plan(self, line: int, row: list[Any]) -> Planned:
        planned = Planned(line)
        cells = Cells(row, self.columns, self.headers, planned)
        values = self.values(cells)
        case = self._identify(cells, planned)
        if planned.action == Action.INVALID:
            return planned
        labels = field_labels(CASES, cells.headers, ALIASES)
        if case is None:
            present = [require(cells, target(CASES, key)) for key in REQUIRED_TO_OPEN]
            self._check_status(cells, None, values)
            if all(present) and planned.action != Action.INVALID:
                planned.values = values
                self._check_new(planned, labels)
            return planned
        planned.obj = case
        planned.values = _changes(case, values)
        self._check_status(cells, case, values)
        if planned.action == Action.INVALID:
            return planned
        planned.action = Action.UPDATE if planned.values else Action.UNCHANGED
        if planned.values and self.dry_run:
            self._check_changes(planned, labels)
        return planned

    def _check_status(self, cells: Cells, case: Case | None, values: dict[str, Any]) -> None:
        """A closure reason goes with a closed case, a pause's end with a paused one; a closed
        case's reason is changed by reopening it (its history keeps both)."""
        current = case.status if case else CaseStatus.OPEN
        status = values.get("status", current)
        if "closure_reason" in values and status != CaseStatus.CLOSED:
            cells.refuse(
                "closure_reason", _("終結理由は、状態が「終結」の行にだけ入力してください。")
            )
        if "closed_at" in values and status != CaseStatus.CLOSED:
            cells.refuse("closed_on", _("終結日は、状態が「終結」の行にだけ入力してください。"))
        if "paused_until" in values and status != CaseStatus.PAUSED:
            cells.refuse(
                "paused_until", _("休止期限は、状態が「休止中」の行にだけ入力してください。")
            )
        if (
            case is not None
            and status == current == CaseStatus.CLOSED
            and values.get("closure_reason", case.closure_reason) != case.closure_reason
        ):
            cells.refuse(
                "closure_reason",
                _(
                    "終結したケースの終結理由は変えられません。つなぐで再開してから終結し直してください。"
                ),
            )

    def _identify(self, cells: Cells, planned: Planned) -> Case | None:
        """The case the row is about (None: a new one), or the row refused."""
        if cells.mapped("case_number") and not cells.blank("case_number"):
            number = self.refs.number_of(cells.raw("case_number"))
            case_id = self.refs.by_number.get(number) if number is not None else None
            if case_id is None:
                cells.refuse("case_number", _("このセンターにこのケース番号のケースがありません。"))
                return None
            return self._load(case_id, cells, "case_number")
        if cells.blank("external_id"):
            cells.refuse(
                "external_id",
                _("台帳番号（またはケース番号）が空欄です。行を見分けるために必要です。"),
            )
            return None
        key = external_key(cells.raw("external_id"))
        if key in self.seen:
            cells.refuse(
                "external_id",
                _("この台帳番号は%(line)s行目にもあります。1つのケースは1行にしてください。")
                % {"line": self.seen[key]},
            )
            return None
        self.seen[key] = planned.line
        planned.key = key
        if (case_id := self.refs.by_key.get(key)) is not None:
            return self._load(case_id, cells, "external_id")
        number = self.refs.number_of(cells.raw("external_id"))
        if number is not None and number in self.refs.by_number:
            # The centre's old number looks like one of Tsunagu's own: updating that case
            # or opening a new one would each be a guess.
            cells.refuse(
                "external_id",
                _(
                    "この番号はつなぐのケース番号と同じ形です。つなぐのケースを更新するなら、"
                    "この列を「ケース番号（つなぐ）」に対応付けてください。"
                ),
            )
        return None

    def _load(self, case_id: int, cells: Cells, column: str) -> Case | None:
        case = Case.objects.select_related("centre").filter(pk=case_id, centre=self.centre).first()
        if case is None:
            cells.refuse(column, _("この行のケースはつなぐで削除されています。取り込みません。"))
        return case

    def _check_new(self, planned: Planned, labels: dict[str, str]) -> None:
        """The case form's rules (Case.full_clean, as case_create runs it), on the new case."""
        case = Case(centre=self.centre, created_by=self.job.created_by, **planned.values)
        try:
            full_clean(case, exclude=["number"])
        except ValidationError as error:
            refuse_validation(planned, error, labels)

    def _check_changes(self, planned: Planned, labels: dict[str, str]) -> None:
        """Every rule of the services the change goes through, by trying it and taking it
        back (a status change has rules of its own: a pause needs a date ahead)."""
        try:
            with transaction.atomic():
                self.write(planned, by=self.job.created_by, ip=None)
                raise _TakenBack
        except _TakenBack:
            pass
        except ValidationError as error:
            refuse_validation(planned, error, labels)
        except case_services.StaleEdit:
            planned.refuse(
                "", _("このケースは取り込みの間に他の人が更新しました。もう一度確認してください。")
            )

    # --- writing --------------------------------------------------------------------------

    def write_many(self, planned_rows: Sequence[Planned], *, by: User, ip: str | None) -> None:
        write_each(self, planned_rows, by=by, ip=ip)

    def write(self, planned: Planned, *, by: User, ip: str | None) -> None:
        if planned.action == Action.CREATE:
            case = case_services.case_create(
                centre=self.centre, by=by, fields=planned.values, ip=ip
            )
            ImportedKey.objects.create(
                centre=self.centre, shape=CASES, key=planned.key, object_id=case.pk, job=self.job
            )
            self.refs.remember(planned.key, case.pk)
            self.refs.by_number[case.number] = case.pk
            return
        case = planned.obj
        if {"status", "paused_until"} & set(planned.values):
            # First the status (it sets the day of closing), then the fields, on the case
            # as the status change left it.
            case = case_services.case_change_status(
                case=case,
                by=by,
                to_status=planned.values.get("status", case.status),
                closure_reason=planned.values.get("closure_reason", case.closure_reason),
                paused_until=planned.values.get("paused_until", case.paused_until),
                note=_("表の取り込み"),
                ip=ip,
            )
        changes = {k: v for k, v in planned.values.items() if k not in STATUS_FIELDS}
        if changes:
            case_services.case_update(
                case=case, by=by, changes=changes, expected_version=case.version, ip=ip
            )


class _TakenBack(Exception):
    """Raised inside a trial write so that its transaction is rolled back."""


def _present(**values: str) -> dict[str, str]:
    return {name: value for name, value in values.items() if value}


def _current(case: Case, name: str) -> Any:
    if name == "primary_counsellor":
        return case.primary_counsellor_id
    if name == "phone":
        return str(case.phone.as_e164) if case.phone else ""
    return getattr(case, name)


def _changes(case: Case, values: dict[str, Any]) -> dict[str, Any]:
    """The values that differ from what the case holds."""
    changes = {}
    for name, value in values.items():
        compared = value.pk if isinstance(value, User) else value
        if _current(case, name) != compared:
            changes[name] = value
    return changes
