"""Each user's private iCalendar feed: it parses, holds that user's assigned visits only (not
a colleague's, not another centre's, not those called off, a month back to half a year
ahead), and carries nothing of the person: every field of every event is checked against
the seeded names, furigana, addresses, purposes, reports and notes. The address is a secret
that can be replaced (the old one is then a 404 at once), that never reaches a log line, and
whose page and replacement are open to every signed-in role, audited."""

from __future__ import annotations

import datetime as dt
import logging
import re

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from accounts.models import AuditAction, AuditEvent
from outreach import services
from outreach.models import CalendarFeed, HomeVisit
from tests.factories import make_case, make_member, make_visit, record_contact

pytestmark = pytest.mark.django_db

INSIDERS = ["as_alice", "as_bob", "as_mallory", "as_charlie"]

# Everything private about the seeded cases: none of it may reach the feed.
PRIVATE = [
    "雲母坂",
    "澪標",
    "きららざか",
    "みおつくし",
    "109-8765",
    "鳴門市",
    "撫養町斎田字浜端西八番地",
    "柊木",
    "ひいらぎ",
    "苫小牧市",
    "汐見台三丁目",
    "古都見",
    "ことみ",
    "訪問目的：将棋の話題から",
    "目的：ゲームの相談",
    "訪問記録：玄関先で十分ほど",
    "相談メモ：兄の様子",
    "予告メモ：母経由",
    "中止理由：入院のため",
]


def feed_url(feed: CalendarFeed) -> str:
    return reverse("outreach:calendar_feed_ics", kwargs={"token": feed.token})


def parsed(response) -> Calendar:  # type: ignore[no-untyped-def]
    assert response.status_code == 200
    return Calendar.from_ical(response.content)


def events(response) -> list:  # type: ignore[no-untyped-def,type-arg]
    return list(parsed(response).walk("VEVENT"))


@pytest.fixture
def seeded(centre_a, centre_b, alice, bob, charlie, mallory):  # type: ignore[no-untyped-def]
    """Two cases with distinctive names, furigana, addresses and notes, and visits of every
    kind: alice's own (planned, confirmed, done with a report, cancelled, out of the window),
    a colleague's without alice, and one of centre B."""
    first = make_case(
        centre_a,
        alice,
        family_name="雲母坂",
        given_name="澪標",
        family_name_kana="きららざか",
        given_name_kana="みおつくし",
        postal_code="109-8765",
        prefecture="徳島県",
        municipality="鳴門市",
        address_line="撫養町斎田字浜端西八番地",
    )
    second = make_case(
        centre_a,
        alice,
        family_name="柊木",
        given_name="古都見",
        family_name_kana="ひいらぎ",
        given_name_kana="ことみ",
        municipality="苫小牧市",
        address_line="汐見台三丁目",
    )
    make_member(first, alice, family_name="雲母坂", given_name="澪標")
    record_contact(first, alice, note="相談メモ：兄の様子")
    planned = make_visit(first, alice, staff=[alice, bob], purpose="訪問目的：将棋の話題から")
    confirmed = make_visit(
        second,
        alice,
        staff=[alice, bob],
        start_hour=14,
        status="confirmed",
        purpose="目的：ゲームの相談",
    )
    announced = make_visit(first, alice, staff=[alice, bob], days_ahead=20, status="announced")
    services.visit_announce(
        visit=announced,
        by=alice,
        method="letter",
        made_at=timezone.now(),
        recipient="person",
        response="no_answer",
        note="予告メモ：母経由",
    )
    done = make_visit(second, alice, staff=[alice, bob], days_ahead=9, status="briefed")
    with time_machine.travel(done.starts_at + dt.timedelta(minutes=5), tick=False):
        services.visit_check_in(visit=done, by=alice)
        services.visit_record_outcome(
            visit=done, by=alice, outcome="met_person", report="訪問記録：玄関先で十分ほど"
        )
    cancelled = make_visit(first, alice, staff=[alice, bob], days_ahead=10)
    services.visit_call_off(
        visit=cancelled, by=alice, status="cancelled", reason="中止理由：入院のため"
    )
    far = make_visit(first, alice, staff=[alice, bob], days_ahead=200)
    colleagues = make_visit(first, mallory, staff=[mallory, bob], days_ahead=11)
    b_case = make_case(centre_b, charlie, family_name="雲母坂", given_name="澪標")
    other_centre = make_visit(b_case, charlie, days_ahead=12)
    return {
        "mine": [planned, confirmed, announced, done],
        "cancelled": cancelled,
        "far": far,
        "colleagues": colleagues,
        "other_centre": other_centre,
        "cases": [first, second],
    }


@pytest.fixture
def alices_feed(alice):  # type: ignore[no-untyped-def]
    return services.calendar_feed_get_or_create(user=alice)


# --- what the feed holds ---------------------------------------------------------------------


