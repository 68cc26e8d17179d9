"""A realistic large data set, built fast and deterministically (`manage.py seed_scale`).

Everything random comes from one `random.Random(seed)` and from offsets to "today" (Asia/Tokyo
midnight), never from the database, so the same arguments give the same rows (the ids aside,
which continue each table's sequence). Centres and users go in through the ORM (a few hundred
rows); everything else is COPY text written straight into the tables, with their indexes,
foreign keys and triggers left as they are. Cases are generated a chunk at a time, so the
memory used stays flat at 1.5M cases.

The silence fields are what `Case.next_silence_check_at` gives for the last two-way contact the
generated log actually holds; the 80/50 flag is computed afterwards by `families.risk_8050`.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction

from accounts.models import Centre, Role, User
from cases import services as case_services
from cases.choices import (
    AgeBand,
    CaseStatus,
    Channel,
    ClosureReason,
    ContactSource,
    Counterpart,
    DestinationKind,
    FirstContactBy,
    Gender,
    PersonAware,
    ReferralOutcome,
    Severity,
    SilenceStage,
    SupportStage,
)
from cases.demo import FAMILY_NAMES, GIVEN_NAMES, NOTES
from cases.models import Case, age_band_for
from cases.services.search import normalise_for_search
from families import risk_8050
from families.models import MemberStatus, Relation
from outreach.models import OUTCOME_COUNTERPART, TWO_WAY_OUTCOMES, VisitOutcome, VisitStatus

TOKYO = ZoneInfo("Asia/Tokyo")
SCALE_PASSWORD = "tsunagu-scale-2026"  # noqa: S105 - the benchmark's users log in with it
MAX_CENTRES = 85
CASES_PER_CENTRE = 10_000  # 100k cases -> 10 centres, 1.5M -> all 85
CONTACTS_PER_CASE = 20
HEAVY_CONTACTS = 2_000  # the case page benchmark's case
HEAVY_EVERY = 10_000  # one such case per this many cases (at least one)
MEMBERS_PER_CASE = 0.5
WALK_IN_SHARE = 0.15  # of ibasho attendances
OPEN_CASES_PER_COUNSELLOR = 120
FISCAL_YEARS = 5
CHUNK = 5_000  # cases per round of COPY

FOLLOWUP_DAYS = 30  # accounts.Centre defaults, which the seeded centres keep
GRACE_DAYS = 7
CUSTOM_FOLLOWUP_DAYS = 14  # a few cases are followed more closely

PREFECTURES = [
    "北海道",
    "青森県",
    "岩手県",
    "宮城県",
    "秋田県",
    "山形県",
    "福島県",
    "茨城県",
    "栃木県",
    "群馬県",
    "埼玉県",
    "千葉県",
    "東京都",
    "神奈川県",
    "新潟県",
    "富山県",
    "石川県",
    "福井県",
    "山梨県",
    "長野県",
    "岐阜県",
    "静岡県",
    "愛知県",
    "三重県",
    "滋賀県",
    "京都府",
    "大阪府",
    "兵庫県",
    "奈良県",
    "和歌山県",
    "鳥取県",
    "島根県",
    "岡山県",
    "広島県",
    "山口県",
    "徳島県",
    "香川県",
    "愛媛県",
    "高知県",
    "福岡県",
    "佐賀県",
    "長崎県",
    "熊本県",
    "大分県",
    "宮崎県",
    "鹿児島県",
    "沖縄県",
]
MUNICIPALITIES = ["中央区", "北区", "南区", "東区", "西区", "緑区", "港区", "青葉区"]
PARENT_GIVEN = [
    ("和子", "かずこ", Relation.MOTHER),
    ("洋子", "ようこ", Relation.MOTHER),
    ("恵子", "けいこ", Relation.MOTHER),
    ("博", "ひろし", Relation.FATHER),
    ("茂", "しげる", Relation.FATHER),
    ("隆", "たかし", Relation.FATHER),
]
NICKNAMES = ["そら", "みどり", "ねこ", "くも", "ゆき", "ほし", "かぜ", "つき", "はな", "うみ"]
VISIT_PURPOSES = ["近況をうかがう", "手紙のお返事のお礼", "居場所のご案内", "ご家族との面談"]
VISIT_REPORTS = ["玄関先で短く話せた。次回の訪問も了承。", "本人は自室。母と今後の関わりを相談。"]
PLAN_GOALS = ["週に一度、家族と食事をとる", "居場所に月一回来所する", "就労体験の見学に行く"]
IBASHO_THEMES = ["フリータイム", "ボードゲーム", "料理", "散歩"]
CALLED_OFF_REASONS = ["本人の体調不良", "家族の都合で延期", "訪問時に不在"]
NEXT_ACTIONS = ["", "", "2週間後に電話", "次回来所を確認", "手紙を送る"]

# (value, weight) mixes
CHANNELS = [
    (Channel.PHONE, 45),
    (Channel.CENTRE_VISIT, 20),
    (Channel.EMAIL, 10),
    (Channel.SNS, 8),
    (Channel.ONLINE, 6),
    (Channel.ACCOMPANIED, 3),
    (Channel.LETTER, 8),
]
FIRST_CONTACT_BY = [
    (FirstContactBy.FAMILY, 70),
    (FirstContactBy.PERSON, 15),
    (FirstContactBy.SCHOOL, 5),
    (FirstContactBy.MEDICAL, 4),
    (FirstContactBy.AGENCY, 4),
    (FirstContactBy.OTHER, 2),
]
SEVERITIES = [(Severity.MILD, 40), (Severity.MODERATE, 40), (Severity.SEVERE, 15), ("", 5)]
STAGES = [
    (SupportStage.FAMILY, 40),
    (SupportStage.INDIVIDUAL, 30),
    (SupportStage.GROUP, 20),
    (SupportStage.PARTICIPATION, 10),
]
AGE_YEARS = [
    ((15, 19), 10),
    ((20, 29), 30),
    ((30, 39), 25),
    ((40, 49), 18),
    ((50, 59), 12),
    ((60, 69), 5),
]
PERSON_AWARE = [(PersonAware.YES, 40), (PersonAware.NO, 30), (PersonAware.UNKNOWN, 30)]
CLOSURE_REASONS = [
    (ClosureReason.GOAL_REACHED, 35),
    (ClosureReason.REFERRED_ON, 25),
    (ClosureReason.CONTACT_LOST, 20),
    (ClosureReason.MOVED, 8),
    (ClosureReason.DECLINED, 11),
    (ClosureReason.DEATH, 1),
]
VISIT_OUTCOMES = [
    (VisitOutcome.MET_PERSON, 35),
    (VisitOutcome.THROUGH_DOOR, 15),
    (VisitOutcome.MET_FAMILY, 30),
    (VisitOutcome.LETTER_LEFT, 10),
    (VisitOutcome.NO_ANSWER, 7),
    (VisitOutcome.REFUSED, 3),
]
# Silence of open cases: days since the last two-way contact.
SILENCE_GAPS = [
    ((1, FOLLOWUP_DAYS - 1), 78),
    ((FOLLOWUP_DAYS, FOLLOWUP_DAYS + GRACE_DAYS - 1), 12),
    ((FOLLOWUP_DAYS + GRACE_DAYS, 200), 10),
]
IBASHO_WEEKDAYS = (1, 3, 5)  # Tuesday, Thursday, Saturday (date.weekday())
IBASHO_START, IBASHO_END = 13 * 60, 16 * 60  # minutes of the day, Tokyo


def chooser(rng: random.Random, mix: Sequence[tuple[Any, int]]) -> Callable[[], Any]:
    values = [value for value, _weight in mix]
    cumulative: list[int] = []
    total = 0
    for _value, weight in mix:
        total += weight
        cumulative.append(total)

    def choose() -> Any:
        return values[bisect.bisect_right(cumulative, rng.random() * total)]

    return choose


def centres_for(cases: int) -> int:
    return max(1, min(MAX_CENTRES, math.ceil(cases / CASES_PER_CENTRE)))


# --- COPY text ---------------------------------------------------------------------------

NULL = "\\N"


def text(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\t", " ").replace("\n", "\\n")


class Clock:
    """Times as whole minutes from today's Tokyo midnight (negative: the past), formatted
    once each."""

    def __init__(self, today: dt.date) -> None:
        self.today = today
        self.midnight = dt.datetime.combine(today, dt.time(), tzinfo=TOKYO)
        self.cache: dict[int, str] = {}

    def at(self, minutes: int) -> str:
        stamp = self.cache.get(minutes)
        if stamp is None:
            stamp = (self.midnight + dt.timedelta(minutes=minutes)).isoformat()
            if len(self.cache) < 2_000_000:
                self.cache[minutes] = stamp
        return stamp

    def day(self, days: int) -> str:
        return (self.today + dt.timedelta(days=days)).isoformat()


@dataclass
class Table:
    name: str
    columns: tuple[str, ...]
    next_id: int = 0
    rows: list[str] = field(default_factory=list)
    count: int = 0
    seconds: float = 0.0

    def add(self, *values: object) -> int:
        """Queue a row (the id first) and return its id."""
        self.next_id += 1
        self.rows.append(
            "\t".join([str(self.next_id), *(NULL if v is None else str(v) for v in values)]) + "\n"
        )
        return self.next_id

    def flush(self) -> None:
        if not self.rows:
            return
        started = time.perf_counter()
        sql = f"COPY {self.name} (id, {', '.join(self.columns)}) FROM STDIN"
        with connection.connection.cursor() as cursor, cursor.copy(sql) as copy:
            for start in range(0, len(self.rows), 20_000):
                copy.write("".join(self.rows[start : start + 20_000]))
        self.count += len(self.rows)
        self.rows.clear()
        self.seconds += time.perf_counter() - started


def make_tables() -> dict[str, Table]:
    specs = {
        "cases_case": (
            "centre_id number family_name given_name family_name_kana given_name_kana "
            "search_text birth_date age_band gender postal_code prefecture municipality "
            "address_line phone first_contact_date first_contact_by withdrawal_since_year "
            "severity support_stage status paused_until closure_reason closed_at episode "
            "risk_self_harm risk_violence risk_8050 risk_8050_unverified risk_parent_ill "
            "person_aware primary_counsellor_id followup_interval_days "
            "last_two_way_contact_at silence_clock_started_at next_check_at silence_stage "
            "version created_at updated_at created_by_id"
        ),
        "cases_contactentry": (
            "case_id occurred_at duration_minutes channel counterpart counterpart_detail "
            "staff_id two_way note next_action source created_at created_by_id"
        ),
        "cases_casestatuschange": (
            "case_id at by_id from_status to_status closure_reason paused_until episode note"
        ),
        "cases_supportplan": (
            "case_id goals warning_signs what_helps who_to_call review_on version "
            "created_at updated_at created_by_id"
        ),
        "cases_referral": (
            "case_id destination_kind destination_name referred_on legal_basis "
            "shared_information outcome follow_up_on version created_at created_by_id"
        ),
        "families_familymember": (
            "centre_id family_name given_name family_name_kana given_name_kana search_text "
            "birth_year phone health_notes contact_consent status status_since version "
            "created_at updated_at created_by_id"
        ),
        "families_householdlink": (
            "case_id member_id relation lives_with_person person_aware is_primary_contact "
            "created_at created_by_id"
        ),
        "outreach_ibashosession": (
            "centre_id place starts_at ends_at theme capacity notes cancelled_at "
            "cancel_reason detached version created_at created_by_id"
        ),
        "outreach_walkin": "centre_id nickname search_text age_band gender created_at",
        "outreach_ibashoattendance": (
            "session_id case_id walk_in_id arrived_at left_at note first_visit "
            "stayed_whole_session talked_with_others joined_activity first_time_alone "
            "contact_id version created_at created_by_id"
        ),
        "outreach_homevisit": (
            "centre_id case_id starts_at ends_at purpose status status_reason next_step "
            "outcome report report_written_at report_by_id checked_in_at checked_in_by_id "
            "checked_out_at checked_out_by_id contact_id briefing_reminded_key version "
            "created_at created_by_id"
        ),
        "outreach_visitassignment": "visit_id user_id briefing_acknowledged_at briefing_key",
    }
    tables = {name: Table(name, tuple(columns.split())) for name, columns in specs.items()}
    with connection.cursor() as cursor:
        for table in tables.values():
            cursor.execute(f"SELECT coalesce(max(id), 0) FROM {table.name}")  # noqa: S608
            table.next_id = cursor.fetchone()[0]
    return tables


def bool_(value: bool) -> str:
    return "t" if value else "f"


# --- the people ----------------------------------------------------------------------------


@dataclass
class CentreStaff:
    centre: Centre
    manager: int
    counsellors: list[int]
    staff: list[int]

    @property
    def everyone(self) -> list[int]:
        return [self.manager, *self.counsellors, *self.staff]


def create_people(rng: random.Random, n_centres: int, cases_of: list[int]) -> list[CentreStaff]:
    """Centres and their users (the ORM: a few hundred rows). Every run adds new centres, so
    `--force` never touches what is there."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM accounts_centre")
        run = cursor.fetchone()[0]
    centres = Centre.objects.bulk_create(
        Centre(
            name=f"{PREFECTURES[k % len(PREFECTURES)]}ひきこもり地域支援センター"
            + (f"（第{k // len(PREFECTURES) + 1}）" if k >= len(PREFECTURES) else ""),
            prefecture=PREFECTURES[k % len(PREFECTURES)],
            case_number_prefix=f"S{k + 1:02d}"[:4],
        )
        for k in range(n_centres)
    )
    password = make_password(SCALE_PASSWORD)
    users: list[tuple[User, int]] = []
    plan: list[tuple[int, int]] = []
    for k, centre in enumerate(centres):
        open_estimate = cases_of[k] * 0.6
        counsellors = max(2, math.ceil(open_estimate / OPEN_CASES_PER_COUNSELLOR))
        staff = max(2, math.ceil(counsellors / 3))
        plan.append((counsellors, staff))
        tag = f"scale-{run + k + 1}"
        roles = [(Role.MANAGER, 1), (Role.COUNSELLOR, counsellors), (Role.STAFF, staff)]
        for role, how_many in roles:
            for n in range(1, how_many + 1):
                family, _kana = FAMILY_NAMES[rng.randrange(len(FAMILY_NAMES))]
                given, _given_kana, _gender = GIVEN_NAMES[rng.randrange(len(GIVEN_NAMES))]
                user = User(
                    username=f"{tag}-{role}-{n}",
                    email=f"{role}{n}.{tag}@scale.invalid",
                    role=role,
                    display_name=f"{family} {given}",
                    password=password,
                )
                users.append((user, centre.pk))
    User.objects.bulk_create([user for user, _ in users])
    User.centres.through.objects.bulk_create(
        User.centres.through(user_id=user.pk, centre_id=centre_id) for user, centre_id in users
    )
    result: list[CentreStaff] = []
    position = 0
    for centre, (counsellors, staff) in zip(centres, plan, strict=True):
        ids = [user.pk for user, _ in users[position : position + 1 + counsellors + staff]]
        position += 1 + counsellors + staff
        result.append(CentreStaff(centre, ids[0], ids[1 : 1 + counsellors], ids[1 + counsellors :]))
    return result


