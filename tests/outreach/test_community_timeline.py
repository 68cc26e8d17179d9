"""A case discussed at a meeting shows on its own timeline ("discussed at a 支援会議 on <date>",
linking to the meeting), never with the meeting's other cases; the entry comes in the
timeline's one query (cases.hooks.TimelineBranch), so the case page's pinned query count does
not move, however many meetings; and it is not a contact."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.urls import reverse

from cases import selectors
from cases.models import ContactEntry
from cases.templatetags.timeline import timeline_rows
from outreach import services
from outreach.models import ActivityKind
from tests.cases.test_case_detail import CASE_PAGE_QUERIES
from tests.factories import make_case
from tests.outreach.test_community_services import make_meeting

pytestmark = pytest.mark.django_db

TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")


@pytest.fixture
def two_cases(centre_a, alice):  # type: ignore[no-untyped-def]
    mine = make_case(centre_a, alice, primary_counsellor=alice)
    other = make_case(
        centre_a,
        alice,
        family_name="佐藤",
        given_name="花子",
        family_name_kana="さとう",
        given_name_kana="はなこ",
    )
    return mine, other


def _timeline_html(client, case) -> str:  # type: ignore[no-untyped-def]
    body = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    return body[body.index('data-testid="timeline"') :]


def test_the_case_timeline_shows_the_meeting_without_its_other_cases(
    as_alice, centre_a, alice, two_cases
):
    mine, other = two_cases
    meeting = make_meeting(
        centre_a,
        alice,
        title="支援会議（4月）",
        starts_at=dt.datetime(2026, 4, 10, 13, tzinfo=TOKYO),
    )
    for case in (mine, other):
        services.community_case_link(activity=meeting, case=case, by=alice)
    timeline = _timeline_html(as_alice, mine)
    row = timeline[timeline.index('<article class="timeline-item kind-meeting">') :]
    row = row[: row.index("</article>")]
    assert "2026年4月10日" in row
    assert "<strong>支援会議・個別ケース検討会議で検討:</strong>" in row
    detail = reverse("outreach:community_detail", args=[meeting.pk])
    assert f'<a href="{detail}">支援会議（4月）</a>' in row
    # The other case of the meeting is named nowhere on this case's timeline.
    assert other.case_number not in timeline and "佐藤" not in timeline and "花子" not in timeline


def test_the_entry_sorts_by_the_meeting_time_and_escapes_the_title(centre_a, alice, two_cases):
    mine, _other = two_cases
    earlier = make_meeting(centre_a, alice, held_on=dt.date(2026, 4, 1))
    later = make_meeting(
        centre_a,
        alice,
        title="<b>会議</b>",
        held_on=dt.date(2026, 4, 20),
        starts_at=dt.datetime(2026, 4, 20, 9, tzinfo=TOKYO),
    )
    for meeting in (earlier, later):
        services.community_case_link(activity=meeting, case=mine, by=alice)
    items = [item for item in selectors.case_timeline(mine) if item.kind == "meeting"]
    assert [item.at for item in items] == [
        dt.datetime(2026, 4, 20, 9, tzinfo=TOKYO),
        dt.datetime(2026, 4, 1, 12, tzinfo=TOKYO),  # no time given: noon of its day
    ]
    html = timeline_rows(items)
    assert "&lt;b&gt;会議&lt;/b&gt;" in html and "<b>" not in html


def test_a_network_meeting_is_named_as_such(centre_a, alice, two_cases):
    mine, _other = two_cases
    meeting = make_meeting(centre_a, alice, kind=ActivityKind.NETWORK_MEETING)
    services.community_case_link(activity=meeting, case=mine, by=alice)
    (item,) = [item for item in selectors.case_timeline(mine) if item.kind == "meeting"]
    assert item.title == "ネットワーク会議・連絡協議会で検討"
    assert item.url == reverse("outreach:community_detail", args=[meeting.pk])


def test_unlinked_the_entry_is_gone(centre_a, alice, two_cases):
    mine, _other = two_cases
    meeting = make_meeting(centre_a, alice)
    services.community_case_link(activity=meeting, case=mine, by=alice)
    services.community_case_unlink(activity=meeting, case=mine, by=alice)
    assert not [item for item in selectors.case_timeline(mine) if item.kind == "meeting"]


def test_a_discussion_is_not_a_contact_on_the_timeline(centre_a, alice, two_cases):
    mine, _other = two_cases
    before = [item.kind for item in selectors.case_timeline(mine)].count("contact")
    meeting = make_meeting(centre_a, alice)
    services.community_case_link(activity=meeting, case=mine, by=alice)
    kinds = [item.kind for item in selectors.case_timeline(mine)]
    assert kinds.count("contact") == before and kinds.count("meeting") == 1
    assert ContactEntry.objects.filter(case=mine).count() == before


def test_the_timeline_stays_one_query_and_the_case_page_its_count(
    as_alice, centre_a, alice, two_cases, django_assert_num_queries
):
    mine, _other = two_cases
    services.community_case_link(activity=make_meeting(centre_a, alice), case=mine, by=alice)
    with django_assert_num_queries(1):
        selectors.case_timeline(mine)
    with django_assert_num_queries(CASE_PAGE_QUERIES):
        as_alice.get(reverse("cases:detail", args=[mine.pk]))
    for day in range(1, 20):
        meeting = make_meeting(centre_a, alice, held_on=dt.date(2026, 5, day))
        services.community_case_link(activity=meeting, case=mine, by=alice)
    with django_assert_num_queries(1):
        assert len([i for i in selectors.case_timeline(mine) if i.kind == "meeting"]) == 20
    with django_assert_num_queries(CASE_PAGE_QUERIES):
        response = as_alice.get(reverse("cases:detail", args=[mine.pk]))
    assert len([i for i in response.context["timeline"] if i.kind == "meeting"]) == 20
