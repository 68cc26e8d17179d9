"""The community work screens: the list of a month or a fiscal year (Tokyo days, by kind, with
its totals), recording and editing an activity (input kept on every error, a stale save a
409), its page (the discussed cases only for casework roles), adding a discussed case by its
number (another centre's refused with a message) and removing one; who may open what (another
centre's activity is a 404, before any 403); the nav link; query counts that do not grow."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from accounts.models import AuditAction, AuditEvent
from outreach import services
from outreach.models import ActivityKind, CommunityActivity, DiscussedCase
from tests.factories import UserFactory, make_case
from tests.outreach.test_community_services import make_activity, make_meeting

pytestmark = pytest.mark.django_db

TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")
NOW = dt.datetime(2026, 4, 20, 12, 0, tzinfo=TOKYO)
INSIDERS = ["as_alice", "as_bob", "as_mallory"]


@pytest.fixture(autouse=True)
def frozen_now() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def form_data(**overrides: Any) -> dict[str, Any]:
    return {
        "kind": "lecture",
        "title": "ひきこもりを知る講演会",
        "held_on": "令和8年4月18日",
        "starts_at": "14:00",
        "ends_at": "16:00",
        "place": "市民会館",
        "organiser": "centre",
        "organiser_name": "",
        "audience_kind": "residents",
        "audience_count": "45",
        "sharing_basis": "",
        "notes": "アンケート回収",
        **overrides,
    }


def url(name: str, *args: Any) -> str:
    return reverse(f"outreach:community_{name}", args=args)


# --- who may open what ------------------------------------------------------------------------


@pytest.mark.parametrize("client_name", INSIDERS)
def test_every_role_of_the_centre_sees_the_list_and_the_page(request, centre_a, alice, client_name):
    client = request.getfixturevalue(client_name)
    activity = make_activity(centre_a, alice)
    assert client.get(url("list")).status_code == 200
    assert client.get(url("detail", activity.pk)).status_code == 200
    assert client.get(url("new")).status_code == 200
    assert client.get(url("edit", activity.pk)).status_code == 200


def test_another_centres_activity_is_a_404_everywhere(as_charlie, centre_a, alice):
    meeting = make_meeting(centre_a, alice)
    case = make_case(centre_a, alice)
    services.community_case_link(activity=meeting, case=case, by=alice)
    assert as_charlie.get(url("detail", meeting.pk)).status_code == 404
    assert as_charlie.get(url("edit", meeting.pk)).status_code == 404
    assert as_charlie.post(url("edit", meeting.pk), form_data(version="1")).status_code == 404
    assert (
        as_charlie.post(url("case_add", meeting.pk), {"case_number": case.case_number}).status_code
        == 404
    )
    assert as_charlie.post(url("case_remove", meeting.pk, case.pk)).status_code == 404
    assert DiscussedCase.objects.filter(activity=meeting).count() == 1
    # Nor is it in their list.
    response = as_charlie.get(url("list"))
    assert list(response.context["page"]) == []


def test_an_anonymous_visitor_is_sent_to_sign_in(client, centre_a, alice):
    activity = make_activity(centre_a, alice)
    for path in (url("list"), url("detail", activity.pk), url("new")):
        response = client.get(path)
        assert response.status_code == 302 and "login" in response["Location"]


def test_staff_see_how_many_cases_a_meeting_discussed_but_not_which(
    as_bob, as_alice, centre_a, alice
):
    meeting = make_meeting(centre_a, alice)
    case = make_case(centre_a, alice, family_name="高橋")
    services.community_case_link(activity=meeting, case=case, by=alice)
    staff_page = as_bob.get(url("detail", meeting.pk))
    body = staff_page.content.decode()
    assert staff_page.context["discussions"] == []
    assert "1件のケースを検討しました。" in body
    assert case.case_number not in body and "高橋" not in body
    counsellor_page = as_alice.get(url("detail", meeting.pk)).content.decode()
    assert case.case_number in counsellor_page and "高橋" in counsellor_page


def test_staff_may_not_add_or_remove_a_discussed_case(as_bob, centre_a, alice):
    meeting = make_meeting(centre_a, alice)
    case = make_case(centre_a, alice)
    assert (
        as_bob.post(url("case_add", meeting.pk), {"case_number": case.case_number}).status_code
        == 403
    )
    services.community_case_link(activity=meeting, case=case, by=alice)
    assert as_bob.post(url("case_remove", meeting.pk, case.pk)).status_code == 403
    assert DiscussedCase.objects.count() == 1


def test_the_nav_links_to_community_work_for_every_role(as_alice, as_bob, as_mallory):
    for client in (as_alice, as_bob, as_mallory):
        body = client.get(reverse("cases:list")).content.decode()
        assert 'data-testid="nav-community"' in body
        assert url("list") in body


# --- recording and editing --------------------------------------------------------------------


def test_recording_an_activity(as_bob, bob, alice, centre_a):
    data = form_data(staff=[bob.pk, alice.pk])
    response = as_bob.post(url("new"), data)
    activity = CommunityActivity.objects.get()
    assert response.status_code == 302 and response["Location"] == url("detail", activity.pk)
    assert activity.centre == centre_a and activity.created_by == bob
    assert activity.held_on == dt.date(2026, 4, 18)  # read from 和暦
    assert activity.starts_at == dt.datetime(2026, 4, 18, 5, tzinfo=dt.UTC)  # 14:00 JST in UTC
    assert activity.ends_at == dt.datetime(2026, 4, 18, 7, tzinfo=dt.UTC)
    assert set(activity.staff.all()) == {alice, bob}
    assert AuditEvent.objects.filter(
        action=AuditAction.CREATE, model="outreach.communityactivity"
    ).exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"held_on": "2026-02-30"}, "held_on"),
        ({"ends_at": "13:00"}, "ends_at"),
        ({"starts_at": "", "ends_at": "16:00"}, "ends_at"),
        ({"organiser": "outside", "organiser_name": ""}, "organiser_name"),
        ({"audience_count": "-3"}, "audience_count"),
        ({"audience_count": "1000000"}, "audience_count"),
        ({"title": ""}, "title"),
        ({"kind": "party"}, "kind"),
    ],
)
def test_bad_input_is_explained_and_what_was_typed_is_kept(as_bob, bob, overrides, field):
    data = form_data(staff=[bob.pk], **overrides)
    response = as_bob.post(url("new"), data)
    assert response.status_code == 200
    form = response.context["form"]
    assert field in form.errors
    assert form["place"].value() == "市民会館" and form["notes"].value() == "アンケート回収"
    assert not CommunityActivity.objects.exists()


def test_staff_of_another_centre_cannot_be_chosen(as_bob, bob, charlie):
    response = as_bob.post(url("new"), form_data(staff=[bob.pk, charlie.pk]))
    assert response.status_code == 200 and "staff" in response.context["form"].errors
    assert not CommunityActivity.objects.exists()


def test_a_lecture_keeps_no_basis_of_sharing(as_bob, bob):
    as_bob.post(url("new"), form_data(staff=[bob.pk], sharing_basis="poverty_act"))
    assert CommunityActivity.objects.get().sharing_basis == ""


def test_editing_saves_the_change_and_audits_the_fields(as_alice, alice, bob, centre_a):
    activity = make_activity(
        centre_a,
        alice,
        staff=[alice],
        held_on=dt.date(2026, 4, 18),
        starts_at=dt.datetime(2026, 4, 18, 14, tzinfo=TOKYO),
        ends_at=dt.datetime(2026, 4, 18, 16, tzinfo=TOKYO),
        notes="アンケート回収",
        place="市民会館",
        title="ひきこもりを知る講演会",
        audience_count=45,
    )
    page = as_alice.get(url("edit", activity.pk))
    assert page.context["form"]["starts_at"].value().strftime("%H:%M") == "14:00"
    data = form_data(version="1", audience_count="52", ends_at="16:30", staff=[alice.pk, bob.pk])
    response = as_alice.post(url("edit", activity.pk), data)
    assert response.status_code == 302
    activity.refresh_from_db()
    assert activity.audience_count == 52 and activity.version == 2
    assert activity.ends_at == dt.datetime(2026, 4, 18, 16, 30, tzinfo=TOKYO)
    event = AuditEvent.objects.get(action=AuditAction.CHANGE)
    assert event.changed_fields == ["audience_count", "ends_at", "staff"]


def test_a_stale_edit_is_a_409_with_the_input_kept(as_alice, alice, centre_a):
    activity = make_activity(centre_a, alice)
    services.community_activity_update(
        activity=activity, by=alice, changes={"place": "公民館"}, expected_version=1
    )
    data = form_data(version="1", place="区民センター", staff=[alice.pk])
    response = as_alice.post(url("edit", activity.pk), data)
    assert response.status_code == 409
    form = response.context["form"]
    assert form["place"].value() == "区民センター"
    assert "他の人が更新しました" in " ".join(form.non_field_errors())
    activity.refresh_from_db()
    assert activity.place == "公民館"
    # Saved again, knowingly: the form now carries the version saved since.
    assert form["version"].value() == "2"


def test_an_edit_that_strips_a_linked_case_of_its_basis_is_shown_on_the_field(
    as_alice, alice, centre_a
):
    meeting = make_meeting(centre_a, alice)
    services.community_case_link(activity=meeting, case=make_case(centre_a, alice), by=alice)
    data = form_data(version="1", kind="support_meeting", sharing_basis="", staff=[alice.pk])
    response = as_alice.post(url("edit", meeting.pk), data)
    assert response.status_code == 200
    assert "sharing_basis" in response.context["form"].errors
    meeting.refresh_from_db()
    assert meeting.version == 1


# --- discussed cases ----------------------------------------------------------------------------


def test_adding_a_case_by_its_number_as_people_type_it(as_alice, alice, centre_a):
    meeting = make_meeting(centre_a, alice)
    case = make_case(centre_a, alice)
    typed = "ｋ－" + f"{case.number:04d}".translate(
        str.maketrans("0123456789", "０１２３４５６７８９")
    )
    response = as_alice.post(url("case_add", meeting.pk), {"case_number": typed})
    assert response.status_code == 302
    assert list(meeting.discussions.values_list("case", flat=True)) == [case.pk]
    event = AuditEvent.objects.get(model="outreach.discussedcase")
    assert event.case_id == case.pk and event.action == AuditAction.CREATE


def test_another_centres_case_number_is_refused_with_a_message(
    as_alice, alice, charlie, centre_a, centre_b
):
    meeting = make_meeting(centre_a, alice)
    other = make_case(centre_b, charlie)  # S-0001
    response = as_alice.post(url("case_add", meeting.pk), {"case_number": other.case_number})
    assert response.status_code == 400
    errors = response.context["case_form"].errors["case_number"]
    assert "他のセンターのケースは結びつけられません" in errors[0]
    assert response.context["case_form"]["case_number"].value() == other.case_number
    assert not DiscussedCase.objects.exists()


def test_a_number_without_a_case_is_refused(as_alice, alice, centre_a, centre_b, charlie):
    meeting = make_meeting(centre_a, alice)
    make_case(centre_b, charlie)  # S-0001 exists, but not at centre A
    response = as_alice.post(url("case_add", meeting.pk), {"case_number": "1"})
    assert response.status_code == 400
    assert "K-0001 のケースがありません" in response.context["case_form"].errors["case_number"][0]
    response = as_alice.post(url("case_add", meeting.pk), {"case_number": "けーいち"})
    assert "K-0123 の形式" in response.context["case_form"].errors["case_number"][0]
    assert not DiscussedCase.objects.exists()


def test_a_lecture_refuses_a_case_on_the_form(as_alice, alice, centre_a):
    lecture = make_activity(centre_a, alice)
    case = make_case(centre_a, alice)
    response = as_alice.post(url("case_add", lecture.pk), {"case_number": case.case_number})
    assert response.status_code == 400
    assert "会議だけ" in response.context["case_form"].errors["case_number"][0]


def test_removing_a_discussed_case(as_alice, alice, centre_a):
    meeting = make_meeting(centre_a, alice)
    case = make_case(centre_a, alice)
    services.community_case_link(activity=meeting, case=case, by=alice)
    response = as_alice.post(url("case_remove", meeting.pk, case.pk))
    assert response.status_code == 302
    assert not DiscussedCase.objects.exists()
    assert AuditEvent.objects.filter(action=AuditAction.DELETE, case_id=case.pk).exists()
    # Not on the meeting (any more): nothing to remove.
    assert as_alice.post(url("case_remove", meeting.pk, case.pk)).status_code == 404
    assert as_alice.get(url("case_remove", meeting.pk, case.pk)).status_code == 405


# --- the list -----------------------------------------------------------------------------------


def test_the_list_of_a_month_counts_tokyo_days(as_alice, alice, centre_a):
    march = make_activity(centre_a, alice, held_on=dt.date(2026, 3, 31), title="3月の講演")
    april = make_activity(
        centre_a,
        alice,
        held_on=dt.date(2026, 4, 1),
        title="4月の研修",
        kind=ActivityKind.TRAINING,
        audience_kind="teachers",
        audience_count=20,
        starts_at=dt.datetime(2026, 4, 1, 0, 0, tzinfo=TOKYO),  # 31 March 15:00 UTC
    )
    response = as_alice.get(url("list"))  # this month: April 2026
    assert [a.pk for a in response.context["page"]] == [april.pk]
    totals = {row.kind: (row.events, row.audience) for row in response.context["totals"]}
    assert totals["training"] == (1, 20) and totals[""] == (1, 20)
    march_page = as_alice.get(url("list"), {"period": "month", "month": "2026-03"})
    assert [a.pk for a in march_page.context["page"]] == [march.pk]
    year = as_alice.get(url("list"), {"period": "fiscal_year", "fiscal_year": "2025"})
    assert [a.pk for a in year.context["page"]] == [march.pk]  # FY2025 ends on 31 March


def test_the_list_filters_by_kind_and_keeps_every_kind_in_the_totals(as_alice, alice, centre_a):
    make_activity(centre_a, alice, audience_count=40)
    meeting = make_meeting(centre_a, alice)
    response = as_alice.get(url("list"), {"kind": "support_meeting"})
    assert [a.pk for a in response.context["page"]] == [meeting.pk]
    totals = {row.kind: (row.events, row.audience) for row in response.context["totals"]}
    assert totals["lecture"] == (1, 40) and totals["support_meeting"] == (1, 6)
    assert totals[""] == (2, 46)
    assert "kind=support_meeting" in response.context["query"]


@pytest.mark.parametrize(
    "query",
    [
        {"period": "month", "month": "2026-13"},
        {"period": "month", "month": "2062-04"},
        {"period": "fiscal_year", "fiscal_year": "令和"},
        {"period": "week"},
        {"kind": "party"},
    ],
)
def test_a_bad_period_is_explained_not_a_500(as_alice, query):
    response = as_alice.get(url("list"), query)
    assert response.status_code == 400
    assert response.context["form"].errors


# --- query counts -----------------------------------------------------------------------------

# Signing in (session, user), the user's centres, the page header's one statement (inbox
# badge, banners), and then the page's own:
# list: the count, the page of activities (their discussed cases counted in it), their staff
# (one prefetch), the totals by kind (one aggregate);
LIST_QUERIES = 8
# an activity's page: the activity, its staff, its discussed cases (their case joined);
DETAIL_QUERIES = 7
# the edit form: the activity, its staff, the colleagues to choose from (the new form: the
# user's centres as choices instead of the activity and its staff).
FORM_QUERIES = 7


def _many(centre, alice, n):  # type: ignore[no-untyped-def]
    staff = UserFactory.create_batch(3, centre=centre)
    for day in range(n):
        activity = make_meeting(
            centre, alice, held_on=dt.date(2026, 4, 1 + day % 19), title=f"会議{day}"
        )
        activity.staff.add(*staff)
        services.community_case_link(activity=activity, case=make_case(centre, alice), by=alice)


def test_the_list_query_count_does_not_grow(as_alice, alice, centre_a, django_assert_num_queries):
    _many(centre_a, alice, 1)
    with django_assert_num_queries(LIST_QUERIES):
        as_alice.get(url("list"))
    _many(centre_a, alice, 20)
    with django_assert_num_queries(LIST_QUERIES):
        response = as_alice.get(url("list"))
    assert len(response.context["page"]) == 21


def test_the_page_query_count_does_not_grow(as_alice, alice, centre_a, django_assert_num_queries):
    meeting = make_meeting(centre_a, alice)
    services.community_case_link(activity=meeting, case=make_case(centre_a, alice), by=alice)
    with django_assert_num_queries(DETAIL_QUERIES):
        as_alice.get(url("detail", meeting.pk))
    meeting.staff.add(*UserFactory.create_batch(20, centre=centre_a))
    for _ in range(20):
        services.community_case_link(activity=meeting, case=make_case(centre_a, alice), by=alice)
    with django_assert_num_queries(DETAIL_QUERIES):
        response = as_alice.get(url("detail", meeting.pk))
    assert len(response.context["discussions"]) == 21


def test_the_form_query_count_does_not_grow(as_alice, alice, centre_a, django_assert_num_queries):
    activity = make_activity(centre_a, alice)
    with django_assert_num_queries(FORM_QUERIES):
        as_alice.get(url("edit", activity.pk))
    with django_assert_num_queries(FORM_QUERIES - 1):  # nothing to fetch: no activity, no staff
        as_alice.get(url("new"))
    staff = UserFactory.create_batch(20, centre=centre_a)
    activity.staff.add(*staff)
    with django_assert_num_queries(FORM_QUERIES):
        as_alice.get(url("edit", activity.pk))
    with django_assert_num_queries(FORM_QUERIES - 1):
        as_alice.get(url("new"))
