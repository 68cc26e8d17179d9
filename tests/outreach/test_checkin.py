"""The tablet at the ibasho's door: today's session opens by itself, a person is found by a
few characters of their name, furigana or case number (POSTed, never in a URL), and checking
in, out and undoing survive a double tap. Every test runs at noon, Tokyo time, today."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Centre, User
from cases import services as case_services
from cases.choices import CaseStatus, ClosureReason, ContactSource
from cases.models import Case, ContactEntry
from outreach import services
from outreach.models import IbashoAttendance, IbashoSession, WalkIn
from tests.factories import make_case

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def noon() -> Any:
    """Noon today in Tokyo: a session from 11:00 to 14:00 is running, one at 15:00 is later
    today, and none of them crosses midnight whenever the suite runs."""
    moment = timezone.localtime().replace(hour=12, minute=0, second=0, microsecond=0)
    with time_machine.travel(moment, tick=False):
        yield moment


def at(hour: int, minute: int = 0, *, days: int = 0) -> dt.datetime:
    today = timezone.localdate() + dt.timedelta(days=days)
    return timezone.make_aware(dt.datetime.combine(today, dt.time(hour, minute)))


def make_session(
    centre: Centre, by: User, *, start: int = 11, end: int = 14, days: int = 0, **fields: Any
) -> IbashoSession:
    values = {
        "place": "ひだまりルーム",
        "starts_at": at(start, days=days),
        "ends_at": at(end, days=days),
        **fields,
    }
    return services.session_create(centre=centre, by=by, fields=values, staff=[])


@pytest.fixture
def session(centre_a: Centre, alice: User) -> IbashoSession:
    return make_session(centre_a, alice, capacity=10)


@pytest.fixture
def person(centre_a: Centre, alice: User) -> Case:
    """Stored with katakana furigana: staff type hiragana at the door."""
    return make_case(
        centre_a,
        alice,
        family_name="森",
        given_name="陽太",
        family_name_kana="モリ",
        given_name_kana="ヨウタ",
        primary_counsellor=alice,
    )


def page_url(session: IbashoSession) -> str:
    return reverse("outreach:checkin_session", args=[session.pk])


def action_urls(session: IbashoSession, attendance: IbashoAttendance) -> dict[str, str]:
    return {
        "search": reverse("outreach:checkin_search", args=[session.pk]),
        "case": reverse("outreach:checkin_case", args=[session.pk]),
        "walk_in": reverse("outreach:checkin_walk_in", args=[session.pk]),
        "out": reverse("outreach:checkin_out", args=[session.pk, attendance.pk]),
        "undo": reverse("outreach:checkin_undo", args=[session.pk, attendance.pk]),
    }


def search(client: Client, session: IbashoSession, text: str) -> Any:
    url = reverse("outreach:checkin_search", args=[session.pk])
    return client.post(url, {"q": text}, **HX)


def found_cases(response: Any) -> list[Case]:
    return [c.case for c in response.context["found"].candidates if c.case is not None]


def check_in(client: Client, session: IbashoSession, case: Case, **extra: Any) -> Any:
    url = reverse("outreach:checkin_case", args=[session.pk])
    return client.post(url, {"case": case.pk}, **extra)


def ibasho_contacts(case: Case) -> int:
    return ContactEntry.objects.filter(case=case, source=ContactSource.IBASHO).count()


def urls_in(html: str) -> list[str]:
    return re.findall(r'(?:href|action|hx-post|hx-get|src)="([^"]*)"', html)


# --- which session opens -------------------------------------------------------------------


def test_the_page_opens_the_session_running_now(
    as_alice, alice, bob, charlie, centre_a, centre_b, session
):
    make_session(centre_a, alice, start=10, end=11, place="午前の部")  # over by now
    make_session(centre_a, alice, days=1, place="明日の回")
    make_session(centre_b, charlie, place="よそのセンター")

    response = as_alice.get(reverse("outreach:checkin"))

    assert response.status_code == 200
    assert response.context["session"] == session
    assert [s.place for s in response.context["today"]] == ["午前の部", "ひだまりルーム"]
    html = response.content.decode()
    assert "よそのセンター" not in html and "明日の回" not in html
    assert re.search(r'<input[^>]*id="checkin-q"[^>]*autofocus', html)


def test_before_it_starts_the_next_session_today_opens(as_bob, alice, centre_a):
    make_session(centre_a, alice, start=9, end=11, place="午前の部")
    afternoon = make_session(centre_a, alice, start=15, end=17, place="午後の部")
    make_session(centre_a, alice, start=13, end=14, place="中止の回")
    services.session_cancel(
        session=IbashoSession.objects.get(place="中止の回"), by=alice, reason="台風"
    )

    response = as_bob.get(reverse("outreach:checkin"))

    assert response.context["session"] == afternoon


def test_without_a_session_now_or_later_today_the_page_says_so_and_links_to_the_list(
    as_alice, alice, centre_a
):
    over = make_session(centre_a, alice, start=9, end=11, place="午前の部")

    response = as_alice.get(reverse("outreach:checkin"))

    assert response.context["session"] is None
    html = response.content.decode()
    assert 'data-testid="checkin-no-session"' in html
    assert f'href="{reverse("outreach:session_list")}"' in html
    # The session that is over can still be opened (to check out the last visitors).
    assert f'href="{page_url(over)}"' in html
    assert 'id="checkin-q"' not in html


def test_a_session_of_another_day_is_shown_but_nothing_can_be_recorded(
    as_alice, alice, centre_a, person
):
    yesterday = make_session(centre_a, alice, days=-1)

    response = as_alice.get(page_url(yesterday))
    assert 'data-testid="checkin-closed"' in response.content.decode()
    assert 'id="checkin-q"' not in response.content.decode()

    check_in(as_alice, yesterday, person, **HX)
    assert not IbashoAttendance.objects.exists()


# --- the search ----------------------------------------------------------------------------


def test_hiragana_finds_a_person_stored_with_katakana_furigana(as_alice, session, person):
    assert found_cases(search(as_alice, session, "もり")) == [person]
    assert found_cases(search(as_alice, session, "ようた")) == [person]
    assert found_cases(search(as_alice, session, "ﾖｳﾀ")) == [person]  # half-width katakana
    assert found_cases(search(as_alice, session, "森 陽")) == [person]


def test_the_case_number_finds_a_person(as_alice, session, person):
    assert found_cases(search(as_alice, session, person.case_number)) == [person]  # K-0001
    assert found_cases(search(as_alice, session, f"{person.number:02d}")) == [person]
    assert found_cases(search(as_alice, session, f"k{person.number}")) == [person]


def test_one_character_does_not_search(as_alice, session, person):
    response = search(as_alice, session, "も")
    assert response.context["found"].searched is False
    assert found_cases(response) == []


def test_only_open_and_paused_cases_of_the_centre_are_found(
    as_alice, alice, charlie, centre_a, centre_b, session, person
):
    paused = make_case(centre_a, alice, family_name="森", given_name="花", family_name_kana="もり")
    case_services.case_change_status(
        case=paused, by=alice, to_status=CaseStatus.PAUSED, paused_until=at(0, days=30).date()
    )
    closed = make_case(centre_a, alice, family_name="森", given_name="誠", family_name_kana="もり")
    case_services.case_change_status(
        case=closed, by=alice, to_status=CaseStatus.CLOSED, closure_reason=ClosureReason.MOVED
    )
    make_case(centre_b, charlie, family_name="森", given_name="健", family_name_kana="もり")

    assert set(found_cases(search(as_alice, session, "もり"))) == {person, paused}
    check_in(as_alice, session, paused, **HX)  # a pause is in the support, not in the door
    assert IbashoAttendance.objects.filter(session=session, case=paused).exists()


def test_earlier_walk_ins_are_found_by_nickname(as_alice, alice, centre_a, session):
    last_week = make_session(centre_a, alice, days=-7)
    services.check_in_walk_in(
        session=last_week,
        by=alice,
        client_key=uuid.uuid4(),
        nickname="ミカン",
        at=last_week.starts_at,  # on that session's day
    )

    response = search(as_alice, session, "みかん")

    [candidate] = response.context["found"].candidates
    assert candidate.walk_in.nickname == "ミカン"
    assert 'name="walk_in"' in response.content.decode()


def test_at_most_twelve_results_are_shown(as_alice, alice, centre_a, session):
    for _ in range(13):
        make_case(centre_a, alice)  # 山田 太郎

    response = search(as_alice, session, "やまだ")

    assert len(response.context["found"].candidates) == 12
    assert response.context["found"].more is True


def test_the_search_text_never_reaches_a_url(as_alice, session, person):
    url = reverse("outreach:checkin_search", args=[session.pk])
    html = as_alice.get(page_url(session)).content.decode()
    box = re.search(r'<form[^>]*data-testid="checkin-search"[^>]*>', html)
    assert box is not None
    assert 'method="post"' in box.group(0) and f'hx-post="{url}"' in box.group(0)
    # The only GET the page makes is the room's poll, which sends no parameters at all.
    room = reverse("outreach:checkin_room", args=[session.pk])
    assert re.findall(r'hx-get="([^"]*)"', html) == [room] and 'hx-params="none"' in html
    assert "hx-push-url" not in html
    assert as_alice.get(url, {"q": "もり"}).status_code == 405

    for response in (as_alice.post(url, {"q": "もり"}, **HX), as_alice.post(url, {"q": "もり"})):
        assert found_cases(response) == [person]
        assert not [u for u in urls_in(response.content.decode()) if "もり" in u or "森" in u]
        assert "Location" not in response


# --- checking in, out and undoing ----------------------------------------------------------


def test_a_double_tap_checks_a_person_in_once_with_one_contact(as_bob, session, person):
    first = check_in(as_bob, session, person, **HX)
    second = check_in(as_bob, session, person, **HX)

    assert IbashoAttendance.objects.filter(session=session, case=person).count() == 1
    assert ibasho_contacts(person) == 1
    for response in (first, second):
        html = response.content.decode()
        # The refreshed room, with an empty search box ready for the next person.
        assert response.templates[0].name == "outreach/_checkin_work.html"
        assert "森 陽太" in html and 'data-testid="room-present"' in html
        assert re.search(r'<input[^>]*id="checkin-q"[^>]*value=""', html)
        assert response.context["room"].in_room == 1


def test_a_walk_in_posted_twice_with_the_same_key_is_one_attendance(as_bob, session):
    url = reverse("outreach:checkin_walk_in", args=[session.pk])
    key = str(uuid.uuid4())
    data = {"nickname": "そら", "age_band": "20s", "gender": "unanswered", "client_key": key}

    first = as_bob.post(url, data, **HX)
    as_bob.post(url, data, **HX)

    attendance = IbashoAttendance.objects.get(session=session)
    assert attendance.walk_in is not None and attendance.walk_in.nickname == "そら"
    assert attendance.walk_in.age_band == "20s"
    assert WalkIn.objects.count() == 1
    assert not ContactEntry.objects.exists()  # a walk-in touches no case
    # The next visitor gets a fresh key.
    assert first.context["walk_in_form"].initial["client_key"] != uuid.UUID(key)
    assert key not in first.content.decode()


def test_a_walk_in_without_a_nickname_is_refused_with_the_key_kept(as_bob, session):
    url = reverse("outreach:checkin_walk_in", args=[session.pk])
    key = str(uuid.uuid4())

    response = as_bob.post(
        url, {"nickname": " ", "age_band": "unknown", "gender": "unanswered", "client_key": key}
    )

    assert response.status_code == 200
    assert response.context["walk_in_form"].errors["nickname"]
    assert f'value="{key}"' in response.content.decode()
    assert not IbashoAttendance.objects.exists()


def test_an_earlier_walk_in_is_checked_in_from_the_search_once(as_bob, alice, centre_a, session):
    last_week = make_session(centre_a, alice, days=-7)
    earlier = services.check_in_walk_in(
        session=last_week,
        by=alice,
        client_key=uuid.uuid4(),
        nickname="ミカン",
        at=last_week.starts_at,
    ).walk_in
    assert earlier is not None
    url = reverse("outreach:checkin_walk_in", args=[session.pk])
    data = {"walk_in": earlier.pk, "client_key": str(uuid.uuid4())}

    as_bob.post(url, data, **HX)
    as_bob.post(url, data, **HX)

    attendance = IbashoAttendance.objects.get(session=session)
    assert attendance.walk_in == earlier and attendance.first_visit is False
    assert WalkIn.objects.count() == 1


def test_checking_out_twice_sets_the_time_once(as_alice, alice, session, person, noon):
    attendance = services.check_in_case(session=session, case=person, by=alice)
    url = reverse("outreach:checkin_out", args=[session.pk, attendance.pk])

    with time_machine.travel(noon + dt.timedelta(hours=1), tick=False):
        response = as_alice.post(url, **HX)
    with time_machine.travel(noon + dt.timedelta(hours=1, minutes=5), tick=False):
        as_alice.post(url, **HX)

    attendance.refresh_from_db()
    assert attendance.left_at == noon + dt.timedelta(hours=1)
    assert attendance.contact is not None and attendance.contact.duration_minutes == 60
    room = response.context["room"]
    assert room.in_room == 0 and room.came == 1
    assert 'data-testid="room-gone"' in response.content.decode()


def test_undo_removes_the_attendance_and_its_contact(as_alice, alice, session, person):
    attendance = services.check_in_case(session=session, case=person, by=alice)
    assert ibasho_contacts(person) == 1
    url = reverse("outreach:checkin_undo", args=[session.pk, attendance.pk])

    response = as_alice.post(url, **HX)
    again = as_alice.post(url, **HX)  # the second tap finds nothing left to undo

    assert not IbashoAttendance.objects.exists()
    assert ibasho_contacts(person) == 0
    assert response.status_code == again.status_code == 200
    assert response.context["room"].came == 0


def test_a_cancelled_session_says_so_and_allows_nothing(as_alice, alice, centre_a, person):
    cancelled = make_session(centre_a, alice)
    services.session_cancel(session=cancelled, by=alice, reason="台風のため")

    html = as_alice.get(page_url(cancelled)).content.decode()
    assert 'data-testid="checkin-cancelled"' in html and "台風のため" in html
    assert 'id="checkin-q"' not in html and 'data-testid="walk-in-form"' not in html

    refused = check_in(as_alice, cancelled, person, **HX)
    assert "中止" in refused.context["notice"]
    walk_in = {"nickname": "そら", "age_band": "unknown", "gender": "unanswered"}
    url = reverse("outreach:checkin_walk_in", args=[cancelled.pk])
    as_alice.post(url, {**walk_in, "client_key": str(uuid.uuid4())}, **HX)
    assert found_cases(search(as_alice, cancelled, "もり")) == []
    assert not IbashoAttendance.objects.exists() and not WalkIn.objects.exists()
    assert ibasho_contacts(person) == 0


def test_a_closed_case_posted_directly_is_not_checked_in(as_alice, alice, session, person):
    case_services.case_change_status(
        case=person, by=alice, to_status=CaseStatus.CLOSED, closure_reason=ClosureReason.MOVED
    )

    response = check_in(as_alice, session, person, **HX)

    assert response.context["failed"] is True
    assert not IbashoAttendance.objects.exists()


def test_over_capacity_is_a_notice_never_a_refusal(as_alice, alice, centre_a, person):
    small = make_session(centre_a, alice, capacity=1)
    other = make_case(centre_a, alice)
    check_in(as_alice, small, person, **HX)

    response = check_in(as_alice, small, other, **HX)

    assert IbashoAttendance.objects.filter(session=small).count() == 2
    assert "定員を超えています" in response.content.decode()


def test_without_javascript_the_forms_post_and_redirect_without_a_name(as_alice, session, person):
    response = check_in(as_alice, session, person)

    assert response.status_code == 302 and response["Location"] == page_url(session)
    # The message crosses the redirect in a cookie: it names nobody.
    assert "森" not in str(response.cookies) and "陽太" not in str(response.cookies)
    page = as_alice.get(response["Location"])
    assert "受付しました。" in page.content.decode()
    assert IbashoAttendance.objects.filter(session=session, case=person).exists()

    attendance = IbashoAttendance.objects.get()
    out = as_alice.post(reverse("outreach:checkin_out", args=[session.pk, attendance.pk]))
    assert out.status_code == 302
    attendance.refresh_from_db()
    assert attendance.left_at is not None


def test_the_page_shows_no_case_notes_or_sensitive_data(alice, as_alice, session, person):
    from tests.factories import record_contact

    record_contact(person, alice, note="服薬の相談があった")
    case_services.case_sensitive_update(
        case=person, by=alice, changes={"conditions": "社交不安症"}, expected_version=1
    )
    services.check_in_case(session=session, case=person, by=alice)

    html = as_alice.get(page_url(session)).content.decode()

    assert "森 陽太" in html
    assert "服薬の相談があった" not in html and "社交不安症" not in html
    assert reverse("cases:detail", args=[person.pk]) not in html


# --- who may use it ------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["as_alice", "as_bob", "as_mallory"])
def test_every_role_of_the_centre_checks_people_in_and_out(who, request, session, person):
    client = request.getfixturevalue(who)
    assert client.get(page_url(session)).status_code == 200
    assert found_cases(search(client, session, "もり")) == [person]

    check_in(client, session, person, **HX)
    attendance = IbashoAttendance.objects.get(session=session, case=person)
    client.post(reverse("outreach:checkin_out", args=[session.pk, attendance.pk]), **HX)

    attendance.refresh_from_db()
    assert attendance.left_at is not None


def test_another_centre_gets_404_for_every_page_and_action_and_nothing_changes(
    as_charlie, alice, centre_a, session, person
):
    last_week = make_session(centre_a, alice, days=-7)
    earlier = services.check_in_walk_in(
        session=last_week,
        by=alice,
        client_key=uuid.uuid4(),
        nickname="ミカン",
        at=last_week.starts_at,
    ).walk_in
    assert earlier is not None
    attendance = services.check_in_case(session=session, case=person, by=alice)
    urls = action_urls(session, attendance)
    posts = {
        urls["search"]: {"q": "もり"},
        urls["case"]: {"case": person.pk},
        urls["walk_in"]: {
            "nickname": "そら",
            "age_band": "unknown",
            "gender": "unanswered",
            "client_key": str(uuid.uuid4()),
        },
        f"{urls['walk_in']}#earlier": {"walk_in": earlier.pk, "client_key": str(uuid.uuid4())},
        urls["out"]: {},
        urls["undo"]: {},
    }

    assert as_charlie.get(page_url(session)).status_code == 404
    for url, data in posts.items():
        url = url.split("#")[0]
        assert as_charlie.post(url, data, **HX).status_code == 404, url
        assert as_charlie.post(url, data).status_code == 404, url
    # The default page shows centre B's day: centre A's session is not there.
    response = as_charlie.get(reverse("outreach:checkin"))
    assert response.context["session"] is None and response.context["today"] == []

    attendance.refresh_from_db()
    assert attendance.left_at is None
    assert IbashoAttendance.objects.count() == 2 and WalkIn.objects.count() == 1
    assert ibasho_contacts(person) == 1


def test_a_case_of_another_centre_posted_to_a_session_is_a_404(
    as_alice, charlie, centre_b, session
):
    stranger = make_case(centre_b, charlie)

    assert check_in(as_alice, session, stranger, **HX).status_code == 404
    assert not IbashoAttendance.objects.exists()


def test_a_walk_in_of_another_centre_posted_to_a_session_is_a_404(
    as_alice, charlie, centre_b, session
):
    last_week = make_session(centre_b, charlie, days=-7)
    theirs = services.check_in_walk_in(
        session=last_week,
        by=charlie,
        client_key=uuid.uuid4(),
        nickname="ミカン",
        at=last_week.starts_at,
    ).walk_in
    assert theirs is not None
    url = reverse("outreach:checkin_walk_in", args=[session.pk])

    response = as_alice.post(url, {"walk_in": theirs.pk, "client_key": str(uuid.uuid4())}, **HX)

    assert response.status_code == 404
    assert not IbashoAttendance.objects.filter(session=session).exists()


# --- the page does not grow ----------------------------------------------------------------

# Session, user, the user's centres (ids and the menu's names), the session (its centre
# joined), today's sessions (for the switcher), everyone who came (cases with their centre and
# walk-ins joined: one query for any number), then the page header (the inbox badge).
CHECKIN_PAGE_QUERIES = 7
# The default page chooses from today's sessions, the switcher's list: no session by id.
CHECKIN_DEFAULT_PAGE_QUERIES = 6


def test_the_check_in_page_query_count_does_not_grow_with_attendees(
    as_alice, alice, centre_a, session, person, django_assert_num_queries
):
    services.check_in_case(session=session, case=person, by=alice)
    with django_assert_num_queries(CHECKIN_PAGE_QUERIES):
        as_alice.get(page_url(session))
    with django_assert_num_queries(CHECKIN_DEFAULT_PAGE_QUERIES):
        as_alice.get(reverse("outreach:checkin"))

    for _ in range(29):
        services.check_in_case(session=session, case=make_case(centre_a, alice), by=alice)
    for n in range(10):
        services.check_in_walk_in(
            session=session, by=alice, client_key=uuid.uuid4(), nickname=f"ゲスト{n}"
        )
    some = IbashoAttendance.objects.filter(session=session).order_by("id")[:5]
    for attendance in some:
        services.check_out(attendance=attendance, by=alice)

    with django_assert_num_queries(CHECKIN_PAGE_QUERIES):
        response = as_alice.get(page_url(session))
    with django_assert_num_queries(CHECKIN_DEFAULT_PAGE_QUERIES):
        as_alice.get(reverse("outreach:checkin"))

    room = response.context["room"]
    assert (room.came, room.in_room, room.walk_ins) == (40, 35, 10)
    assert response.content.decode().count('data-testid="check-out"') == 35


# --- two tablets at the door -----------------------------------------------------------------

# Session, user, the user's centres (ids and names), the session (its centre joined) and
# everyone who came. The fragment is rendered with the request (its forms' CSRF tokens) but
# shows no page header, so the header's statement never runs (it did: 7 queries).
CHECKIN_ROOM_QUERIES = 5


def test_the_page_polls_the_room_so_another_tablet_s_check_ins_show_up(
    as_alice, as_bob, alice, centre_a, session, person, django_assert_num_queries
):
    page = as_alice.get(page_url(session)).content.decode()
    room_url = reverse("outreach:checkin_room", args=[session.pk])
    assert f'hx-get="{room_url}"' in page and 'hx-trigger="every 20s"' in page
    services.check_in_case(session=session, case=person, by=alice)  # at the other tablet
    with django_assert_num_queries(CHECKIN_ROOM_QUERIES):
        fragment = as_bob.get(room_url, **HX).content.decode()
    assert "森 陽太" in fragment and 'hx-swap-oob="true"' in fragment
    for _ in range(20):
        services.check_in_case(session=session, case=make_case(centre_a, alice), by=alice)
    with django_assert_num_queries(CHECKIN_ROOM_QUERIES):
        fragment = as_bob.get(room_url, **HX).content.decode()
    assert fragment.count('data-testid="check-out"') == 21


def test_another_centre_cannot_poll_the_room(as_charlie, alice, session, person):
    services.check_in_case(session=session, case=person, by=alice)
    response = as_charlie.get(reverse("outreach:checkin_room", args=[session.pk]), **HX)
    assert response.status_code == 404
