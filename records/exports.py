"""The centre's book exported back, so that a centre is never locked in: its cases, its contact
log and its family members, as CSV (UTF-8 with a byte-order mark, so Excel opens it) or XLSX.

The columns are the ones the import reads (records/importing/targets.py recognises each
header; tests/records/test_exports.py pins the two together): the headers are always in
Japanese, the centre's own language, and so are the values (choice labels, はい／いいえ, dates as
2026-04-01, times as 14:30, Asia/Tokyo), whatever language the person exporting reads.

Sensitive columns (要配慮個人情報, the contact notes, a family member's health notes) are left
out unless asked for, and only offered to the roles that may see them. Every text cell is
neutralised against formula injection (accounts.spreadsheets). Rows are streamed from a
server-side cursor in chunks: a 100,000-case centre is never held in memory, and the number
of queries does not depend on the number of rows."""

from __future__ import annotations

import csv
import datetime as dt
import functools
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from django.db.models import Model, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from accounts import access
from accounts.models import Centre, User
from accounts.spreadsheets import neutralise
from cases.models import Case, ContactEntry
from families.models import HouseholdLink

CASES, CONTACTS, FAMILY = "cases", "contacts", "family"
CSV, XLSX = "csv", "xlsx"
CHUNK_SIZE = 2000
YES, NO = "はい", "いいえ"


@dataclass(frozen=True)
class Column:
    header: str  # never translated: the import reads these words
    value: Callable[[Any], Any]
    # The permission a role needs to see the column; such a column is also only written when
    # the export asks for sensitive data.
    sensitive_permission: str | None = None


def _yes_no(value: bool) -> str:
    return YES if value else NO


@functools.cache
def _japanese_labels(model: type[Model], field: str) -> dict[str, str]:
    """A choice field's labels in Japanese, resolved once per process: resolving a lazy
    label per cell was most of the time of a 100,000-row export."""
    with translation.override("ja"):
        return {
            str(value): str(label)
            for value, label in model._meta.get_field(field).flatchoices  # type: ignore[union-attr]
        }


def _label(instance: Model, field: str) -> str:
    """A choice's Japanese label ("" when blank; an unknown value as stored)."""
    value = getattr(instance, field)
    return _japanese_labels(type(instance), field).get(value, value) if value else ""


def _phone(value: Any) -> str:
    """03-1234-5678, as people write it (E.164's "+81" would read as a formula)."""
    return value.as_national if value else ""


def _name(user: User | None) -> str:
    return str(user) if user is not None else ""


def _withdrawal_since(case: Case) -> str:
    if case.withdrawal_since_year and case.withdrawal_since_month:
        return f"{case.withdrawal_since_year}年{case.withdrawal_since_month}月"
    return f"{case.withdrawal_since_year}年" if case.withdrawal_since_year else ""


def _local(moment: dt.datetime) -> dt.datetime:
    return timezone.localtime(moment)


def _sensitive(case: Case, field: str) -> Any:
    info = getattr(case, "sensitive", None)  # joined; None when never written
    return getattr(info, field) if info is not None else ""


_USER = ("display_name", "first_name", "last_name", "username")