def test_the_feed_parses_and_holds_the_user_s_assigned_visits_only(client, seeded, alices_feed):
    response = client.get(feed_url(alices_feed))

    uids = {str(event["UID"]) for event in events(response)}
    assert uids == {f"visit-{visit.pk}@tsunagu" for visit in seeded["mine"]}
    for left_out in ("cancelled", "far", "colleagues", "other_centre"):
        assert f"visit-{seeded[left_out].pk}@tsunagu" not in response.content.decode()


@pytest.fixture
def visits_to_move(centre_a, alice, bob):  # type: ignore[no-untyped-def]
    case = make_case(centre_a, alice)
    return {
        name: make_visit(case, alice, staff=[alice, bob], days_ahead=8 + n)
        for n, name in enumerate(["recent", "old", "soon", "late"])
    }


def test_visits_from_a_month_back_to_half_a_year_ahead(client, visits_to_move, alice):
    visits = visits_to_move
    now = timezone.now()
    shifts = {"recent": -25, "old": -35, "soon": 170, "late": 190}
    for name, days in shifts.items():
        start = now + dt.timedelta(days=days)
        HomeVisit.objects.filter(pk=visits[name].pk).update(
            starts_at=start, ends_at=start + dt.timedelta(hours=1)
        )
    feed = services.calendar_feed_get_or_create(user=alice)

    uids = {str(event["UID"]) for event in events(client.get(feed_url(feed)))}

    assert uids == {f"visit-{visits[name].pk}@tsunagu" for name in ("recent", "soon")}


def test_no_name_furigana_address_purpose_report_or_note_of_any_case_reaches_the_feed(
    client, seeded, alices_feed, alice, bob
):
    response = client.get(feed_url(alices_feed))
    body = response.content.decode()
    unfolded = re.sub(r"\r\n[ \t]", "", body)

    for private in PRIVATE:
        assert private not in body and private not in unfolded, private
    for staff in (alice, bob):
        assert str(staff) not in unfolded
    # Every field of every event: only these, each holding what it should.
    visits = {f"visit-{visit.pk}@tsunagu": visit for visit in seeded["mine"]}
    for event in events(response):
        visit = visits[str(event["UID"])]
        assert set(event.keys()) == {
            "UID",
            "DTSTAMP",
            "DTSTART",
            "DTEND",
            "SUMMARY",
            "STATUS",
            "SEQUENCE",
            "URL",
        }
        assert str(event["SUMMARY"]) == f"訪問 {visit.case.case_number}"
        assert str(event["URL"]) == settings.SITE_URL + reverse(
            "outreach:visit_detail", args=[visit.pk]
        )
        assert re.fullmatch(r"http[s]?://[^/]+/outreach/visits/\d+/", str(event["URL"]))
        start, end = event.decoded("DTSTART"), event.decoded("DTEND")
        assert start == visit.starts_at and end == visit.ends_at
        assert start.utcoffset() == dt.timedelta(0)
        assert event.decoded("DTSTAMP").utcoffset() == dt.timedelta(0)
        for value in event.values():
            text = value.to_ical().decode() if hasattr(value, "to_ical") else str(value)
            for private in PRIVATE:
                assert private not in text
    # The calendar's own properties carry nothing of anyone either.
    calendar = parsed(response)
    assert {str(v) for v in calendar.values()} & set(PRIVATE) == set()


def test_the_status_is_tentative_until_the_person_agreed(client, seeded, alices_feed):
    planned, confirmed, announced, done = seeded["mine"]
    statuses = {str(e["UID"]): str(e["STATUS"]) for e in events(client.get(feed_url(alices_feed)))}

    assert statuses[f"visit-{planned.pk}@tsunagu"] == "TENTATIVE"
    assert statuses[f"visit-{announced.pk}@tsunagu"] == "TENTATIVE"
    assert statuses[f"visit-{confirmed.pk}@tsunagu"] == "CONFIRMED"
    assert statuses[f"visit-{done.pk}@tsunagu"] == "CONFIRMED"


def test_the_summary_is_in_the_user_s_language(client, centre_a, alice, mallory):
    case = make_case(centre_a, alice)
    visit = make_visit(case, alice, staff=[alice, mallory])
    feed = services.calendar_feed_get_or_create(user=mallory)  # language en

    (event,) = events(client.get(feed_url(feed)))

    assert str(event["SUMMARY"]) == f"Home visit {visit.case.case_number}"


def test_the_feed_is_a_private_uncached_calendar(client, seeded, alices_feed):
    response = client.get(feed_url(alices_feed))

    assert response["Content-Type"].startswith("text/calendar")
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


# --- the secret address ----------------------------------------------------------------------


def test_a_wrong_token_is_a_404(client, alices_feed):
    assert (
        client.get(reverse("outreach:calendar_feed_ics", kwargs={"token": "x" * 43})).status_code
        == 404
    )
    assert (
        client.get(reverse("outreach:calendar_feed_ics", kwargs={"token": "y" * 300})).status_code
        == 404
    )


