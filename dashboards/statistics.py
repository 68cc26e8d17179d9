"""The centre's statistics for a month or a fiscal year (April–March), as reported to the
prefecture: 実人員 and 延人員 by channel and by counterpart, the people served (new or
continuing, age band, gender, who made the first contact), referrals, the ibasho, home visits
and family programmes.

Every table is counted by the database in one set-based statement (six in all, whatever the
size of the data); the rules are written out, table by table, in docs/statistics.md. Periods
are Tokyo days: a contact at 23:59 on 31 March belongs to the old fiscal year, one at 00:00 on
1 April to the new."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, cast
from zoneinfo import ZoneInfo

from django.db import connections, models, router
from django.db.models import Case as SqlCase
from django.db.models import Count, F, Max, Q, QuerySet, Sum, Value, When
from django.db.models.functions import ExtractDay, ExtractMonth, ExtractYear, JSONObject
from django.db.models.lookups import GreaterThan
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from accounts.models import Centre
from accounts.wareki import ERAS, era_of
from cases.choices import (
    AgeBand,
    Channel,
    Counterpart,
    DestinationKind,
    FirstContactBy,
    Gender,
    ReferralOutcome,
)
from cases.models import ContactEntry, Referral
from families.models import AttendanceStatus, ProgrammeKind, ProgrammeSession
from outreach.models import (
    CALLED_OFF_STATUSES,
    ActivityKind,
    CommunityActivity,
    DiscussedCase,
    HomeVisit,
    IbashoSession,
    VisitOutcome,
    VisitStatus,
)

TOKYO = ZoneInfo("Asia/Tokyo")
FISCAL_YEAR_FIRST_MONTH = 4

PeriodKind = Literal["month", "fiscal_year"]


# --- periods ---------------------------------------------------------------------------------


def fiscal_year_of(day: dt.date) -> int:
    """The fiscal year a day belongs to, named by the year it starts in (2026 = 2026-04-01 to
    2027-03-31)."""
    return day.year if day.month >= FISCAL_YEAR_FIRST_MONTH else day.year - 1


def wareki_fiscal_year(year: int) -> str:
    """令和8年度. The era is the newest one that had begun by the fiscal year's end and counts
    the fiscal year's first calendar year as one of its own: 2019 is 令和元年度 (the era began
    on 1 May, a month into it), 1988 is 昭和63年度 (平成 began in January 1989, after the year
    the fiscal year is named by)."""
    last_day = dt.date(year + 1, 3, 31)
    eras = [era for era in ERAS if era.start <= last_day and era.start.year <= year]
    if not eras:
        return f"{year}年度"
    era = eras[-1]
    number = year - era.start.year + 1
    return f"{era.name}{'元' if number == 1 else number}年度"


def wareki_month(year: int, month: int) -> str:
    """令和8年4月 (the era of the month's first day)."""
    era = era_of(dt.date(year, month, 1))
    if era is None:
        return f"{year}年{month}月"
    number = year - era.start.year + 1
    return f"{era.name}{'元' if number == 1 else number}年{month}月"


@dataclass(frozen=True)
class Period:
    """A month or a fiscal year: the Tokyo days from `first_day` up to, not including,
    `next_first_day`."""

    kind: PeriodKind
    first_day: dt.date
    next_first_day: dt.date

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        following = dt.date(year + month // 12, month % 12 + 1, 1)
        return cls("month", dt.date(year, month, 1), following)

    @classmethod
    def fiscal_year(cls, year: int) -> Period:
        return cls(
            "fiscal_year",
            dt.date(year, FISCAL_YEAR_FIRST_MONTH, 1),
            dt.date(year + 1, FISCAL_YEAR_FIRST_MONTH, 1),
        )

    @property
    def last_day(self) -> dt.date:
        return self.next_first_day - dt.timedelta(days=1)

    @property
    def starts_at(self) -> dt.datetime:
        return dt.datetime.combine(self.first_day, dt.time(), tzinfo=TOKYO)

    @property
    def ends_at(self) -> dt.datetime:
        """The first moment after the period (exclusive)."""
        return dt.datetime.combine(self.next_first_day, dt.time(), tzinfo=TOKYO)

    @property
    def wareki(self) -> str:
        if self.kind == "fiscal_year":
            return wareki_fiscal_year(self.first_day.year)
        return wareki_month(self.first_day.year, self.first_day.month)

    @property
    def western(self) -> str:
        if self.kind == "fiscal_year":
            return _("%(year)d年度") % {"year": self.first_day.year}
        return _("%(year)d年%(month)d月") % {
            "year": self.first_day.year,
            "month": self.first_day.month,
        }

    @property
    def label(self) -> str:
        """令和8年度（2026年度） / 令和8年4月（2026年4月）."""
        return _("%(wareki)s（%(western)s）") % {"wareki": self.wareki, "western": self.western}

    @property
    def slug(self) -> str:
        """For file names: 2026-04, fy2026."""
        if self.kind == "fiscal_year":
            return f"fy{self.first_day.year}"
        return f"{self.first_day:%Y-%m}"


# --- tables ----------------------------------------------------------------------------------


@dataclass
class Row:
    key: str
    label: str
    values: dict[str, int]
    is_total: bool = False


@dataclass
class Table:
    """One table of the report: the page, the print page, the CSV and the XLSX all render
    these same objects, so they cannot disagree."""

    key: str
    title: str
    sheet: str  # an XLSX sheet name: at most 31 characters
    row_heading: str
    columns: list[tuple[str, str]]  # (key, label)
    rows: list[Row] = field(default_factory=list)
    note: str = ""

    def value(self, row: str, column: str) -> int:
        for candidate in self.rows:
            if candidate.key == row:
                return candidate.values[column]
        raise KeyError(row)

    def lines(self) -> list[tuple[Row, list[int]]]:
        """Each row with its numbers in column order (what the pages and the exports show)."""
        return [(row, [row.values[key] for key, _label in self.columns]) for row in self.rows]


@dataclass
class Report:
    centres: list[Centre]
    period: Period
    tables: list[Table]

    @property
    def scope_label(self) -> str:
        names = "、".join(centre.name for centre in self.centres)
        if len(self.centres) == 1:
            return names
        return _("全センター（%(names)s）") % {"names": names}

    @property
    def title(self) -> str:
        return _("%(scope)s　%(period)s　統計") % {
            "scope": self.scope_label,
            "period": self.period.label,
        }

    def table(self, key: str) -> Table:
        return next(table for table in self.tables if table.key == key)


TOTAL = "total"


class NewOrContinuing(models.TextChoices):
    NEW = "new", _lazy("新規")
    CONTINUING = "continuing", _lazy("継続")


def _choice_rows(
    choices: Iterable[Any], result: dict[str, Any], prefix: str, columns: Sequence[str]
) -> list[Row]:
    return [
        Row(
            str(choice.value),
            str(choice.label),
            {column: result[f"{prefix}_{choice.value}_{column}"] or 0 for column in columns},
        )
        for choice in choices
    ]


def period_contacts(centre_ids: Sequence[int], period: Period) -> QuerySet[ContactEntry]:
    """What counts as a contact of the period: every entry of the contact log (two-way or a
    one-way attempt, whatever wrote it) of a case of these centres, dated within it. (Through
    the case, not ContactEntry.centre: the contact tables group by case, and each case's
    range of contact_case_period comes in that order; a centre's range of contact_centre_period
    would need a sort of the year's contacts, 940 → 1,200 ms for all ten centres.)"""
    return ContactEntry.objects.filter(
        case__centre_id__in=centre_ids,
        occurred_at__gte=period.starts_at,
        occurred_at__lt=period.ends_at,
    )


PEOPLE_COLUMNS = ("people", "contacts")


def _people_columns() -> list[tuple[str, str]]:
    return [("people", _("実人員")), ("contacts", _("延人員"))]


# Age bands from a birth date, in SQL: the completed age on `day` is below N exactly when the
# birth date, written as the number YYYYMMDD, is greater than day's YYYYMMDD - N * 10000 (the
# same rule as cases.models.age_from_birth_date; tests/dashboards pins the two together).
_BAND_UPPER_AGES = (
    (AgeBand.UNDER_20, 20),
    (AgeBand.TWENTIES, 30),
    (AgeBand.THIRTIES, 40),
    (AgeBand.FORTIES, 50),
    (AgeBand.FIFTIES, 60),
)


def _date_number(day: dt.date) -> int:
    return day.year * 10000 + day.month * 100 + day.day


def age_band(day: dt.date, prefix: str = "") -> SqlCase:
    """The person's age band on `day`, from the birth date when known (completed years, as
    cases.models.age_from_birth_date counts them), else the band staff recorded (or unknown).
    `prefix` reaches the case from another model ("case__")."""
    birth = f"{prefix}birth_date"
    birth_number = ExtractYear(birth) * 10000 + ExtractMonth(birth) * 100 + ExtractDay(birth)
    day_number = _date_number(day)
    whens = [When(**{f"{birth}__isnull": True}, then=F(f"{prefix}age_band"))]
    whens += [
        When(GreaterThan(birth_number, day_number - upper * 10000), then=Value(band.value))
        for band, upper in _BAND_UPPER_AGES
    ]
    return SqlCase(*whens, default=Value(AgeBand.SIXTIES_PLUS.value))


def annotate_age_band[M: models.Model](
    queryset: QuerySet[M, Any], day: dt.date, prefix: str = ""
) -> QuerySet[M, Any]:
    """`band`: the person's age band on `day` (`age_band`)."""
    return cast("QuerySet[M, Any]", queryset.annotate(band=age_band(day, prefix)))


def contact_tables(centre_ids: Sequence[int], period: Period) -> list[Table]:
    """実人員 and 延人員 by channel, by counterpart, and of the people served by new or
    continuing, age band, gender and who made the first contact: one statement. The period's
    contacts are grouped into one row per case (its contacts by channel and by counterpart,
    and the person's band, gender, first caller and new/continuing), then counted: a case is
    one row, so 実人員 is a plain count of rows, never a COUNT(DISTINCT) (each of those is a
    sort of its own: 40 of them took 1.2 s on a prefecture's fiscal year, docs/performance.md)."""
    groups: dict[str, tuple[str, list[Any]]] = {
        "channel": ("channel", list(Channel)),
        "counterpart": ("counterpart", list(Counterpart)),
        "status": ("is_new", list(NewOrContinuing)),
        "band": ("band", list(AgeBand)),
        "gender": ("gender", list(Gender)),
        "first": ("first_by", list(FirstContactBy)),
    }
    # Channel and counterpart vary between a case's contacts: counted per case.
    per_case: dict[str, Any] = {"n": Count("*")}  # not the id: read from contact_case_period
    for prefix in ("channel", "counterpart"):
        column, choices = groups[prefix]
        for choice in choices:
            per_case[f"{prefix}_{choice.value}"] = Count(
                "case_id", filter=Q(**{column: choice.value})
            )
    # The person's facts are one value per case: taken with Max() so that the grouping stays
    # on case_id alone (read from the contact index in case order, no sort).
    grouped = (
        period_contacts(centre_ids, period)
        .values("case_id")
        .annotate(
            **per_case,
            band=Max(age_band(period.first_day, "case__")),
            gender=Max("case__gender"),
            first_by=Max("case__first_contact_by"),
            is_new=Max(
                SqlCase(
                    When(
                        case__first_contact_date__gte=period.first_day,
                        case__first_contact_date__lt=period.next_first_day,
                        then=Value(NewOrContinuing.NEW.value),
                    ),
                    default=Value(NewOrContinuing.CONTINUING.value),
                )
            ),
        )
    )
    aggregates: dict[str, Any] = {"total_people": Count("*"), "total_contacts": Sum("n")}
    for prefix, (column, choices) in groups.items():
        for choice in choices:
            key = f"{prefix}_{choice.value}"
            if prefix in ("channel", "counterpart"):
                aggregates[f"{key}_people"] = Count("case_id", filter=Q(**{f"{key}__gt": 0}))
                aggregates[f"{key}_contacts"] = Sum(key)
            else:  # the same for all of a case's contacts
                where = Q(**{column: choice.value})
                aggregates[f"{key}_people"] = Count("case_id", filter=where)
                aggregates[f"{key}_contacts"] = Sum("n", filter=where)
    result = grouped.aggregate(**aggregates)
    total = Row(
        TOTAL,
        _("計"),
        {"people": result["total_people"], "contacts": result["total_contacts"] or 0},
        is_total=True,
    )

    def table(key: str, title: str, sheet: str, heading: str, prefix: str, note: str = "") -> Table:
        rows = _choice_rows(groups[prefix][1], result, prefix, PEOPLE_COLUMNS)
        return Table(key, title, sheet, heading, _people_columns(), [*rows, total], note)

    return [
        table(
            "channels",
            _("相談方法別 実人員・延人員"),
            _("相談方法別"),
            _("相談方法"),
            "channel",
            _("実人員は期間内に1回以上の相談記録があるケースの数。計は各行の合計ではありません。"),
        ),
        table(
            "counterparts",
            _("相談の相手別 実人員・延人員"),
            _("相談の相手別"),
            _("相手"),
            "counterpart",
        ),
        table(
            "new_continuing",
            _("新規・継続別 実人員"),
            _("新規・継続別"),
            _("区分"),
            "status",
            _(
                "新規は初回相談日が期間内のケース、継続はそれより前のケース（再開したケースを含む）。"
            ),
        ),
        table(
            "age_bands",
            _("年代別 実人員"),
            _("年代別"),
            _("年代"),
            "band",
            _(
                "年齢は期間の初日（各月の1日、年度は4月1日）の満年齢。生年月日が不明なら記録された年代。"
            ),
        ),
        table("genders", _("性別 実人員"), _("性別"), _("性別"), "gender"),
        table(
            "first_contact", _("初回相談者別 実人員"), _("初回相談者別"), _("初回相談者"), "first"
        ),
    ]


# --- the other tables: one statement for all of them -----------------------------------------


def _one_row(queryset: QuerySet[Any], aggregates: dict[str, Any]) -> QuerySet[Any]:
    """The aggregates over the queryset as one JSON object in exactly one row (no GROUP BY:
    the constant groups nothing), to be a scalar subquery of the combined statement."""
    return (
        queryset.order_by()  # a model's default ordering would need a GROUP BY
        .annotate(one=Value(1))
        .values("one")
        .annotate(data=JSONObject(**aggregates))
        .values("data")
    )


def _fetch_together(subqueries: dict[str, QuerySet[Any]]) -> dict[str, dict[str, int]]:
    """Run the one-row subqueries as the columns of a single SELECT: one round trip."""
    parts = [(name, *queryset.query.sql_with_params()) for name, queryset in subqueries.items()]
    first = next(iter(subqueries.values()))
    connection = connections[router.db_for_read(first.model)]
    sql = "SELECT " + ", ".join(
        f"({part_sql}) AS {connection.ops.quote_name(name)}" for name, part_sql, _params in parts
    )
    params = [param for _name, _sql, part_params in parts for param in part_params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return {
        name: value if isinstance(value, dict) else json.loads(value)
        for (name, _sql, _params), value in zip(parts, row, strict=True)
    }


def _referral_query(centre_ids: Sequence[int], period: Period) -> QuerySet[Any]:
    """Referrals made in the period (their referral date), by destination and current
    outcome."""
    aggregates = {
        f"{kind.value}__{outcome.value}": Count(
            "id", filter=Q(destination_kind=kind.value, outcome=outcome.value)
        )
        for kind in DestinationKind
        for outcome in ReferralOutcome
    }
    return _one_row(
        Referral.objects.filter(
            case__centre_id__in=centre_ids,
            referred_on__gte=period.first_day,
            referred_on__lt=period.next_first_day,
        ),
        aggregates,
    )


def _referral_table(result: dict[str, int]) -> Table:
    outcomes = list(ReferralOutcome)
    rows = []
    for kind in DestinationKind:
        values = {outcome.value: result[f"{kind.value}__{outcome.value}"] for outcome in outcomes}
        values[TOTAL] = sum(values.values())
        rows.append(Row(kind.value, str(kind.label), values))
    totals = {key: sum(row.values[key] for row in rows) for key in rows[0].values}
    rows.append(Row(TOTAL, _("計"), totals, is_total=True))
    columns = [(outcome.value, str(outcome.label)) for outcome in outcomes]
    return Table(
        "referrals",
        _("つなぎ先別 件数と結果"),
        _("つなぎ先別"),
        _("つなぎ先"),
        [*columns, (TOTAL, _("計"))],
        rows,
        _("つなぎ日が期間内のつなぎ。結果は集計した時点のもの。"),
    )


def _ibasho_query(centre_ids: Sequence[int], period: Period, now: dt.datetime) -> QuerySet[Any]:
    """Sessions held and cancelled, and who came, over the sessions and their attendance. A
    session is held once it has started and was not cancelled."""
    held = Q(cancelled_at__isnull=True, starts_at__lt=now)
    named = held & Q(attendances__case__isnull=False)
    walk_in = held & Q(attendances__case__isnull=True, attendances__walk_in__isnull=False)
    return _one_row(
        IbashoSession.objects.filter(
            centre_id__in=centre_ids, starts_at__gte=period.starts_at, starts_at__lt=period.ends_at
        ),
        {
            "held": Count("id", distinct=True, filter=held),
            "cancelled": Count("id", distinct=True, filter=Q(cancelled_at__isnull=False)),
            "named_visits": Count("attendances", filter=named),
            "named_people": Count("attendances__case", distinct=True, filter=named),
            "named_first": Count("attendances", filter=named & Q(attendances__first_visit=True)),
            "walk_in_visits": Count("attendances", filter=walk_in),
            "walk_in_people": Count("attendances__walk_in", distinct=True, filter=walk_in),
            "walk_in_first": Count(
                "attendances", filter=walk_in & Q(attendances__first_visit=True)
            ),
        },
    )


def _ibasho_tables(result: dict[str, int]) -> list[Table]:
    sessions = Table(
        "ibasho_sessions",
        _("居場所の開催"),
        _("居場所の開催"),
        _("区分"),
        [("sessions", _("回数"))],
        [
            Row("held", _("開催（中止を除く）"), {"sessions": result["held"]}),
            Row("cancelled", _("中止"), {"sessions": result["cancelled"]}),
        ],
        _("開始時刻が期間内の回。まだ始まっていない回は開催に数えません。"),
    )
    rows = [
        Row(
            key,
            label,
            {
                "visits": result[f"{key}_visits"],
                "people": result[f"{key}_people"],
                "first_visits": result[f"{key}_first"],
            },
        )
        for key, label in (("named", _("登録者（ケース）")), ("walk_in", _("ニックネームのみ")))
    ]
    totals = {column: sum(row.values[column] for row in rows) for column in rows[0].values}
    rows.append(Row(TOTAL, _("計"), totals, is_total=True))
    attendance = Table(
        "ibasho_attendance",
        _("居場所の来所"),
        _("居場所の来所"),
        _("来所者"),
        [("visits", _("延べ人数")), ("people", _("実人数")), ("first_visits", _("はじめての来所"))],
        rows,
        _("ケースに結びついたニックネームの来所は登録者に数えます。"),
    )
    return [sessions, attendance]


_VISIT_ROWS = [
    *(
        (outcome.value, Q(status=VisitStatus.DONE, outcome=outcome.value))
        for outcome in VisitOutcome
    ),
    ("done", Q(status=VisitStatus.DONE)),
    *((status.value, Q(status=status.value)) for status in CALLED_OFF_STATUSES),
    ("called_off", Q(status__in=CALLED_OFF_STATUSES)),
]


def _visit_query(centre_ids: Sequence[int], period: Period) -> QuerySet[Any]:
    """Home visits whose planned start is in the period: done ones by outcome, and those
    called off (cancelled, postponed, missed)."""
    aggregates: dict[str, Any] = {}
    for key, where in _VISIT_ROWS:
        aggregates[f"{key}_visits"] = Count("id", filter=where)
        aggregates[f"{key}_people"] = Count("case_id", distinct=True, filter=where)
    return _one_row(
        HomeVisit.objects.filter(
            centre_id__in=centre_ids, starts_at__gte=period.starts_at, starts_at__lt=period.ends_at
        ),
        aggregates,
    )


def _visit_table(result: dict[str, int]) -> Table:
    labels = {
        **{outcome.value: str(outcome.label) for outcome in VisitOutcome},
        **{status.value: str(status.label) for status in CALLED_OFF_STATUSES},
        "done": _("実施 計"),
        "called_off": _("中止・延期・未実施 計"),
    }
    rows = [
        Row(
            key,
            labels[key],
            {"visits": result[f"{key}_visits"], "people": result[f"{key}_people"]},
            is_total=key in ("done", "called_off"),
        )
        for key, _where in _VISIT_ROWS
    ]
    return Table(
        "home_visits",
        _("訪問（アウトリーチ）の結果"),
        _("訪問の結果"),
        _("結果"),
        [("visits", _("件数")), ("people", _("実人員"))],
        rows,
        _("予定の開始時刻が期間内の訪問。計画中・予告済みなど終わっていない訪問は数えません。"),
    )


_PROGRAMME_COLUMNS = ("sessions", "attended", "members")


def _family_query(centre_ids: Sequence[int], period: Period, now: dt.datetime) -> QuerySet[Any]:
    """Family-programme sessions held (started) in the period and who attended, by kind."""
    aggregates: dict[str, Any] = {}
    attended = Q(attendance__status=AttendanceStatus.ATTENDED)
    for kind in [*ProgrammeKind, None]:
        key = kind.value if kind is not None else TOTAL
        of_kind = Q(programme__kind=kind.value) if kind is not None else Q()
        aggregates[f"{key}_sessions"] = Count("id", distinct=True, filter=of_kind)
        aggregates[f"{key}_attended"] = Count("attendance", filter=of_kind & attended)
        aggregates[f"{key}_members"] = Count(
            "attendance__member", distinct=True, filter=of_kind & attended
        )
    return _one_row(
        ProgrammeSession.objects.filter(
            programme__centre_id__in=centre_ids,
            starts_at__gte=period.starts_at,
            starts_at__lt=min(period.ends_at, now),
        ),
        aggregates,
    )


def _family_table(result: dict[str, int]) -> Table:
    rows = [
        Row(
            kind.value,
            str(kind.label),
            {column: result[f"{kind.value}_{column}"] for column in _PROGRAMME_COLUMNS},
        )
        for kind in ProgrammeKind
    ]
    totals = {column: result[f"{TOTAL}_{column}"] for column in _PROGRAMME_COLUMNS}
    rows.append(Row(TOTAL, _("計"), totals, is_total=True))
    return Table(
        "family_programmes",
        _("家族プログラムの開催と出席"),
        _("家族プログラム"),
        _("種類"),
        [
            ("sessions", _("開催回数")),
            ("attended", _("出席延べ人数")),
            ("members", _("出席実人数")),
        ],
        rows,
        _("開始時刻が期間内で、すでに始まった回。出席は「出席」と記録された家族。"),
    )


# --- community work: lectures, trainings, meetings (docs/statistics.md, section 9) -----------


def _community_held(period: Period, now: dt.datetime) -> dict[str, dt.date]:
    """Activities are dated by their (Tokyo) day; one still to come is not counted."""
    until = min(period.next_first_day, timezone.localdate(now) + dt.timedelta(days=1))
    return {"held_on__gte": period.first_day, "held_on__lt": until}


def _community_query(centre_ids: Sequence[int], period: Period, now: dt.datetime) -> QuerySet[Any]:
    """The period's activities by kind: how many, and their audience."""
    aggregates: dict[str, Any] = {}
    for kind in ActivityKind:
        aggregates[f"{kind.value}_events"] = Count("id", filter=Q(kind=kind.value))
        aggregates[f"{kind.value}_audience"] = Sum("audience_count", filter=Q(kind=kind.value))
    return _one_row(
        CommunityActivity.objects.filter(centre_id__in=centre_ids, **_community_held(period, now)),
        aggregates,
    )


def _discussed_query(centre_ids: Sequence[int], period: Period, now: dt.datetime) -> QuerySet[Any]:
    """The distinct cases discussed at the period's meetings, by kind and in all."""
    aggregates: dict[str, Any] = {
        f"{kind.value}_cases": Count("case_id", distinct=True, filter=Q(activity__kind=kind.value))
        for kind in ActivityKind
    }
    aggregates[f"{TOTAL}_cases"] = Count("case_id", distinct=True)
    held = {f"activity__{name}": day for name, day in _community_held(period, now).items()}
    return _one_row(
        DiscussedCase.objects.filter(activity__centre_id__in=centre_ids, **held), aggregates
    )


def _community_table(activities: dict[str, int], discussed: dict[str, int]) -> Table:
    rows = [
        Row(
            kind.value,
            str(kind.label),
            {
                "events": activities[f"{kind.value}_events"],
                "audience": activities[f"{kind.value}_audience"] or 0,
                "cases": discussed[f"{kind.value}_cases"],
            },
        )
        for kind in ActivityKind
    ]
    totals = {
        "events": sum(row.values["events"] for row in rows),
        "audience": sum(row.values["audience"] for row in rows),
        "cases": discussed[f"{TOTAL}_cases"],  # a case discussed at two meetings is one
    }
    rows.append(Row(TOTAL, _("計"), totals, is_total=True))
    return Table(
        "community",
        _("地域活動（講演会・普及啓発・研修会・会議）"),
        _("地域活動"),
        _("種類"),
        [("events", _("回数")), ("audience", _("参加者数")), ("cases", _("検討したケース"))],
        rows,
        _(
            "開催日が期間内で、今日までの活動。検討したケースは会議で検討したケースの実数"
            "（計は各行の合計ではありません）。会議での検討は相談（実人員・延人員）に数えません。"
        ),
    )


def statistics_report(
    centres: Sequence[Centre], period: Period, *, now: dt.datetime | None = None
) -> Report:
    """Every table of the report for these centres (one, or all of the user's) and period:
    two statements, whatever the size of the data (the contact log's tables, and the rest
    together)."""
    now = now or timezone.now()
    ids = [centre.pk for centre in centres]
    activity = _fetch_together(
        {
            "referrals": _referral_query(ids, period),
            "ibasho": _ibasho_query(ids, period, now),
            "visits": _visit_query(ids, period),
            "family": _family_query(ids, period, now),
            "community": _community_query(ids, period, now),
            "community_cases": _discussed_query(ids, period, now),
        }
    )
    tables = [
        *contact_tables(ids, period),
        _referral_table(activity["referrals"]),
        *_ibasho_tables(activity["ibasho"]),
        _visit_table(activity["visits"]),
        _family_table(activity["family"]),
        _community_table(activity["community"], activity["community_cases"]),
    ]
    return Report(list(centres), period, tables)
