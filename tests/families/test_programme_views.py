"""The family programme screens: who may open them (another centre's programme, session or
member is a 404), creating a programme with its weekly series, enrolling by a POSTed search,
the one-screen attendance register, and query counts that do not grow with the families."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from cases.models import ContactEntry
from families import services
from families.models import (
    AttendanceStatus,
    Enrolment,
    FamilyProgramme,
    ProgrammeAttendance,
    ProgrammeSession,
)
from tests.factories import UserFactory, client_for, make_case, make_programme

pytestmark = pytest.mark.django_db

INSIDERS = ["as_alice", "as_bob", "as_mallory"]


def add_mother(centre, by, *, given="花子", kana="はなこ", case=None):  # type: ignore[no-untyped-def]
    """A mother of a case (a new case unless given), added as the household panel adds her."""
    return services.member_add(
        case=case or make_case(centre, by),
        by=by,
        fields={
            "family_name": "山田",
            "given_name": given,
            "family_name_kana": "やまだ",
            "given_name_kana": kana,
            "contact_consent": True,
        },
        link_fields={"relation": "mother"},
    )


def enrol_mothers(programme, by, n):  # type: ignore[no-untyped-def]
    members = [add_mother(programme.centre, by, given=f"花子{i}") for i in range(n)]
    for member in members:
        services.programme_enrol(programme=programme, member=member, by=by)
    return members


@pytest.fixture
def programme(centre_a, alice):
    """A CRAFT course of centre A: weekly sessions 15, 8 and 1 days ago and one in 6 days."""
    return make_programme(centre_a, alice, days_ago=15, count=4, title="CRAFT講座（春）")


@pytest.fixture
def past_session(programme):
    return programme.sessions.filter(starts_at__lt=timezone.now()).order_by("-starts_at").first()


@pytest.fixture
def mother(programme, alice):
    member = add_mother(programme.centre, alice)
    services.programme_enrol(programme=programme, member=member, by=alice)
    return member


@pytest.fixture
def stranger(centre_b, charlie):
    """A mother in a case of centre B, with the same name as centre A's."""
    return add_mother(centre_b, charlie)


def checked_status(html: str, member_id: int) -> str | None:
    """The value of the radio button checked in a member's row of the register."""
    for tag in re.findall(rf'<input[^>]*name="status-{member_id}"[^>]*>', html):
        if re.search(r"\schecked[\s>]", tag):
            return re.search(r'value="([^"]*)"', tag).group(1)  # type: ignore[union-attr]
    return None


def urls_in(html: str) -> list[str]:
    return re.findall(r'(?:href|action|hx-post|hx-get|hx-push-url)="([^"]*)"', html)


# --- who may open what --------------------------------------------------------------------


@pytest.mark.parametrize("client_name", INSIDERS)
def test_staff_of_the_centre_can_use_every_programme_page(
    request, client_name, programme, past_session, mother, stranger
):
    client = request.getfixturevalue(client_name)
    detail = reverse("families:programme_detail", args=[programme.pk])
    register = reverse("families:attendance_register", args=[past_session.pk])

    assert client.get(reverse("families:programme_list")).status_code == 200
    assert client.get(reverse("families:programme_create")).status_code == 200
    assert client.get(detail).status_code == 200
    assert client.get(reverse("families:session_add", args=[programme.pk])).status_code == 200
    search = reverse("families:programme_member_search", args=[programme.pk])
    assert client.post(search, {"q": "やまだ"}, HTTP_HX_REQUEST="true").status_code == 200
    assert client.post(search, {"q": "やまだ"}).status_code == 200  # without JavaScript
    response = client.get(register)
    assert response.status_code == 200
    data = {f"status-{mother.pk}": "attended", f"note-{mother.pk}": ""}
    assert client.post(register, data).status_code == 302
    assert ProgrammeAttendance.objects.filter(session=past_session, member=mother).exists()
    newcomer = add_mother(programme.centre, programme.created_by, given="良子")
    enrol = reverse("families:programme_enrol", args=[programme.pk])
    assert client.post(enrol, {"member": newcomer.pk}).status_code == 302
    assert Enrolment.objects.filter(programme=programme, member=newcomer).exists()


