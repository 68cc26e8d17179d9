"""What every shape of import shares: a row planned against the database (create, update,
unchanged, or invalid with its reasons), the cells of a row by target, and the centre's own
staff and cases looked up by what a spreadsheet holds (a name or a login; a case number or
the centre's old number). Everything is looked up in the import's centre only: a counsellor
or a case of another centre is "not found", never linked."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, ValidationError
from django.db.models import CheckConstraint, Model, Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Centre, User
from cases.models import Case
from records.importing.normalise import Invalid, cell_text, word_key
from records.importing.targets import CASES, TARGETS, Target
from records.models import ImportedKey, ImportJob

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    INVALID = "invalid"


@dataclass
class RowError:
    column: str  # the file's header of the column, or "" for the row as a whole
    reason: str  # in the language of whoever runs the import


@dataclass
class Planned:
    line: int
    action: Action = Action.CREATE
    errors: list[RowError] = field(default_factory=list)
    key: str = ""  # recorded on creation, so the row is recognised next time
    obj: Any = None  # the record an update changes
    values: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def refuse(self, column: str, reason: Any) -> None:
        self.errors.append(RowError(column, str(reason)))
        self.action = Action.INVALID


class Cells:
    """One row's cells by target key, and the refusals met while reading them."""

    def __init__(
        self, row: list[Any], columns: Mapping[int, str], headers: list[str], planned: Planned
    ) -> None:
        self.values = {
            key: row[index] if index < len(row) else None for index, key in columns.items()
        }
        self.headers = {
            key: headers[index] if index < len(headers) else "" for index, key in columns.items()
        }
        self.planned = planned

    def mapped(self, key: str) -> bool:
        return key in self.values

    def blank(self, key: str) -> bool:
        return cell_text(self.values.get(key)) == ""

    def raw(self, key: str) -> Any:
        return self.values.get(key)

    def text(self, key: str) -> str:
        return cell_text(self.values.get(key))

    def read[T](self, key: str, parse: Callable[[Any], T]) -> T | None:
        """The parsed cell; None when blank or unmapped, or when refused (the refusal is then
        on the row, under the column's header)."""
        if self.blank(key):
            return None
        try:
            return parse(self.values[key])
        except Invalid as error:
            self.refuse(key, error)
            return None

    def refuse(self, key: str, reason: Any) -> None:
        self.planned.refuse(self.headers.get(key, ""), reason)


def refuse_validation(planned: Planned, error: ValidationError, labels: Mapping[str, str]) -> None:
    """A model's or a service's refusal, on the columns it names (by their headers)."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            for message in ValidationError(errors).messages:
                planned.refuse(labels.get(name, ""), message)
    else:
        for message in error.messages:
            planned.refuse("", message)


# --- a model's own rules, checked without a query per row ---------------------------------------


class _Unsupported(Exception):
    """A condition this evaluator does not read: the database is asked instead."""


_COMPARE = {
    "exact": lambda a, b: a == b,
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
    "in": lambda a, b: a in b,
}


def full_clean(instance: Model, *, exclude: Iterable[str] = ()) -> None:
    """`instance.full_clean(exclude=...)`, with the model's check constraints evaluated in
    Python where their conditions are plain comparisons of the row's own fields with
    constants (what every check constraint here is), else asked of the database as
    full_clean asks it. Django asks the database once per constraint and row (three round
    trips inside a transaction): for a 50,000-row file, most of the time of a dry run.
    tests/records/test_import_bulk_agrees.py pins the two answers together."""
    excluded = set(exclude)
    errors: dict[str, Any] = {}
    try:
        instance.full_clean(exclude=excluded, validate_constraints=False)
    except ValidationError as error:
        errors = error.update_error_dict(errors)
    # As Django does: a field already refused is left out of the constraints.
    excluded |= set(errors) - {NON_FIELD_ERRORS}
    model = type(instance)
    for constraint in model._meta.constraints:
        try:
            if not isinstance(constraint, CheckConstraint):
                raise _Unsupported
            if excluded & _referenced(constraint.condition):
                continue  # as Django does: a rule on a field left out is not checked
            if _holds(constraint.condition, instance) is False:
                message = constraint.get_violation_error_message()
                code = constraint.violation_error_code
                errors.setdefault(NON_FIELD_ERRORS, []).append(ValidationError(message, code=code))
        except _Unsupported:
            try:
                constraint.validate(model, instance, exclude=excluded)
            except ValidationError as error:
                errors = error.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)


def _referenced(condition: Any) -> set[str]:
    names: set[str] = set()
    for child in condition.children:
        if isinstance(child, Q):
            names |= _referenced(child)
        elif isinstance(child, tuple) and not hasattr(child[1], "resolve_expression"):
            names.add(child[0].split("__")[0])
        else:
            raise _Unsupported
    return names


def _holds(condition: Any, instance: Model) -> bool | None:
    """SQL's three-valued answer (None: unknown, which a check constraint lets pass)."""
    results: list[bool | None] = []
    for child in condition.children:
        if isinstance(child, Q):
            results.append(_holds(child, instance))
            continue
        name, _sep, lookup = child[0].partition("__")
        value = _value(instance, name)
        if lookup == "isnull":
            results.append((value is None) == child[1])
        elif (compare := _COMPARE.get(lookup or "exact")) is None:
            raise _Unsupported
        else:
            unknown = value is None or child[1] is None
            results.append(None if unknown else bool(compare(value, child[1])))
    if condition.connector == Q.AND:
        answer = False if False in results else None if None in results else True
    else:
        answer = True if True in results else None if None in results else False
    if condition.negated and answer is not None:
        return not answer
    return answer