CASE_COLUMNS: tuple[Column, ...] = (
    Column("ケース番号", lambda c: c.case_number),
    Column("姓", lambda c: c.family_name),
    Column("名", lambda c: c.given_name),
    Column("姓（ふりがな）", lambda c: c.family_name_kana),
    Column("名（ふりがな）", lambda c: c.given_name_kana),
    Column("生年月日", lambda c: c.birth_date),
    Column("年代", lambda c: _label(c, "age_band")),
    Column("性別", lambda c: _label(c, "gender")),
    Column("郵便番号", lambda c: c.postal_code),
    Column("都道府県", lambda c: c.prefecture),
    Column("市区町村", lambda c: c.municipality),
    Column("番地・建物", lambda c: c.address_line),
    Column("電話番号", lambda c: _phone(c.phone)),
    Column("初回相談日", lambda c: c.first_contact_date),
    Column("初回相談者", lambda c: _label(c, "first_contact_by")),
    Column("ひきこもり開始", _withdrawal_since),
    Column("状態の程度", lambda c: _label(c, "severity")),
    Column("支援段階", lambda c: _label(c, "support_stage")),
    Column("状態", lambda c: _label(c, "status")),
    Column("終結理由", lambda c: _label(c, "closure_reason")),
    Column("休止期限", lambda c: c.paused_until),
    Column("担当者", lambda c: _name(c.primary_counsellor)),
    Column("本人は家族の相談を知っているか", lambda c: _label(c, "person_aware")),
    # Health data (case.view_health) in every export, and the 要配慮 columns below without a
    # per-case check (cases.access.can_see_sensitive): a centre's export is for managers only
    # (records.export), who see all of it on each case's page anyway.
    # tests/accounts/test_health_permission.py pins that every role that may export does.
    Column("自傷・自殺のおそれ", lambda c: _yes_no(c.risk_self_harm)),
    Column("家庭内暴力", lambda c: _yes_no(c.risk_violence)),
    Column("親の病気・要介護", lambda c: _yes_no(c.risk_parent_ill)),
    Column("フォローアップ間隔（日）", lambda c: c.followup_interval_days),
    # 要配慮個人情報 (cases.CaseSensitiveInfo): the import leaves them to be typed again.
    Column("併存する状態・診断", lambda c: _sensitive(c, "conditions"), "case.view_sensitive"),
    Column("医療・服薬の状況", lambda c: _sensitive(c, "medical_status"), "case.view_sensitive"),
    Column(
        "障害者手帳等", lambda c: _sensitive(c, "disability_certificate"), "case.view_sensitive"
    ),
    Column(
        "要配慮個人情報の取得の同意",
        lambda c: _yes_no(_sensitive(c, "collection_consent_recorded") is True),
        "case.view_sensitive",
    ),
)

CONTACT_COLUMNS: tuple[Column, ...] = (
    Column("ケース番号", lambda e: e.case.case_number),
    Column("相談記録番号", lambda e: e.pk),
    Column("相談日", lambda e: _local(e.occurred_at).date()),
    Column("時刻", lambda e: f"{_local(e.occurred_at):%H:%M}"),
    Column("所要時間（分）", lambda e: e.duration_minutes),
    Column("相談方法", lambda e: _label(e, "channel")),
    Column("相手", lambda e: _label(e, "counterpart")),
    Column("相手の詳細", lambda e: e.counterpart_detail),
    Column("対応者", lambda e: _name(e.staff)),
    Column("双方向の連絡", lambda e: _yes_no(e.two_way)),
    # The summary of a consultation often names a diagnosis or a family's trouble.
    Column("相談内容", lambda e: e.note, "case.view_sensitive"),
    Column("次の対応", lambda e: e.next_action, "case.view_sensitive"),
)

FAMILY_COLUMNS: tuple[Column, ...] = (
    Column("ケース番号", lambda link: link.case.case_number),
    Column("家族番号", lambda link: link.member_id),
    Column("続柄", lambda link: _label(link, "relation")),
    Column("姓", lambda link: link.member.family_name),
    Column("名", lambda link: link.member.given_name),
    Column("姓（ふりがな）", lambda link: link.member.family_name_kana),
    Column("名（ふりがな）", lambda link: link.member.given_name_kana),
    Column("生年月日", lambda link: link.member.birth_date),
    Column("生まれ年", lambda link: link.member.birth_year),
    Column("同居", lambda link: _yes_no(link.lives_with_person)),
    Column("電話番号", lambda link: _phone(link.member.phone)),
    Column("連絡の同意", lambda link: _yes_no(link.member.contact_consent)),
    Column("状況", lambda link: _label(link.member, "status")),
    Column("状況の日付", lambda link: link.member.status_since),
    Column("本人の認知", lambda link: _label(link, "person_aware")),
    Column("主な連絡先", lambda link: _yes_no(link.is_primary_contact)),
    Column("健康・介護の状況", lambda link: link.member.health_notes, "family.view_sensitive"),
)


def _cases(centre: Centre, sensitive: bool) -> QuerySet[Case]:
    related = ["centre", "primary_counsellor", *(["sensitive"] if sensitive else [])]
    return Case.objects.filter(centre=centre).select_related(*related).order_by("number")


def _contacts(centre: Centre, sensitive: bool) -> QuerySet[ContactEntry]:
    fields = [
        "occurred_at",
        "duration_minutes",
        "channel",
        "counterpart",
        "counterpart_detail",
        "two_way",
        "case",
        "case__number",
        "case__centre",
        "case__centre__case_number_prefix",
        "staff",
        *(f"staff__{name}" for name in _USER),
        *(["note", "next_action"] if sensitive else []),
    ]
    return (
        ContactEntry.objects.filter(case__centre=centre)
        .select_related("case__centre", "staff")
        .only(*fields)
        .order_by("case__number", "occurred_at", "id")
    )