def test_another_centre_gets_404_on_every_page_of_a_programme(
    as_charlie, programme, past_session, mother, stranger
):
    pages = [
        reverse("families:programme_detail", args=[programme.pk]),
        reverse("families:programme_edit", args=[programme.pk]),
        reverse("families:session_add", args=[programme.pk]),
        reverse("families:attendance_register", args=[past_session.pk]),
    ]
    for url in pages:
        assert as_charlie.get(url).status_code == 404, url
    posts = {
        reverse("families:programme_member_search", args=[programme.pk]): {"q": "やまだ"},
        reverse("families:programme_enrol", args=[programme.pk]): {"member": stranger.pk},
        reverse("families:programme_edit", args=[programme.pk]): edit_data(programme),
        reverse("families:session_add", args=[programme.pk]): {
            "starts_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "minutes": "90",
        },
        reverse("families:attendance_register", args=[past_session.pk]): {
            f"status-{mother.pk}": "absent"
        },
    }
    for url, data in posts.items():
        assert as_charlie.post(url, data, HTTP_HX_REQUEST="true").status_code == 404, url
    assert not Enrolment.objects.filter(member=stranger).exists()
    assert not ProgrammeAttendance.objects.exists()
    assert programme.sessions.count() == 4
    listing = as_charlie.get(reverse("families:programme_list"))
    assert listing.status_code == 200
    assert "CRAFT講座（春）" not in listing.content.decode()


def test_a_member_of_another_centre_posted_to_the_enrol_url_is_a_404(as_alice, programme, stranger):
    url = reverse("families:programme_enrol", args=[programme.pk])

    assert as_alice.post(url, {"member": stranger.pk}).status_code == 404
    assert as_alice.post(url, {"member": "not-a-number"}).status_code == 404
    assert not Enrolment.objects.filter(programme=programme).exists()


# --- the list and creating a programme with its series -------------------------------------


def test_the_list_shows_enrolled_sessions_and_the_next_session(as_alice, programme, mother):
    response = as_alice.get(reverse("families:programme_list"))

    row = response.context["page"][0]
    assert (row.enrolled, row.session_count) == (1, 4)
    assert row.next_session_at == programme.sessions.order_by("-starts_at").first().starts_at
    body = response.content.decode()
    assert "CRAFT講座（春）" in body and reverse("families:programme_create") in body


def create_data(**overrides: str) -> dict[str, str]:
    return {
        "kind": "multi_family",
        "title": "家族教室2026",
        "facilitators": "",
        "starts_on": "令和8年4月1日",
        "ends_on": "2026-06-30",
        "capacity": "20",
        "first_start": "2026-04-02T14:00",
        "minutes": "120",
        "weeks": "8",
        "place": "相談室",
        **overrides,
    }


def test_creating_a_programme_makes_its_weekly_series(as_alice, alice):
    response = as_alice.post(
        reverse("families:programme_create"), create_data(facilitators=str(alice.pk))
    )

    programme = FamilyProgramme.objects.get(title="家族教室2026")
    assert response.status_code == 302
    assert response.url == reverse("families:programme_detail", args=[programme.pk])
    assert programme.starts_on == dt.date(2026, 4, 1)
    assert list(programme.facilitators.all()) == [alice]
    starts = [timezone.localtime(s.starts_at) for s in programme.sessions.order_by("starts_at")]
    assert len(starts) == 8
    assert starts[0].isoformat() == "2026-04-02T14:00:00+09:00"
    assert starts[-1].date() == dt.date(2026, 5, 21)
    assert programme.sessions.filter(place="相談室").count() == 8