# --- the generator ----------------------------------------------------------------------


@dataclass
class Report:
    centres: int = 0
    users: int = 0
    tables: dict[str, tuple[int, float]] = field(default_factory=dict)
    seconds: float = 0.0


class Generator:
    def __init__(self, *, cases: int, seed: int, centres: int, today: dt.date) -> None:
        self.n_cases, self.seed, self.n_centres = cases, seed, centres
        self.rng = rng = random.Random(seed)
        self.clock = Clock(today)
        self.channel = chooser(rng, CHANNELS)
        self.first_by = chooser(rng, FIRST_CONTACT_BY)
        self.severity = chooser(rng, SEVERITIES)
        self.stage = chooser(rng, STAGES)
        self.age_years = chooser(rng, AGE_YEARS)
        self.person_aware = chooser(rng, PERSON_AWARE)
        self.closure = chooser(rng, CLOSURE_REASONS)
        self.visit_outcome = chooser(rng, VISIT_OUTCOMES)
        self.silence_gap = chooser(rng, SILENCE_GAPS)
        fy_start_year = (today.year if today.month >= 4 else today.year - 1) - (FISCAL_YEARS - 1)
        self.first_day = (dt.date(fy_start_year, 4, 1) - today).days  # negative
        self.search: dict[tuple[str, ...], str] = {}

    def search_text(self, *parts: str) -> str:
        found = self.search.get(parts)
        if found is None:
            found = self.search[parts] = normalise_for_search(" ".join(parts))
        return found

    def run(self, log: Callable[[str], None]) -> Report:
        started = time.perf_counter()
        rng, n_centres = self.rng, self.n_centres
        cases_of = [
            self.n_cases // n_centres + (k < self.n_cases % n_centres) for k in range(n_centres)
        ]
        with transaction.atomic():
            people = create_people(rng, n_centres, cases_of)
            log(f"centres {n_centres}, users {sum(len(p.everyone) for p in people)}")
            connection.ensure_connection()
            with connection.cursor() as cursor:
                # Checked per COPY (the tables are flushed parents first), not all at commit:
                # a queue of 30M deferred checks would not fit in memory at national scale.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            tables = make_tables()
            self.tables = tables
            self.people = people
            self.sessions = [self.ibasho_sessions(p) for p in people]
            tables["outreach_ibashosession"].flush()
            # Each centre's first-contact days in number order, so numbers follow the dates.
            first_days = [
                sorted(rng.randrange(self.first_day, 0) for _ in range(n)) for n in cases_of
            ]
            heavy_every = min(HEAVY_EVERY, self.n_cases)
            for start in range(0, self.n_cases, CHUNK):
                for i in range(start, min(start + CHUNK, self.n_cases)):
                    c = i % n_centres
                    number = i // n_centres + 1
                    heavy = i % heavy_every == heavy_every // 4 and number <= cases_of[c] // 2
                    self.case(c, number, first_days[c][number - 1], heavy=heavy)
                for table in tables.values():
                    table.flush()
                log(f"cases {min(start + CHUNK, self.n_cases):>9,} / {self.n_cases:,}")
            self.walk_ins()
            for table in tables.values():
                table.flush()
            with connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE accounts_centre ce SET last_case_number = (SELECT coalesce(max("
                    "number), 0) FROM cases_case c WHERE c.centre_id = ce.id) WHERE ce.id = ANY(%s)",
                    [[p.centre.pk for p in people]],
                )
                for table in tables.values():
                    # the ids were given here: the sequences go on after them
                    top = f"(SELECT coalesce(max(id), 1) FROM {table.name})"  # noqa: S608
                    cursor.execute(
                        f"SELECT setval(pg_get_serial_sequence(%s, 'id'), {top})", [table.name]
                    )
            # The plans went in by COPY, past plan_save: their review dates onto the cases.
            case_services.current_plan_refresh(
                Case.objects.filter(centre__in=[p.centre.pk for p in people])
            )
            flag_started = time.perf_counter()
            changed = risk_8050.refresh(today=self.clock.today)
            log(f"80/50 flags: {changed:,} cases ({time.perf_counter() - flag_started:.1f} s)")
        analyze_started = time.perf_counter()
        with connection.cursor() as cursor:
            # VACUUM as well: it fills the visibility map, without which the index-only
            # scans the pages rely on (counts, the case list's ids) read every heap page.
            # (Not inside a transaction, where it cannot run: a test's.)
            command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
            cursor.execute(
                f"{command} accounts_centre, accounts_user, accounts_user_centres, "
                + ", ".join(tables)
            )
        log(f"{command} {time.perf_counter() - analyze_started:.1f} s")
        report = Report(
            centres=n_centres,
            users=sum(len(p.everyone) for p in people),
            tables={t.name: (t.count, t.seconds) for t in tables.values()},
            seconds=time.perf_counter() - started,
        )
        return report

    # --- ibasho sessions and walk-ins ------------------------------------------------------

    def ibasho_sessions(self, people: CentreStaff) -> tuple[list[int], list[int], list[bool]]:
        """Three afternoons a week over the five fiscal years and four weeks ahead: (start
        minutes, ids, cancelled) in time order."""
        rng, clock, table = self.rng, self.clock, self.tables["outreach_ibashosession"]
        starts: list[int] = []
        ids: list[int] = []
        cancelled: list[bool] = []
        place = f"{people.centre.prefecture}　居場所ルーム"
        for day in range(self.first_day, 29):
            if (clock.today + dt.timedelta(days=day)).weekday() not in IBASHO_WEEKDAYS:
                continue
            start = day * 1440 + IBASHO_START
            off = rng.random() < 0.01
            staff = people.staff[rng.randrange(len(people.staff))]
            ids.append(
                table.add(
                    people.centre.pk,
                    place,
                    clock.at(start),
                    clock.at(day * 1440 + IBASHO_END),
                    IBASHO_THEMES[rng.randrange(len(IBASHO_THEMES))],
                    15,
                    "",
                    clock.at(start - 1440) if off else None,
                    "台風のため" if off else "",
                    "f",
                    1,
                    clock.at(start - 30 * 1440),
                    staff,
                )
            )
            starts.append(start)
            cancelled.append(off)
        return starts, ids, cancelled

    def walk_ins(self) -> None:
        """Pseudonymous visitors: WALK_IN_SHARE of all attendances, a few each session."""
        rng, clock = self.rng, self.clock
        walk_in_table = self.tables["outreach_walkin"]
        attendance = self.tables["outreach_ibashoattendance"]
        named = self.case_attendances
        wanted = int(named * WALK_IN_SHARE / (1 - WALK_IN_SHARE))
        sessions = [
            (c, start, sid)
            for c, (starts, ids, cancelled) in enumerate(self.sessions)
            for start, sid, off in zip(starts, ids, cancelled, strict=True)
            if not off and start < 0
        ]
        if not sessions or wanted == 0:
            return
        per_session = wanted / len(sessions)
        pools: list[list[int]] = []
        for people in self.people:
            size = max(5, int(per_session * 25))
            pool = []
            for n in range(size):
                nickname = f"{NICKNAMES[n % len(NICKNAMES)]}{n // len(NICKNAMES) + 1}"
                pool.append(
                    walk_in_table.add(
                        people.centre.pk,
                        nickname,
                        self.search_text(nickname),
                        age_band_for(rng.randrange(15, 60)),
                        Gender.MALE if rng.random() < 0.6 else Gender.FEMALE,
                        clock.at(self.first_day * 1440),
                    )
                )
            pools.append(pool)
        seen: set[int] = set()
        carry = 0.0
        for c, start, sid in sessions:
            carry += per_session
            k, carry = int(carry), carry - int(carry)
            pool = pools[c]
            for walk_in in rng.sample(pool, min(k, len(pool))):
                arrived = start + rng.randrange(0, 90)
                attendance.add(
                    sid,
                    None,
                    walk_in,
                    clock.at(arrived),
                    clock.at(arrived + rng.randrange(30, 90)),
                    "",
                    bool_(walk_in not in seen),
                    "f",
                    bool_(rng.random() < 0.4),
                    "f",
                    "f",
                    None,
                    1,
                    clock.at(arrived),
                    self.people[c].staff[0],
                )
                seen.add(walk_in)

    # --- one case and everything around it ------------------------------------------------

    case_attendances = 0

    def case(self, c: int, number: int, first_day: int, *, heavy: bool) -> None:
        rng, clock, tables = self.rng, self.clock, self.tables
        people = self.people[c]
        centre = people.centre
        case_table = tables["cases_case"]
        contacts = tables["cases_contactentry"]
        case_id = case_table.next_id + 1

        # who
        age = rng.randrange(*self.age_years())
        family, family_kana = FAMILY_NAMES[rng.randrange(len(FAMILY_NAMES))]
        given, given_kana, gender = GIVEN_NAMES[rng.randrange(len(GIVEN_NAMES))]
        if rng.random() < 0.05:  # only the family has called so far
            family = given = family_kana = given_kana = ""
        if rng.random() < 0.05:
            gender = Gender.UNANSWERED
        birth_date = None
        if rng.random() < 0.7:
            birth_date = clock.today - dt.timedelta(days=age * 365 + rng.randrange(365))
        stage = SupportStage.PARTICIPATION if heavy else self.stage()
        risk_self_harm = rng.random() < 0.05
        risk_violence = rng.random() < 0.04
        risk_parent_ill = rng.random() < 0.08
        counsellor: int | None = None
        if rng.random() >= 0.03:
            counsellor = people.counsellors[rng.randrange(len(people.counsellors))]
        followup = CUSTOM_FOLLOWUP_DAYS if rng.random() < 0.05 else None
        interval = followup or FOLLOWUP_DAYS

        # status and the window of contact
        age_share = first_day / self.first_day  # 1 for the oldest cases, 0 for today's
        roll = rng.random()
        status = CaseStatus.OPEN
        if not heavy and first_day < -60 and roll < 0.1 + 0.5 * age_share:
            status = CaseStatus.CLOSED
        elif not heavy and roll > 0.96:
            status = CaseStatus.PAUSED
        if status == CaseStatus.CLOSED:
            end_day = rng.randrange(first_day + 30, -1)
        else:
            low, high = self.silence_gap()
            end_day = max(first_day, -rng.randrange(low, high + 1))
        if heavy:
            end_day = max(first_day, -rng.randrange(1, 10))

        # the contact log: intake first, the last two-way contact last, one-way tries after
        n = HEAVY_CONTACTS if heavy else 1 + int(rng.expovariate(1 / (CONTACTS_PER_CASE - 1)))
        staff_pool = people.counsellors + people.staff
        owner = counsellor or people.manager
        events: list[int] = [first_day * 1440 + rng.randrange(540, 1080)]
        for _ in range(max(0, n - 2)):
            events.append(rng.randrange(first_day, end_day + 1) * 1440 + rng.randrange(540, 1080))
        if n >= 2:
            events.append(end_day * 1440 + rng.randrange(540, 1080))
        events.sort()
        events[0] = min(events[0], first_day * 1440 + 540)
        tries_after = 0
        if status == CaseStatus.OPEN and end_day < -interval and rng.random() < 0.5:
            tries_after = rng.randrange(1, 3)
        family_stage = stage == SupportStage.FAMILY
        ibasho_share = 0.45 if stage in (SupportStage.GROUP, SupportStage.PARTICIPATION) else 0.03
        sessions_starts, session_ids, session_off = self.sessions[c]
        used_sessions: set[int] = set()
        last_two_way: int | None = None
        first_attendance = True
        created = clock.at(events[0])
        for k, minute in enumerate(
            events
            + [
                rng.randrange(end_day + 1, 0) * 1440 + 600
                for _ in range(tries_after)
                if end_day < -1
            ]
        ):
            staff = owner if rng.random() < 0.8 else staff_pool[rng.randrange(len(staff_pool))]
            after = k >= len(events)
            middle = 0 < k < len(events) - 1
            if middle and rng.random() < ibasho_share:
                s = bisect.bisect_right(sessions_starts, minute) - 1
                if s >= 0 and not session_off[s] and s not in used_sessions:
                    start = sessions_starts[s]
                    if start > events[0]:
                        used_sessions.add(s)
                        arrived = start + rng.randrange(0, 60)
                        contact = contacts.add(
                            case_id,
                            clock.at(arrived),
                            120,
                            Channel.IBASHO,
                            Counterpart.PERSON,
                            "",
                            staff,
                            "t",
                            "",
                            "",
                            ContactSource.IBASHO,
                            clock.at(arrived),
                            staff,
                        )
                        tables["outreach_ibashoattendance"].add(
                            session_ids[s],
                            case_id,
                            None,
                            clock.at(arrived),
                            clock.at(arrived + 120),
                            "",
                            bool_(first_attendance),
                            bool_(rng.random() < 0.6),
                            bool_(rng.random() < 0.4),
                            bool_(rng.random() < 0.3),
                            "f",
                            contact,
                            1,
                            clock.at(arrived),
                            staff,
                        )
                        first_attendance = False
                        self.case_attendances += 1
                        last_two_way = max(last_two_way or arrived, arrived)
                        continue
            if middle and rng.random() < 0.0095:
                day_start = (minute // 1440) * 1440 + (600 if rng.random() < 0.5 else 840)
                last_two_way = self.done_visit(case_id, people, owner, day_start, last_two_way)
                continue
            if k == 0:
                channel, two_way, source = Channel.PHONE, True, ContactSource.INTAKE
            elif after:
                channel = Channel.LETTER if rng.random() < 0.5 else Channel.PHONE
                two_way, source = False, ContactSource.MANUAL
            else:
                channel = self.channel()
                two_way = channel != Channel.LETTER and (
                    k == len(events) - 1 or rng.random() < 0.93
                )
                source = ContactSource.MANUAL
            with_family = family_stage or k == 0 or rng.random() < 0.3
            counterpart = Counterpart.FAMILY if with_family else Counterpart.PERSON
            contacts.add(
                case_id,
                clock.at(minute),
                rng.randrange(10, 90),
                channel,
                counterpart,
                "母" if with_family else "",
                staff,
                bool_(two_way),
                NOTES[rng.randrange(len(NOTES))] if rng.random() < 0.5 else "",
                NEXT_ACTIONS[rng.randrange(len(NEXT_ACTIONS))],
                source,
                clock.at(minute),
                staff,
            )
            if two_way:
                last_two_way = max(last_two_way or minute, minute)

        # the silence clock, as Case.next_silence_check_at sets it
        clock_start = last_two_way if last_two_way is not None else events[0]
        silent_days = -clock_start / 1440
        next_check: int | None = None
        silence = SilenceStage.OK
        if status == CaseStatus.OPEN:
            if silent_days >= interval + GRACE_DAYS:
                silence = SilenceStage.ESCALATED
            elif silent_days >= interval:
                silence = SilenceStage.REMINDED
                next_check = clock_start + (interval + GRACE_DAYS) * 1440
            else:
                next_check = clock_start + interval * 1440
        paused_until = clock.day(rng.randrange(7, 90)) if status == CaseStatus.PAUSED else None
        closed_at = clock.at(end_day * 1440 + 1070) if status == CaseStatus.CLOSED else None
        closure = self.closure() if status == CaseStatus.CLOSED else ""
        updated = clock.at(max(events[-1], end_day * 1440 + 1070))
        case_table.add(
            centre.pk,
            number,
            family,
            given,
            family_kana,
            given_kana,
            self.search_text(family, given, family_kana, given_kana),
            birth_date.isoformat() if birth_date else None,
            age_band_for(age) if age else AgeBand.UNKNOWN,
            gender,
            f"{rng.randrange(100, 999)}-{rng.randrange(10000):04d}",
            centre.prefecture,
            MUNICIPALITIES[rng.randrange(len(MUNICIPALITIES))],
            f"{rng.randrange(1, 30)}-{rng.randrange(1, 20)}",
            f"+8190{rng.randrange(10**8):08d}" if rng.random() < 0.5 else "",
            clock.day(first_day),
            self.first_by(),
            clock.today.year - rng.randrange(1, 15),
            self.severity(),
            stage,
            status,
            paused_until,
            closure,
            closed_at,
            1,
            bool_(risk_self_harm),
            bool_(risk_violence),
            "f",
            "f",
            bool_(risk_parent_ill),
            self.person_aware(),
            counsellor,
            followup,
            clock.at(last_two_way) if last_two_way is not None else None,
            clock.at(clock_start),
            clock.at(next_check) if next_check is not None else None,
            silence,
            1,
            created,
            updated,
            owner,
        )
        if status != CaseStatus.OPEN:
            tables["cases_casestatuschange"].add(
                case_id,
                closed_at or updated,
                owner,
                CaseStatus.OPEN,
                status,
                closure,
                paused_until,
                1,
                "",
            )
        self.household(case_id, people, owner, family, family_kana, age, created)
        self.plans_and_referrals(case_id, status, stage, first_day, end_day, owner, created)
        if status == CaseStatus.OPEN and rng.random() < 0.06:
            self.upcoming_visit(case_id, people, owner)

    def household(
        self,
        case_id: int,
        people: CentreStaff,
        owner: int,
        family: str,
        kana: str,
        age: int,
        created: str,
    ) -> None:
        rng, tables = self.rng, self.tables
        roll = rng.random()
        members = 0 if roll < 0.62 else 1 if roll < 0.88 else 2
        for k in range(members):
            given, given_kana, relation = PARENT_GIVEN[rng.randrange(len(PARENT_GIVEN))]
            birth_year = self.clock.today.year - age - rng.randrange(22, 38)
            deceased = rng.random() < 0.02
            member = tables["families_familymember"].add(
                people.centre.pk,
                family,
                given,
                kana,
                given_kana,
                self.search_text(family, given, kana, given_kana),
                birth_year,
                f"+813{rng.randrange(10**8):08d}" if rng.random() < 0.7 else "",
                "",
                bool_(rng.random() < 0.8),
                MemberStatus.DECEASED if deceased else MemberStatus.ACTIVE,
                self.clock.day(-rng.randrange(1, 300)) if deceased else None,
                1,
                created,
                created,
                owner,
            )
            links = tables["families_householdlink"]
            links.add(
                case_id,
                member,
                relation,
                bool_(rng.random() < 0.85),
                self.person_aware(),
                bool_(k == 0),
                created,
                owner,
            )
            previous = getattr(self, "previous_case", {}).get(people.centre.pk)
            if previous and rng.random() < 0.03:  # a sibling's household: one parent, two cases
                links.add(previous, member, relation, "t", PersonAware.UNKNOWN, "f", created, owner)
        if not hasattr(self, "previous_case"):
            self.previous_case: dict[int, int] = {}
        self.previous_case[people.centre.pk] = case_id

    def plans_and_referrals(
        self,
        case_id: int,
        status: str,
        stage: str,
        first_day: int,
        end_day: int,
        owner: int,
        created: str,
    ) -> None:
        rng, clock, tables = self.rng, self.clock, self.tables
        if status != CaseStatus.CLOSED and stage != SupportStage.FAMILY and rng.random() < 0.3:
            tables["cases_supportplan"].add(
                case_id,
                PLAN_GOALS[rng.randrange(len(PLAN_GOALS))],
                "昼夜逆転が続く",
                "好きな音楽の話",
                "担当相談員",
                clock.day(rng.randrange(-60, 120)),
                1,
                created,
                created,
                owner,
            )
        if rng.random() < 0.08:
            day = rng.randrange(first_day, end_day + 1)
            kind = list(DestinationKind)[rng.randrange(len(DestinationKind))]
            outcome = list(ReferralOutcome)[rng.randrange(len(ReferralOutcome))]
            tables["cases_referral"].add(
                case_id,
                kind,
                f"{kind.label}（市内）",
                clock.day(day),
                "",
                "",
                outcome,
                clock.day(day + 30),
                1,
                clock.at(day * 1440 + 720),
                owner,
            )

    def done_visit(
        self, case_id: int, people: CentreStaff, owner: int, start: int, last: int | None
    ) -> int | None:
        rng, clock, tables = self.rng, self.clock, self.tables
        outcome = self.visit_outcome()
        two_way = outcome in TWO_WAY_OUTCOMES
        partner = self.partner(people, owner)
        contact = tables["cases_contactentry"].add(
            case_id,
            clock.at(start),
            60,
            Channel.HOME_VISIT,
            OUTCOME_COUNTERPART[outcome],
            "",
            owner,
            bool_(two_way),
            "",
            "",
            ContactSource.HOME_VISIT,
            clock.at(start + 90),
            owner,
        )
        visit = tables["outreach_homevisit"].add(
            people.centre.pk,
            case_id,
            clock.at(start),
            clock.at(start + 60),
            VISIT_PURPOSES[rng.randrange(len(VISIT_PURPOSES))],
            VisitStatus.DONE,
            "",
            "",
            outcome,
            VISIT_REPORTS[rng.randrange(len(VISIT_REPORTS))],
            clock.at(start + 120),
            owner,
            clock.at(start - 5),
            owner,
            clock.at(start + 65),
            owner,
            contact,
            "",
            1,
            clock.at(start - 14 * 1440),
            owner,
        )
        for user in (owner, partner):
            tables["outreach_visitassignment"].add(visit, user, clock.at(start - 1440), "seed")
        if rng.random() < 0.1:  # an earlier try that did not happen
            before = start - 7 * 1440
            status = [VisitStatus.CANCELLED, VisitStatus.POSTPONED, VisitStatus.MISSED][
                rng.randrange(3)
            ]
            called_off = tables["outreach_homevisit"].add(
                people.centre.pk,
                case_id,
                clock.at(before),
                clock.at(before + 60),
                VISIT_PURPOSES[0],
                status,
                CALLED_OFF_REASONS[rng.randrange(3)],
                "",
                "",
                "",
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                "",
                1,
                clock.at(before - 14 * 1440),
                owner,
            )
            tables["outreach_visitassignment"].add(called_off, owner, None, "")
        return max(last or start, start) if two_way else last

    def upcoming_visit(self, case_id: int, people: CentreStaff, owner: int) -> None:
        """A visit ahead: planned, announced or confirmed, briefed or not yet."""
        rng, clock, tables = self.rng, self.clock, self.tables
        start = rng.randrange(1, 21) * 1440 + (600 if rng.random() < 0.5 else 840)
        status = [VisitStatus.PLANNED, VisitStatus.ANNOUNCED, VisitStatus.CONFIRMED][
            rng.randrange(3)
        ]
        visit = tables["outreach_homevisit"].add(
            people.centre.pk,
            case_id,
            clock.at(start),
            clock.at(start + 60),
            VISIT_PURPOSES[rng.randrange(len(VISIT_PURPOSES))],
            status,
            "",
            "",
            "",
            "",
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            "",
            1,
            clock.at(-1440),
            owner,
        )
        briefed = status == VisitStatus.CONFIRMED
        for user in (owner, self.partner(people, owner)):
            tables["outreach_visitassignment"].add(
                visit, user, clock.at(-60) if briefed else None, "seed" if briefed else ""
            )

    def partner(self, people: CentreStaff, owner: int) -> int:
        pool = [u for u in people.counsellors + people.staff if u != owner] or [people.manager]
        return pool[self.rng.randrange(len(pool))]


def seed_scale(
    *,
    cases: int,
    seed: int = 1,
    centres: int | None = None,
    today: dt.date | None = None,
    log: Callable[[str], None] = print,
) -> Report:
    """Add `cases` cases and everything around them, in new centres."""
    from django.utils import timezone

    generator = Generator(
        cases=cases,
        seed=seed,
        centres=centres or centres_for(cases),
        today=today or timezone.localdate(),
    )
    return generator.run(log)


def table_lines(report: Report) -> Iterable[str]:
    for name, (rows, seconds) in report.tables.items():
        rate = rows / seconds if seconds else 0
        yield f"  {name:<28} {rows:>11,} rows  {seconds:7.1f} s  ({rate:,.0f} rows/s)"