def _family(centre: Centre, sensitive: bool) -> QuerySet[HouseholdLink]:
    # A member of two cases (the mother of two withdrawn siblings) is one row per case, with
    # the same 家族番号: the import links her to both.
    queryset = (
        HouseholdLink.objects.filter(case__centre=centre)
        .select_related("case__centre", "member")
        .order_by("case__number", "id")
    )
    return queryset if sensitive else queryset.defer("member__health_notes")


@dataclass(frozen=True)
class Shape:
    key: str
    label: Any
    sheet: str  # the XLSX sheet's title (also the file's name part)
    columns: tuple[Column, ...]
    rows: Callable[[Centre, bool], QuerySet[Any]]


SHAPES: dict[str, Shape] = {
    CASES: Shape(CASES, _("ケース"), "ケース", CASE_COLUMNS, _cases),
    CONTACTS: Shape(CONTACTS, _("相談記録"), "相談記録", CONTACT_COLUMNS, _contacts),
    FAMILY: Shape(FAMILY, _("家族"), "家族", FAMILY_COLUMNS, _family),
}


def may_export_sensitive(user: User, shape: str | None = None) -> bool:
    """Whether the user's role may see a sensitive column of the shape (of any shape)."""
    shapes = [SHAPES[shape]] if shape else list(SHAPES.values())
    return any(
        column.sensitive_permission and access.can(user, column.sensitive_permission)
        for item in shapes
        for column in item.columns
    )


@dataclass(frozen=True)
class Export:
    """One centre's rows of one shape, with the columns the user may have."""

    centre: Centre
    shape: Shape
    user: User
    with_sensitive: bool = False

    @property
    def columns(self) -> list[Column]:
        return [
            column
            for column in self.shape.columns
            if column.sensitive_permission is None
            or (self.with_sensitive and access.can(self.user, column.sensitive_permission))
        ]

    @property
    def has_sensitive_columns(self) -> bool:
        return any(column.sensitive_permission for column in self.columns)

    def queryset(self) -> QuerySet[Any]:
        return self.shape.rows(self.centre, self.has_sensitive_columns)

    def count(self) -> int:
        return self.queryset().count()

    def header(self) -> list[str]:
        return [column.header for column in self.columns]

    def rows(self) -> Iterator[list[Any]]:
        """Each row's values, read in chunks through a server-side cursor, in Japanese."""
        columns = self.columns
        with translation.override("ja"):
            for obj in self.queryset().iterator(chunk_size=CHUNK_SIZE):
                yield [column.value(obj) for column in columns]

    def file_name(self, extension: str) -> str:
        """records-cases-centre3-20261201.csv: the shape, the centre's id (never its name)
        and the day."""
        return f"records-{self.shape.key}-centre{self.centre.pk}-{timezone.localdate():%Y%m%d}.{extension}"


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return neutralise(value)


class _Line:
    """What csv.writer writes to: the line it was given, handed straight back."""

    def write(self, line: str) -> str:
        return line


def csv_lines(export: Export) -> Iterator[bytes]:
    """The file as UTF-8 lines, the first with a byte-order mark (Excel reads it as UTF-8)."""
    writer = csv.writer(_Line(), lineterminator="\r\n")
    yield ("\ufeff" + writer.writerow(export.header())).encode("utf-8")
    for row in export.rows():
        yield writer.writerow([_csv_cell(value) for value in row]).encode("utf-8")


def _xlsx_cell(value: Any) -> Any:
    if isinstance(value, str):
        # openpyxl refuses control characters (a note pasted from another program).
        return neutralise(ILLEGAL_CHARACTERS_RE.sub("", value))
    return value


def xlsx_file(export: Export) -> IO[bytes]:
    """The workbook in a temporary file (written row by row: openpyxl's write-only mode keeps
    no rows in memory), rewound, to be streamed; it disappears when closed."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(export.shape.sheet)
    sheet.append(export.header())
    for row in export.rows():
        sheet.append([_xlsx_cell(value) for value in row])
    file = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it once sent
    workbook.save(file)
    file.seek(0)
    return file