def test_staff_of_two_centres_choose_the_centre_and_its_own_facilitators(
    as_alice, alice, centre_a, centre_b
):
    dora = UserFactory(username="dora", role="counsellor", centre=centre_a)
    dora.centres.add(centre_b)
    as_dora = client_for(dora)
    url = reverse("families:programme_create")
    assert 'name="centre"' not in as_alice.get(url).content.decode()  # one centre: no choice
    assert 'name="centre"' in as_dora.get(url).content.decode()

    wrong = create_data(centre=str(centre_b.pk), facilitators=str(alice.pk))
    refused = as_dora.post(url, wrong)
    assert refused.status_code == 200
    assert "担当はこのセンターの職員から選んでください。" in refused.content.decode()
    assert not FamilyProgramme.objects.exists() and not ProgrammeSession.objects.exists()

    created = as_dora.post(url, create_data(centre=str(centre_b.pk), facilitators=str(dora.pk)))
    assert created.status_code == 302
    assert FamilyProgramme.objects.get().centre == centre_b


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"ends_on": "2026-03-31"}, "終了日は開始日以降の日付にしてください。"),
        (  # 20 weeks from Thursday 2 April run past 30 June: 13 of them fit
            {"weeks": "20"},
            "20回目が2026年8月13日になり、期間（〜2026年6月30日）を過ぎます。"
            "この期間に入るのは13回までです。",
        ),
        ({"first_start": "2026-03-26T14:00"}, "回の日程がプログラムの期間"),
        ({"first_start": ""}, "初回の開始日時を入力してください。"),
        ({"starts_on": "令和8年2月30日"}, "令和8年2月30日"),  # no such day: kept as typed
    ],
)
def test_an_invalid_programme_is_shown_again_with_the_input_kept(
    as_alice, alice, overrides, message
):
    data = create_data(facilitators=str(alice.pk), **overrides)

    response = as_alice.post(reverse("families:programme_create"), data)

    body = response.content.decode()
    assert response.status_code == 200
    assert message in body
    assert 'value="家族教室2026"' in body and 'value="相談室"' in body
    assert not FamilyProgramme.objects.exists() and not ProgrammeSession.objects.exists()


def test_too_many_weeks_name_the_last_session_date_and_how_many_fit(as_alice, alice):
    url = reverse("families:programme_create")
    data = create_data(
        facilitators=str(alice.pk),
        starts_on="2026-12-01",
        ends_on="2027-01-27",
        first_start="2026-12-16T14:00",  # a Wednesday; the 7th is 27 January, the 8th 3 February
    )

    refused = as_alice.post(url, {**data, "weeks": "8"})

    assert refused.status_code == 200
    assert refused.context["form"].errors["weeks"] == [
        "8回目が2027年2月3日になり、期間（〜2027年1月27日）を過ぎます。"
        "この期間に入るのは7回までです。"
    ]
    assert not FamilyProgramme.objects.exists()
    assert as_alice.post(url, {**data, "weeks": "7"}).status_code == 302
    assert FamilyProgramme.objects.get().sessions.count() == 7


def test_an_extra_session_is_added_within_the_programme_dates(as_bob, programme):
    url = reverse("families:session_add", args=[programme.pk])
    day = programme.ends_on

    too_late = {"starts_at": f"{day + dt.timedelta(days=1)}T10:00", "minutes": "60"}
    refused = as_bob.post(url, too_late)
    assert refused.status_code == 200 and "回の日程がプログラムの期間" in refused.content.decode()
    response = as_bob.post(url, {"starts_at": f"{day}T10:00", "minutes": "60", "theme": "振り返り"})

    assert response.status_code == 302
    added = programme.sessions.get(theme="振り返り")
    assert timezone.localtime(added.ends_at).strftime("%H:%M") == "11:00"
    assert programme.sessions.count() == 5


# --- enrolling: the search is POSTed, never in a URL ---------------------------------------


def edit_data(programme, **overrides: str) -> dict[str, str]:
    return {
        "kind": programme.kind,
        "title": programme.title,
        "facilitators": [str(user.pk) for user in programme.facilitators.all()],
        "starts_on": programme.starts_on.isoformat(),
        "ends_on": programme.ends_on.isoformat(),
        "capacity": str(programme.capacity or ""),
        "version": str(programme.version),
        **overrides,
    }


def test_a_course_that_runs_longer_is_extended_and_then_takes_a_later_session(as_bob, programme):
    later = programme.ends_on + dt.timedelta(days=14)
    url = reverse("families:programme_edit", args=[programme.pk])
    assert as_bob.get(url).status_code == 200
    response = as_bob.post(url, edit_data(programme, ends_on=later.isoformat(), title="延長"))
    assert response.status_code == 302
    programme.refresh_from_db()
    assert (programme.ends_on, programme.title) == (later, "延長")
    assert AuditEvent.objects.filter(
        model="families.familyprogramme", object_id=programme.pk, action="change"
    ).exists()
    # after the old end (in 15 days), before the new one (in 29)
    extra = timezone.localtime().replace(second=0, microsecond=0) + dt.timedelta(days=25)
    add = reverse("families:session_add", args=[programme.pk])
    data = {"starts_at": extra.strftime("%Y-%m-%dT%H:%M"), "minutes": "90"}
    assert as_bob.post(add, data).status_code == 302
    assert programme.sessions.count() == 5