def test_a_user_who_left_gets_a_404(client, alice, alices_feed):
    alice.is_active = False
    alice.save(update_fields=["is_active"])
    assert client.get(feed_url(alices_feed)).status_code == 404


def test_the_feed_shows_only_the_user_s_current_centres(client, centre_a, centre_b, alice, bob):
    case = make_case(centre_a, alice)
    make_visit(case, alice, staff=[alice, bob])
    feed = services.calendar_feed_get_or_create(user=alice)
    assert len(events(client.get(feed_url(feed)))) == 1

    alice.centres.set([centre_b])  # moved to another centre

    assert events(client.get(feed_url(feed))) == []


def test_rotating_the_token_makes_the_old_address_a_404_and_the_new_one_work(
    as_alice, client, alice, seeded, alices_feed
):
    old = feed_url(alices_feed)
    assert client.get(old).status_code == 200

    response = as_alice.post(reverse("outreach:calendar_feed_rotate"))

    assert response.status_code == 302
    assert response["Location"] == reverse("outreach:calendar_feed")
    new = CalendarFeed.objects.get(user=alice)
    assert new.token != alices_feed.token
    assert client.get(old).status_code == 404
    assert len(events(client.get(feed_url(new)))) == 4
    event = AuditEvent.objects.filter(
        model="outreach.calendarfeed", action=AuditAction.CHANGE
    ).get()
    assert event.object_id == new.pk and event.user == alice
    assert event.changed_fields == ["token"]
    assert new.token not in str(event.changed_fields)


def test_rotating_needs_a_post(as_alice, alices_feed):
    assert as_alice.get(reverse("outreach:calendar_feed_rotate")).status_code == 405
    assert CalendarFeed.objects.get(pk=alices_feed.pk).token == alices_feed.token


def test_the_token_never_reaches_a_log_line(client, caplog, seeded, alices_feed, as_alice):
    old = alices_feed.token
    with caplog.at_level(logging.DEBUG):
        client.get(feed_url(alices_feed))
        as_alice.post(reverse("outreach:calendar_feed_rotate"))
        client.get(reverse("outreach:calendar_feed_ics", kwargs={"token": old}))  # now a 404
        client.get(reverse("outreach:calendar_feed_ics", kwargs={"token": "guess" * 8}))
        new = CalendarFeed.objects.get(user=alices_feed.user).token
        client.get(reverse("outreach:calendar_feed_ics", kwargs={"token": new}))

    logged = "\n".join(record.getMessage() for record in caplog.records)
    for secret in (old, new, "guess" * 8):
        assert secret not in logged


# --- the settings page -----------------------------------------------------------------------


@pytest.mark.parametrize("client_name", INSIDERS)
def test_every_role_gets_its_own_address_made_on_the_first_visit(client_name, request):
    client = request.getfixturevalue(client_name)
    user = request.getfixturevalue(client_name.removeprefix("as_"))
    assert not CalendarFeed.objects.filter(user=user).exists()

    response = client.get(reverse("outreach:calendar_feed"))

    assert response.status_code == 200
    feed = CalendarFeed.objects.get(user=user)
    assert settings.SITE_URL + feed_url(feed) in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert AuditEvent.objects.filter(
        model="outreach.calendarfeed", object_id=feed.pk, action=AuditAction.CREATE, user=user
    ).exists()
    # A second visit shows the same address.
    client.get(reverse("outreach:calendar_feed"))
    assert CalendarFeed.objects.get(user=user).token == feed.token


def test_a_user_sees_only_their_own_address(as_alice, as_bob, alice, bob):
    bobs = services.calendar_feed_get_or_create(user=bob)
    html = as_alice.get(reverse("outreach:calendar_feed")).content.decode()

    assert bobs.token not in html
    assert CalendarFeed.objects.get(user=alice).token in html


def test_the_settings_page_and_rotation_need_signing_in(client):
    assert client.get(reverse("outreach:calendar_feed")).status_code == 302
    response = client.post(reverse("outreach:calendar_feed_rotate"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert not CalendarFeed.objects.exists()


# Feed and user, the user's centres, the visits with their cases and centres.
FEED_QUERIES = 3


def test_the_feed_query_count_does_not_grow(
    client, centre_a, alice, bob, alices_feed, django_assert_num_queries
):
    case = make_case(centre_a, alice)
    make_visit(case, alice, staff=[alice, bob])
    with django_assert_num_queries(FEED_QUERIES):
        client.get(feed_url(alices_feed))

    for n in range(1, 20):
        make_visit(make_case(centre_a, alice), alice, staff=[alice, bob], days_ahead=14 + n)
    with django_assert_num_queries(FEED_QUERIES):
        response = client.get(feed_url(alices_feed))

    assert len(events(response)) == 20
