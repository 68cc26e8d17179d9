"""The statistics' community work table (docs/statistics.md, section 9) on a hand-built data
set: activities and their audience by kind, and the distinct cases discussed at meetings, for
months and fiscal years in Tokyo days (31 March 23:59 and 1 April 00:00 on either side of the
boundary), an activity still to come counted nowhere, another centre's kept apart, the
meetings adding nothing to 実人員/延人員, and the CSV and XLSX carrying the same numbers.
Every expected number was counted by hand from `community`'s docstring; the comment beside
each assertion names the records that make it up."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from django.utils.http import urlencode
from openpyxl import load_workbook

from accounts.models import Centre, User
from cases.choices import ConsentScope
from cases.models import Consent
from dashboards.statistics import TOKYO, Period, Report, statistics_report
from outreach import services
from outreach.models import ActivityKind, CommunityActivity, SharingBasis
from tests.factories import UserFactory, make_case

NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=TOKYO)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_now() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def jst(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=TOKYO)


def _activity(
    centre: Centre,
    by: User,
    kind: str,
    held_on: dt.date,
    audience: int,
    starts_at: dt.datetime | None = None,
    basis: str = "",
) -> CommunityActivity:
    meeting = kind in (ActivityKind.SUPPORT_MEETING, ActivityKind.NETWORK_MEETING)
    return services.community_activity_create(
        centre=centre,
        by=by,
        fields={
            "kind": kind,
            "title": f"{kind} {held_on}",
            "held_on": held_on,
            "starts_at": starts_at,
            "place": "会場",
            "audience_kind": "agency_staff" if meeting else "residents",
            "audience_count": audience,
            "sharing_basis": basis,
        },
        staff=[by],
    )


@pytest.fixture
def community(centre_a: Centre, centre_b: Centre, alice: User, charlie: User) -> None:
    """Centre A (cases C1, C2, C3; C1 consents to sharing with agencies from 2026-04-01)
    A1 lecture          2026-03-31 23:59 JST   audience 30
    M3 support meeting  2026-03-31 (no time)   audience  5   discussed C3   (poverty act)
    A2 awareness event  2026-04-01 00:00 JST   audience 100  (= 2026-03-31 15:00 UTC)
    A3 training         2026-04-15             audience 25
    M1 support meeting  2026-04-20             audience  6   discussed C1, C2 (poverty act)
    M2 network meeting  2026-05-12             audience 12   discussed C1  (consent)
    A4 lecture          2026-12-05 (to come)   audience 80
    Centre B (case D1)
    B1 lecture          2026-04-10             audience 50
    MB support meeting  2026-04-10             audience  4   discussed D1  (social welfare act)
    """
    c1, c2, c3 = (make_case(centre_a, alice) for _ in range(3))
    Consent.objects.create(
        case=c1,
        scope=ConsentScope.SHARE_WITH_AGENCY,
        given_by="本人",
        given_on=dt.date(2026, 4, 1),
        recorded_by=alice,
    )
    d1 = make_case(centre_b, charlie)
    poverty, welfare = SharingBasis.POVERTY_ACT, SharingBasis.SOCIAL_WELFARE_ACT

    _activity(centre_a, alice, "lecture", dt.date(2026, 3, 31), 30, jst(2026, 3, 31, 23, 59))
    m3 = _activity(centre_a, alice, "support_meeting", dt.date(2026, 3, 31), 5, basis=poverty)
    _activity(centre_a, alice, "awareness", dt.date(2026, 4, 1), 100, jst(2026, 4, 1, 0, 0))
    _activity(centre_a, alice, "training", dt.date(2026, 4, 15), 25)
    m1 = _activity(centre_a, alice, "support_meeting", dt.date(2026, 4, 20), 6, basis=poverty)
    m2 = _activity(
        centre_a, alice, "network_meeting", dt.date(2026, 5, 12), 12, basis=SharingBasis.CONSENT
    )
    _activity(centre_a, alice, "lecture", dt.date(2026, 12, 5), 80)
    _activity(centre_b, charlie, "lecture", dt.date(2026, 4, 10), 50)
    mb = _activity(centre_b, charlie, "support_meeting", dt.date(2026, 4, 10), 4, basis=welfare)
    for meeting, case, by in (
        (m3, c3, alice),
        (m1, c1, alice),
        (m1, c2, alice),
        (m2, c1, alice),
        (mb, d1, charlie),
    ):
        services.community_case_link(activity=meeting, case=case, by=by)


def _rows(report: Report) -> dict[str, dict[str, int]]:
    """The community table as {row: {column: n}}, the all-zero rows left out."""
    table = report.table("community")
    return {row.key: row.values for row in table.rows if any(row.values.values())}


def n(events: int, audience: int, cases: int = 0) -> dict[str, int]:
    return {"events": events, "audience": audience, "cases": cases}


def test_april_2026_begins_at_1_april_00_00_tokyo(community, centre_a):
    report = statistics_report([centre_a], Period.month(2026, 4))
    assert _rows(report) == {
        "awareness": n(1, 100),  # A2 at 00:00 on 1 April (still 31 March in UTC)
        "training": n(1, 25),  # A3
        "support_meeting": n(1, 6, 2),  # M1: C1 and C2
        "total": n(3, 131, 2),
    }


def test_march_2026_ends_at_31_march_23_59_tokyo(community, centre_a):
    report = statistics_report([centre_a], Period.month(2026, 3))
    assert _rows(report) == {
        "lecture": n(1, 30),  # A1 at 23:59 on 31 March
        "support_meeting": n(1, 5, 1),  # M3: C3
        "total": n(2, 35, 1),
    }


def test_fiscal_year_2026_counts_a_case_discussed_twice_once(community, centre_a):
    report = statistics_report([centre_a], Period.fiscal_year(2026))
    # From 1 April 2026 00:00 to now (30 November): A2, A3, M1, M2; A4 (5 December) is still
    # to come. C1 was discussed at M1 and at M2: one case in the total.
    assert _rows(report) == {
        "awareness": n(1, 100),
        "training": n(1, 25),
        "support_meeting": n(1, 6, 2),  # M1: C1, C2
        "network_meeting": n(1, 12, 1),  # M2: C1
        "total": n(4, 143, 2),  # C1, C2 (not 3: the total is not the sum of the rows)
    }


def test_fiscal_year_2025_holds_31_march(community, centre_a):
    report = statistics_report([centre_a], Period.fiscal_year(2025))
    assert _rows(report) == {
        "lecture": n(1, 30),  # A1
        "support_meeting": n(1, 5, 1),  # M3: C3
        "total": n(2, 35, 1),
    }


def test_an_activity_still_to_come_is_counted_nowhere(community, centre_a):
    assert _rows(statistics_report([centre_a], Period.month(2026, 12))) == {}  # A4
    with time_machine.travel(jst(2026, 12, 5, 9), tick=False):  # its day has come
        assert _rows(statistics_report([centre_a], Period.month(2026, 12))) == {
            "lecture": n(1, 80),
            "total": n(1, 80),
        }


def test_centres_are_kept_apart_and_added_up_in_all_centres(community, centre_a, centre_b):
    year = Period.fiscal_year(2026)
    assert _rows(statistics_report([centre_b], year)) == {
        "lecture": n(1, 50),  # B1
        "support_meeting": n(1, 4, 1),  # MB: D1
        "total": n(2, 54, 1),
    }
    both = statistics_report([centre_a, centre_b], year)
    assert _rows(both)["total"] == n(4 + 2, 143 + 54, 2 + 1)
    assert _rows(both)["support_meeting"] == n(2, 10, 3)  # M1 (C1, C2) and MB (D1)


def test_meetings_add_nothing_to_the_people_served(community, centre_a):
    # The cases were discussed, never consulted: no contact, so no 実人員 or 延人員.
    report = statistics_report([centre_a], Period.fiscal_year(2026))
    assert report.table("channels").value("total", "people") == 0
    assert report.table("channels").value("total", "contacts") == 0


# --- the exports carry the same numbers -----------------------------------------------------


def _get(client: Any, name: str, query: dict[str, str]) -> Any:
    return client.get(reverse(f"dashboards:{name}") + "?" + urlencode(query))


APRIL = {"period": "month", "month": "2026-04"}
FISCAL_2026 = {"period": "fiscal_year", "fiscal_year": "2026"}
TITLE = "地域活動（講演会・普及啓発・研修会・会議）"


def _csv_table(body: bytes) -> list[list[str]]:
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    start = rows.index([TITLE]) + 1
    end = next(i for i in range(start, len(rows)) if len(rows[i]) <= 1)
    return rows[start:end]


@pytest.mark.parametrize(
    ("query", "total"),
    [(APRIL, ["計", "3", "131", "2"]), (FISCAL_2026, ["計", "4", "143", "2"])],
)
def test_the_csv_carries_the_numbers(community, as_mallory, query, total):
    table = _csv_table(_get(as_mallory, "statistics_csv", query).content)
    assert table[0] == ["種類", "回数", "参加者数", "検討したケース"]
    assert table[-1] == total
    by_label = {row[0]: row[1:] for row in table[1:]}
    assert by_label["支援会議・個別ケース検討会議"] == ["1", "6", "2"]  # M1 in both
    assert by_label["講演会"] == ["0", "0", "0"]  # A1 is March's, A4 still to come


@pytest.mark.parametrize(
    ("query", "total"), [(APRIL, ["計", 3, 131, 2]), (FISCAL_2026, ["計", 4, 143, 2])]
)
def test_the_xlsx_sheet_carries_the_numbers(community, as_mallory, centre_a, query, total):
    response = _get(as_mallory, "statistics_xlsx", query)
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook["地域活動"]
    assert TITLE in sheet["A1"].value and centre_a.name in sheet["A1"].value
    rows = [list(row) for row in sheet.iter_rows(min_row=4, max_row=11, values_only=True)]
    assert rows[0] == ["種類", "回数", "参加者数", "検討したケース"]
    assert rows[-1] == total
    assert rows[1:-1] == [
        [str(kind.label), *values]
        for kind, values in zip(
            ActivityKind,
            [
                [0, 0, 0],
                [1, 100, 0],
                [1, 25, 0],
                [1, 6, 2],
                [0, 0, 0] if query is APRIL else [1, 12, 1],
                [0, 0, 0],
            ],
            strict=True,
        )
    ]


def test_the_page_and_the_print_page_show_the_table(community, as_mallory):
    for name in ("statistics", "statistics_print"):
        response = _get(as_mallory, name, FISCAL_2026)
        assert response.context["report"].table("community").value("total", "cases") == 2
        assert 'data-testid="table-community"' in response.content.decode()


def test_the_statistics_query_count_does_not_grow_with_community_work(
    centre_a, alice, as_mallory, django_assert_max_num_queries
):
    def grow(times: int) -> None:
        for _ in range(times):
            meeting = _activity(
                centre_a,
                alice,
                "support_meeting",
                dt.date(2026, 5, 1),
                3,
                basis=SharingBasis.POVERTY_ACT,
            )
            meeting.staff.add(UserFactory(centre=centre_a))
            services.community_case_link(
                activity=meeting, case=make_case(centre_a, alice), by=alice
            )
            _activity(centre_a, alice, "lecture", dt.date(2026, 6, 1), 10)

    url = reverse("dashboards:statistics") + "?" + urlencode(FISCAL_2026)
    grow(1)
    with django_assert_max_num_queries(12) as small:
        as_mallory.get(url)
    grow(19)
    with django_assert_max_num_queries(len(small.captured_queries)) as large:
        response = as_mallory.get(url)
    assert len(large.captured_queries) == len(small.captured_queries)
    assert _rows(response.context["report"])["total"] == n(40, 20 * 13, 20)