def test_dates_that_would_leave_sessions_outside_are_refused_with_the_input_kept(
    as_alice, programme
):
    url = reverse("families:programme_edit", args=[programme.pk])
    too_short = (programme.starts_on + dt.timedelta(days=3)).isoformat()
    response = as_alice.post(url, edit_data(programme, ends_on=too_short, title="短縮"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "収まっていません" in body and 'value="短縮"' in body
    programme.refresh_from_db()
    assert programme.title == "CRAFT講座（春）"


def test_the_member_search_finds_hiragana_furigana_by_katakana(
    as_alice, programme, mother, centre_a, alice, stranger
):
    sibling_mother = add_mother(centre_a, alice, given="和子", kana="かずこ")
    url = reverse("families:programme_member_search", args=[programme.pk])

    response = as_alice.post(url, {"q": "ｶｽﾞｺ"}, HTTP_HX_REQUEST="true")  # half-width katakana
    again = as_alice.post(url, {"q": "カズコ"}, HTTP_HX_REQUEST="true")

    assert [m.pk for m in response.context["found"]] == [sibling_mother.pk]
    assert [m.pk for m in again.context["found"]] == [sibling_mother.pk]
    body = response.content.decode()
    assert "<html" not in body  # the fragment only
    assert f'name="member" value="{sibling_mother.pk}"' in body
    # The enrolled mother and centre B's namesake never come up.
    everyone = as_alice.post(url, {"q": "ヤマダ"}, HTTP_HX_REQUEST="true").context["found"]
    assert [m.pk for m in everyone] == [sibling_mother.pk]
    assert not {stranger.pk, mother.pk} & {m.pk for m in everyone}


def test_the_search_text_never_reaches_a_url(as_alice, programme, centre_a, alice):
    add_mother(centre_a, alice, given="和子", kana="かずこ")
    search = reverse("families:programme_member_search", args=[programme.pk])

    detail = as_alice.get(reverse("families:programme_detail", args=[programme.pk]))
    box = re.search(r'<form[^>]*data-testid="member-search"[^>]*>', detail.content.decode())
    assert box is not None
    assert 'method="post"' in box.group(0) and f'hx-post="{search}"' in box.group(0)
    assert "hx-get" not in box.group(0) and "hx-push-url" not in detail.content.decode()
    assert as_alice.get(search, {"q": "カズコ"}).status_code == 405
    for response in (
        as_alice.post(search, {"q": "カズコ"}, HTTP_HX_REQUEST="true"),
        as_alice.post(search, {"q": "カズコ"}),
    ):
        assert response.context["found"]
        assert not [url for url in urls_in(response.content.decode()) if "ズ" in url or "ず" in url]
        assert "カズコ" not in response.get("Location", "")


def test_enrolling_a_found_member_adds_them_to_the_programme(as_alice, programme, centre_a, alice):
    member = add_mother(centre_a, alice, given="和子", kana="かずこ")

    response = as_alice.post(
        reverse("families:programme_enrol", args=[programme.pk]), {"member": member.pk}
    )

    assert response.status_code == 302
    assert Enrolment.objects.filter(programme=programme, member=member).exists()
    detail = as_alice.get(response.url).content.decode()
    assert "和子" in detail
    assert member.links.get().case.case_number in detail  # listed with the relation


# --- the attendance register --------------------------------------------------------------


def test_the_register_shows_every_enrolled_member_present_by_default(
    as_bob, programme, past_session, alice
):
    members = enrol_mothers(programme, alice, 5)

    response = as_bob.get(reverse("families:attendance_register", args=[past_session.pk]))

    html = response.content.decode()
    assert html.count('data-testid="register-row"') == 5
    for member in members:
        assert checked_status(html, member.pk) == "attended"
        assert member.links.get().case.case_number in html
    assert html.count('name="note-') == 5
    assert " disabled" not in html


def test_the_register_rows_show_case_numbers_without_links_that_leave_the_page(
    as_alice, programme, past_session, mother
):
    case = mother.links.get().case

    html = as_alice.get(reverse("families:attendance_register", args=[past_session.pk]))
    body = html.content.decode()
    rows = body[body.index('data-testid="register-row"') : body.index('class="sticky-bottom')]

    assert case.case_number in rows
    assert "<a " not in rows and "href=" not in rows
    # The programme page still links the case.
    detail = as_alice.get(reverse("families:programme_detail", args=[programme.pk]))
    assert reverse("cases:detail", args=[case.pk]) in detail.content.decode()


def test_one_post_saves_twenty_families_with_three_absentees(
    as_alice, programme, past_session, alice
):
    members = enrol_mothers(programme, alice, 20)
    absentees = {members[2].pk: "absent", members[7].pk: "excused", members[15].pk: "absent"}
    data = {}
    for member in members:
        data[f"status-{member.pk}"] = absentees.get(member.pk, "attended")
        data[f"note-{member.pk}"] = "体調不良で欠席" if member.pk in absentees else ""
    url = reverse("families:attendance_register", args=[past_session.pk])

    response = as_alice.post(url, data)

    assert response.status_code == 302 and response.url == url
    saved = ProgrammeAttendance.objects.filter(session=past_session)
    assert saved.count() == 20
    assert saved.filter(status=AttendanceStatus.ATTENDED).count() == 17
    assert dict(saved.exclude(status="attended").values_list("member_id", "status")) == absentees
    assert ContactEntry.objects.filter(source="family_class").count() == 17
    html = as_alice.get(url).content.decode()
    assert "出欠を保存しました。" in html
    assert checked_status(html, members[7].pk) == "excused"
    assert checked_status(html, members[0].pk) == "attended"


def test_a_register_with_an_error_keeps_the_input(as_alice, programme, past_session, alice):
    first, second = enrol_mothers(programme, alice, 2)
    url = reverse("families:attendance_register", args=[past_session.pk])

    response = as_alice.post(
        url,
        {
            f"status-{first.pk}": "absent",
            f"note-{first.pk}": "連絡あり",
            f"status-{second.pk}": "attended",
            f"note-{second.pk}": "長" * 201,  # over the 200 a note holds
        },
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert f"note-{second.pk}" in response.context["form"].errors  # shown on that row
    assert "201" in html  # the message names the length typed
    assert checked_status(html, first.pk) == "absent" and 'value="連絡あり"' in html
    assert not ProgrammeAttendance.objects.exists()


def test_the_register_of_a_future_session_is_shown_disabled(as_alice, programme, alice):
    members = enrol_mothers(programme, alice, 3)
    future = programme.sessions.order_by("-starts_at").first()

    html = as_alice.get(reverse("families:attendance_register", args=[future.pk])).content.decode()

    assert "この回はまだ始まっていません。" in html
    for member in members:
        inputs = re.findall(rf'<input[^>]*name="(?:status|note)-{member.pk}"[^>]*>', html)
        assert len(inputs) == 4  # three marks and the note
        assert all(re.search(r"\sdisabled[\s>]", tag) for tag in inputs), inputs
    save = re.search(r'<button[^>]*type="submit"[^>]*>\s*出欠を保存', html)
    assert save is not None and " disabled" in save.group(0)


def test_a_future_session_is_refused_with_a_message(as_alice, programme, mother):
    future = programme.sessions.order_by("-starts_at").first()
    url = reverse("families:attendance_register", args=[future.pk])

    response = as_alice.post(url, {f"status-{mother.pk}": "attended"})

    assert response.status_code == 200
    assert "まだ始まっていない回の出欠は記録できません。" in response.content.decode()
    assert not ProgrammeAttendance.objects.exists()


def test_session_dates_show_the_weekday(as_alice, alice, centre_a):
    saturday = dt.datetime(2026, 11, 28, 14, 0, tzinfo=timezone.get_current_timezone())
    programme = services.programme_create(
        centre=centre_a,
        by=alice,
        fields={
            "kind": "craft",
            "title": "土曜の家族教室",
            "starts_on": saturday.date(),
            "ends_on": saturday.date() + dt.timedelta(days=7),
        },
        facilitators=[alice],
        sessions=services.weekly_sessions(first_start=saturday, minutes=90, count=2),
    )
    session = programme.sessions.order_by("starts_at").first()

    detail = as_alice.get(reverse("families:programme_detail", args=[programme.pk]))
    register = as_alice.get(reverse("families:attendance_register", args=[session.pk]))

    assert "2026年11月28日（土）14:00〜15:30" in detail.content.decode()
    assert "2026年12月5日（土）14:00〜15:30" in detail.content.decode()
    assert "2026年11月28日（土）14:00〜15:30" in register.content.decode()


# --- query counts: the same with one family as with fifty ----------------------------------


# Session, user, the user's centres (ids and the menu's names), the session with its programme
# and centre, the saved attendance, the enrolled members, their household links (each with
# its case and centre joined), then the page header (the inbox badge).
REGISTER_QUERIES = 8

# Session, user, the user's centres (ids and the menu's names), the programme with its centre,
# its facilitators, its sessions (attendance counted in the same query), the enrolled members,
# their household links (case and centre joined), then the page header (the inbox badge).
DETAIL_QUERIES = 9


def everyone_attended(session, by) -> None:  # type: ignore[no-untyped-def]
    marks = {
        e.member_id: (AttendanceStatus.ATTENDED, "")
        for e in Enrolment.objects.filter(programme_id=session.programme_id)
    }
    services.attendance_save(session=session, by=by, marks=marks)


def test_register_and_detail_query_counts_do_not_grow_with_families(
    as_alice, alice, programme, past_session, mother, django_assert_num_queries
):
    register = reverse("families:attendance_register", args=[past_session.pk])
    detail = reverse("families:programme_detail", args=[programme.pk])
    everyone_attended(past_session, alice)
    with django_assert_num_queries(REGISTER_QUERIES):
        as_alice.get(register)
    with django_assert_num_queries(DETAIL_QUERIES):
        as_alice.get(detail)

    others = enrol_mothers(programme, alice, 49)
    # One of them is the mother of two siblings: two links, still one query for all links.
    services.member_link(
        member=others[0],
        case=make_case(programme.centre, alice),
        by=alice,
        fields={"relation": "mother"},
    )
    everyone_attended(past_session, alice)
    with django_assert_num_queries(REGISTER_QUERIES):
        on_register = as_alice.get(register)
    with django_assert_num_queries(DETAIL_QUERIES):
        on_detail = as_alice.get(detail)

    assert len(on_register.context["form"].members) == 50
    assert len(on_detail.context["members"]) == 50
    assert on_detail.context["sessions"][-2].attended == 50


# Session, user, the user's centres (ids and the menu's names), the paginator's count, the page
# of programmes (the numbers enrolled, the sessions and the next session are subqueries in the
# select list), their facilitators, then the page header (the inbox badge).
LIST_QUERIES = 7


def test_the_programme_list_query_count_does_not_grow(
    as_alice, alice, centre_a, programme, mother, django_assert_num_queries
):
    url = reverse("families:programme_list")
    with django_assert_num_queries(LIST_QUERIES):
        as_alice.get(url)
    for n in range(29):
        services.programme_create(
            centre=centre_a,
            by=alice,
            fields={
                "kind": "study",
                "title": f"学習会{n}",
                "starts_on": programme.starts_on,
                "ends_on": programme.ends_on,
            },
            facilitators=[alice, UserFactory(centre=centre_a)],
            sessions=services.weekly_sessions(
                first_start=timezone.now() + dt.timedelta(days=1), minutes=60, count=2
            ),
        )
    with django_assert_num_queries(LIST_QUERIES):
        response = as_alice.get(url)
    assert len(response.context["page"]) == 25
    assert response.context["page"].paginator.count == 30


# --- English ----------------------------------------------------------------------------------


def test_the_programme_pages_render_in_english(as_alice, programme, past_session, mother):
    as_alice.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    for url in (
        reverse("families:programme_list"),
        reverse("families:programme_detail", args=[programme.pk]),
        reverse("families:attendance_register", args=[past_session.pk]),
    ):
        response = as_alice.get(url)
        assert response.status_code == 200, url
        assert response.headers["Content-Language"] == "en"
        assert '<html lang="en">' in response.content.decode()
        assert "CRAFT講座（春）" in response.content.decode()