def _value(instance: Model, name: str) -> Any:
    try:
        field = instance._meta.get_field(name)
    except FieldDoesNotExist:
        raise _Unsupported from None
    return getattr(instance, field.attname)  # type: ignore[union-attr]


def digest(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(str(part) for part in parts).encode()).hexdigest()


def write_each(planner: Any, planned_rows: Sequence[Planned], *, by: User, ip: str | None) -> None:
    """A planner's writes, one row after the other (each through its service)."""
    for planned in planned_rows:
        planner.write(planned, by=by, ip=ip)


def external_key(value: Any) -> str:
    """The centre's own number of a record as a key: width, case and leading zeros of an
    all-digit number don't matter (Excel drops them: 0012 and 12 are the same row)."""
    text = cell_text(value).upper()
    return str(int(text)) if text.isascii() and text.isdigit() else text


MISSING_REQUIRED = _("「%(field)s」が空欄です。")


def require(cells: Cells, target: Target) -> bool:
    if cells.blank(target.key):
        cells.refuse(target.key, MISSING_REQUIRED % {"field": target.label})
        return False
    return True


# --- the centre's staff -----------------------------------------------------------------------

STAFF_NOT_FOUND = _(
    "「%(name)s」はこのセンターの在職中の職員に見つかりません。表示名かログインIDで入力してください。"
)
STAFF_AMBIGUOUS = _("「%(name)s」という職員が複数います。ログインIDで入力してください。")


class Staff:
    """The centre's active members by login, display name and full name (either order):
    one query. Someone of another centre is not found, whatever their name."""

    def __init__(self, centre: Centre) -> None:
        self.by_word: dict[str, list[User]] = {}
        for user in User.objects.filter(centres=centre, is_active=True).order_by("pk"):
            words = {
                user.username,
                user.display_name,
                f"{user.last_name}{user.first_name}",
                f"{user.first_name}{user.last_name}",
            }
            for word in {word_key(word) for word in words if word.strip()}:
                self.by_word.setdefault(word, []).append(user)

    def find(self, value: Any) -> User:
        name = cell_text(value)
        found = self.by_word.get(word_key(name), [])
        if len({user.pk for user in found}) > 1:
            raise Invalid(STAFF_AMBIGUOUS, {"name": name})
        if not found:
            raise Invalid(STAFF_NOT_FOUND, {"name": name})
        return found[0]


# --- the centre's cases -----------------------------------------------------------------------

CASE_NOT_FOUND = _(
    "このセンターにこの番号のケースがありません。先にケースの表を取り込むか、つなぐのケース番号"
    "（例: %(example)s）を入力してください。"
)


class CaseRefs:
    """A case of the centre by the number a spreadsheet gives it: the centre's old number
    (recorded when the case was imported) first, else the case number in Tsunagu
    (K-0123, k0123, Ｋ－１２３). Two queries, for every row of the file."""

    def __init__(self, centre: Centre) -> None:
        self.centre = centre
        self.by_key = dict(
            ImportedKey.objects.filter(centre=centre, shape=CASES).values_list("key", "object_id")
        )
        self.by_number = dict(Case.objects.filter(centre=centre).values_list("number", "id"))
        prefix = re.escape(centre.case_number_prefix.upper())
        self.number_pattern = re.compile(rf"{prefix}-?0*(\d+)")

    def number_of(self, value: Any) -> int | None:
        """The Tsunagu case number written in the cell, if it is one of this centre's form."""
        match = self.number_pattern.fullmatch(cell_text(value).upper().replace(" ", ""))
        return int(match[1]) if match else None

    def find(self, value: Any) -> int:
        case_id = self.by_key.get(external_key(value))
        if case_id is None and (number := self.number_of(value)) is not None:
            case_id = self.by_number.get(number)
        if case_id is None:
            example = f"{self.centre.case_number_prefix}-0001"
            raise Invalid(CASE_NOT_FOUND, {"example": example})
        return case_id

    def remember(self, key: str, case_id: int) -> None:
        self.by_key[key] = case_id


def field_labels(
    shape: str, headers: Mapping[str, str], aliases: Mapping[str, Iterable[str]]
) -> dict[str, str]:
    """Model field name → the header of the column it came from, so that a model's refusal
    (`{"birth_date": [...]}`) lands on the column the user sees."""
    labels: dict[str, str] = {}
    for target in TARGETS[shape]:
        header = headers.get(target.key)
        if header is None:
            continue
        for name in aliases.get(target.key, (target.key,)):
            labels.setdefault(name, header)
    return labels


def label_of(shape: str, key: str) -> StrOrPromise:
    return next(t.label for t in TARGETS[shape] if t.key == key)


class PlannerBase:
    """What every shape's planner (cases.py, contacts.py, family.py) starts from: the job,
    the mapped columns, and the centre's cases by the numbers a file gives them."""

    def __init__(
        self, *, job: ImportJob, columns: dict[int, str], headers: list[str], dry_run: bool
    ) -> None:
        self.job = job
        self.centre: Centre = job.centre
        self.columns = columns
        self.headers = headers
        self.dry_run = dry_run
        self.refs = CaseRefs(self.centre)
