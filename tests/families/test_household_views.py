"""The household screens: the panel on the case page (added to and edited inline with htmx),
a member's page, linking a sibling's mother, the contingency plan, the managers' 80/50 list,
who may open each of them, the audit of a view of health notes, query counts, and the caller
recorded as a family member at intake."""

import datetime as dt
import re
from urllib.parse import quote

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditAction, AuditEvent
from cases.models import Case, ContactEntry
from families import services
from families.models import ContingencyPlan, FamilyMember, HouseholdLink, MemberContact
from tests.factories import client_for, intake_data, make_case, make_member

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def born_years_ago(years: int) -> int:
    return timezone.localdate().year - years


def add_form_data(**changes):
    """What the panel's add form posts (its fields carry the `member-` prefix)."""
    values = {
        "relation": "mother",
        "lives_with_person": "on",
        "person_aware": "unknown",
        "family_name": "佐藤",
        "given_name": "とし子",
        "family_name_kana": "さとう",
        "given_name_kana": "としこ",
        "birth_date": "",
        "birth_year": "",
        "phone": "",
        "contact_consent": "on",
        "contact_consent_on": "",
        "status": "active",
        "status_since": "",
        **changes,
    }
    return {f"member-{name}": value for name, value in values.items()}


def edit_form_data(member, link, **changes):
    """What the inline edit form posts: the member as loaded, with `changes` typed over it."""
    values = {
        "relation": link.relation,
        "lives_with_person": link.lives_with_person,
        "person_aware": link.person_aware,
        "is_primary_contact": link.is_primary_contact,
        "family_name": member.family_name,
        "given_name": member.given_name,
        "family_name_kana": member.family_name_kana,
        "given_name_kana": member.given_name_kana,
        "birth_date": member.birth_date.isoformat() if member.birth_date else "",
        "birth_year": member.birth_year or "",
        "phone": "",
        "contact_consent": member.contact_consent,
        "contact_consent_on": (
            member.contact_consent_on.isoformat() if member.contact_consent_on else ""
        ),
        "status": member.status,
        "status_since": "",
        "health_notes": member.health_notes,
        "version": member.version,
        **changes,
    }
    data = {}
    for name, value in values.items():
        if value is True:
            data[f"edit-{member.pk}-{name}"] = "on"
        elif value is not False:  # an unticked box is not posted at all
            data[f"edit-{member.pk}-{name}"] = str(value)
    return data


def panel_of(body: str) -> str:
    match = re.search(r'<section id="household-panel".*?</section>', body, re.DOTALL)
    assert match, "no household panel in the page"
    return match.group(0)


def row_of(body: str, member) -> str:
    match = re.search(rf'<tr data-testid="member-{member.pk}".*?</tr>', body, re.DOTALL)
    assert match, f"no row for member {member.pk}"
    return match.group(0)


def case_page(client, case) -> str:
    response = client.get(reverse("cases:detail", args=[case.pk]))
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def case(centre_a, alice):
    return make_case(centre_a, alice, primary_counsellor=alice)


@pytest.fixture
def mother(case, alice):
    return make_member(case, alice, birth_year=born_years_ago(75), health_notes="要介護2・糖尿病")


# --- the panel on the case page ---------------------------------------------------------------


def test_case_page_shows_each_member_with_relation_age_living_consent_and_person_aware(
    as_alice, alice, case, mother
):
    brother = make_member(
        case,
        alice,
        relation="sibling",
        lives_with_person=False,
        person_aware="no",
        family_name="山田",
        given_name="次郎",
        given_name_kana="じろう",
        birth_year=born_years_ago(40),
        contact_consent=False,
    )
    panel = panel_of(case_page(as_alice, case))
    mother_row, brother_row = row_of(panel, mother), row_of(panel, brother)
    assert "母" in mother_row and "山田 花子" in mother_row and "やまだ はなこ" in mother_row
    assert "75歳" in mother_row and "同居" in mother_row and "同意あり" in mother_row
    assert "不明" in mother_row  # whether the person knows she consults: not yet known
    assert 'data-testid="no-consent"' not in mother_row
    assert "きょうだい" in brother_row and "山田 次郎" in brother_row and "40歳" in brother_row
    assert "別居" in brother_row and "知らない" in brother_row
    assert 'data-testid="no-consent"' in brother_row and "連絡不可" in brother_row
    assert reverse("families:member_detail", args=[case.pk, mother.pk]) in mother_row


def test_8050_household_shows_its_reason_and_a_missing_contingency_plan_until_one_is_saved(
    as_alice, alice, case
):
    make_member(case, alice, birth_year=born_years_ago(82), lives_with_person=True)
    case.refresh_from_db()
    assert case.risk_8050
    panel = panel_of(case_page(as_alice, case))
    assert "母 82歳・同居" in panel
    assert "緊急時の備え：未記入" in panel and "緊急時の備え：記入済み" not in panel

    response = as_alice.post(
        reverse("families:contingency_edit", args=[case.pk]),
        {"who_to_call": "叔父（090-0000-0000）", "where_to_live": "グループホームを検討"},
    )
    assert response.status_code == 302
    assert ContingencyPlan.objects.get(case=case).updated_by == alice
    panel = panel_of(case_page(as_alice, case))
    assert "緊急時の備え：記入済み" in panel and "緊急時の備え：未記入" not in panel


def test_a_household_that_is_not_8050_shows_no_reason_and_asks_for_no_contingency_plan(
    as_alice, case, mother
):
    panel = panel_of(case_page(as_alice, case))
    assert 'data-testid="reason-8050"' not in panel and "緊急時の備え" not in panel


# --- adding a member inline -------------------------------------------------------------------


def test_adding_a_member_with_htmx_returns_the_panel_with_the_new_member(as_alice, case):
    response = as_alice.post(
        reverse("families:member_add", args=[case.pk]),
        add_form_data(birth_date="昭和20年3月2日"),
        **HTMX,
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<section id="household-panel"') and "<html" not in body
    member = FamilyMember.objects.get(family_name="佐藤")
    assert member.birth_date == dt.date(1945, 3, 2) and member.centre_id == case.centre_id
    assert "佐藤 とし子" in row_of(body, member)
    link = HouseholdLink.objects.get(member=member)
    assert link.case == case and link.relation == "mother" and link.lives_with_person


def test_adding_an_elderly_parent_with_htmx_shows_the_8050_reason_in_the_returned_panel(
    as_alice, case
):
    response = as_alice.post(
        reverse("families:member_add", args=[case.pk]),
        add_form_data(birth_year=str(born_years_ago(82))),
        **HTMX,
    )
    case.refresh_from_db()
    assert case.risk_8050
    panel = panel_of(response.content.decode())
    assert "母 82歳・同居" in panel and "緊急時の備え：未記入" in panel


def test_adding_a_member_without_htmx_redirects_to_the_case_page(as_bob, case):
    response = as_bob.post(reverse("families:member_add", args=[case.pk]), add_form_data())
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:detail", args=[case.pk])
    assert HouseholdLink.objects.filter(case=case, member__family_name="佐藤").exists()


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
@pytest.mark.parametrize(
    ("dates", "message"),
    [
        ({"birth_date": "令和20年1月1日"}, "生年月日が未来の日付になっています。"),
        (
            {"birth_date": "1950-04-01", "birth_year": "1950"},
            "生年月日か生まれ年のどちらか一方を入力してください。",
        ),
    ],
    ids=["future-birth-date", "date-and-year"],
)
def test_an_invalid_member_is_shown_again_with_the_error_and_the_typed_values(
    as_alice, case, htmx, dates, message
):
    response = as_alice.post(
        reverse("families:member_add", args=[case.pk]),
        add_form_data(given_name="登志子", **dates),
        **(HTMX if htmx else {}),
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert message in body
    assert 'value="佐藤"' in body and 'value="登志子"' in body
    assert f'value="{dates["birth_date"]}"' in body
    assert not FamilyMember.objects.exists() and not HouseholdLink.objects.exists()


# --- editing inline ---------------------------------------------------------------------------


def test_edit_with_htmx_opens_the_form_inside_the_panel(as_alice, case, mother):
    response = as_alice.get(reverse("families:member_edit", args=[case.pk, mother.pk]), **HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<section id="household-panel"') and "<html" not in body
    assert f'name="edit-{mother.pk}-version"' in body and 'value="花子"' in body
    assert f'hx-post="{reverse("families:member_edit", args=[case.pk, mother.pk])}"' in body


def test_saving_the_inline_edit_updates_the_member_and_the_link(as_alice, case, mother):
    link = HouseholdLink.objects.get(member=mother)
    response = as_alice.post(
        reverse("families:member_edit", args=[case.pk, mother.pk]),
        edit_form_data(mother, link, given_name="花江", person_aware="yes"),
        **HTMX,
    )
    assert response.status_code == 200
    mother.refresh_from_db()
    link.refresh_from_db()
    assert mother.given_name == "花江" and mother.version == 2
    assert link.person_aware == "yes"
    assert "山田 花江" in row_of(response.content.decode(), mother)


def test_saving_the_edit_without_htmx_redirects_to_the_case_page(as_bob, case, mother):
    link = HouseholdLink.objects.get(member=mother)
    response = as_bob.post(
        reverse("families:member_edit", args=[case.pk, mother.pk]),
        edit_form_data(mother, link, lives_with_person=False),
    )
    assert response.status_code == 302
    link.refresh_from_db()
    assert not link.lives_with_person


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
def test_a_stale_edit_is_refused_with_409_and_keeps_the_input(as_alice, alice, case, mother, htmx):
    link = HouseholdLink.objects.get(member=mother)
    typed = edit_form_data(mother, link, given_name="はなちゃん")  # read at version 1
    services.member_update(
        member=mother, by=alice, changes={"given_name": "花江"}, expected_version=1
    )
    response = as_alice.post(
        reverse("families:member_edit", args=[case.pk, mother.pk]),
        typed,
        **(HTMX if htmx else {}),
    )
    body = response.content.decode()
    assert response.status_code == 409
    assert "他の人が更新しました" in body and 'value="はなちゃん"' in body
    mother.refresh_from_db()
    assert mother.given_name == "花江" and mother.version == 2


# --- linking a sibling's mother -----------------------------------------------------------------


def test_a_siblings_mother_is_found_by_katakana_and_linked_to_the_second_case(
    as_alice, alice, centre_a, case, mother
):
    sibling_case = make_case(centre_a, alice, given_name="次郎", given_name_kana="じろう")
    query = "ヤマダ ハナコ"  # her furigana is stored in hiragana
    response = as_alice.post(
        reverse("families:member_search", args=[sibling_case.pk]), {"q": query}, **HTMX
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert f'data-testid="found-{mother.pk}"' in body and "山田 花子" in body
    urls = re.findall(r'(?:href|action|src|hx-get|hx-post|hx-push-url)="([^"]*)"', body)
    assert urls and all(
        "ハナコ" not in url and quote("ハナコ") not in url and "q=" not in url for url in urls
    )
    assert not any(
        header in response.headers for header in ("Location", "HX-Push-Url", "HX-Replace-Url")
    )

    response = as_alice.post(
        reverse("families:member_link", args=[sibling_case.pk]),
        {
            "member": str(mother.pk),
            "relation": "mother",
            "lives_with_person": "on",
            "person_aware": "yes",
        },
        **HTMX,
    )
    assert response.status_code == 200
    assert "山田 花子" in row_of(response.content.decode(), mother)
    assert FamilyMember.objects.count() == 1
    assert set(HouseholdLink.objects.values_list("case_id", "member_id")) == {
        (case.pk, mother.pk),
        (sibling_case.pk, mother.pk),
    }


def test_linking_a_member_already_in_the_household_with_htmx_says_so_in_the_panel(
    as_alice, case, mother
):
    """Not a redirect: htmx would follow it and put the whole case page inside the panel."""
    response = as_alice.post(
        reverse("families:member_link", args=[case.pk]),
        {"member": mother.pk, "relation": "mother", "person_aware": "unknown"},
        **HTMX,
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<section id="household-panel"') and "<html" not in body
    assert "この家族はすでにこのケースの世帯に登録されています。" in body
    assert HouseholdLink.objects.filter(case=case).count() == 1


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
def test_linking_without_a_relation_shows_the_error_and_links_nothing(
    as_alice, alice, centre_a, mother, htmx
):
    sibling_case = make_case(centre_a, alice)
    response = as_alice.post(
        reverse("families:member_link", args=[sibling_case.pk]),
        {"member": mother.pk, "relation": "", "person_aware": "unknown"},
        **(HTMX if htmx else {}),
    )
    body = response.content.decode()
    assert "このフィールドは必須です。" in body
    assert f'name="member" value="{mother.pk}"' in body  # the chosen member is kept
    assert not HouseholdLink.objects.filter(case=sibling_case).exists()


def test_member_search_offers_neither_the_households_own_members_nor_another_centres(
    as_alice, charlie, centre_b, case, mother
):
    make_member(make_case(centre_b, charlie), charlie, given_name="花代")  # やまだ はなこ too
    response = as_alice.post(
        reverse("families:member_search", args=[case.pk]), {"q": "やまだ"}, **HTMX
    )
    assert response.status_code == 200
    assert 'data-testid="found-' not in response.content.decode()


# --- authorisation ------------------------------------------------------------------------------


GET_VIEWS = [
    ("families:member_add", False, {"alice", "bob", "mallory"}),
    ("families:member_detail", True, {"alice", "bob", "mallory"}),
    ("families:member_edit", True, {"alice", "bob", "mallory"}),
    ("families:member_contact_add", False, {"alice", "bob", "mallory"}),
    ("families:contingency_edit", False, {"alice", "mallory"}),
]


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
@pytest.mark.parametrize(("name", "with_member", "allowed"), GET_VIEWS)
def test_every_household_page_and_fragment_is_authorised_by_role_and_centre(
    name, with_member, allowed, htmx, case, mother, alice, bob, charlie, mallory
):
    args = [case.pk, mother.pk] if with_member else [case.pk]
    url = reverse(name, args=args)
    for user in (alice, bob, mallory, charlie):
        status = client_for(user).get(url, **(HTMX if htmx else {})).status_code
        # Another centre's case: a 404, not even a 403.
        expected = 404 if user == charlie else 200 if user.username in allowed else 403
        assert status == expected, (name, user.username, status)


def test_search_and_link_are_open_to_every_role_of_the_centre(
    centre_a, case, mother, alice, bob, mallory
):
    sibling_case = make_case(centre_a, alice)
    link_url = reverse("families:member_link", args=[sibling_case.pk])
    search_url = reverse("families:member_search", args=[sibling_case.pk])
    for user in (alice, bob, mallory):
        client = client_for(user)
        assert client.post(search_url, {"q": "はなこ"}, **HTMX).status_code == 200
        HouseholdLink.objects.filter(case=sibling_case).delete()
        response = client.post(
            link_url,
            {"member": mother.pk, "relation": "mother", "person_aware": "unknown"},
            **HTMX,
        )
        assert response.status_code == 200, user.username
        assert HouseholdLink.objects.filter(case=sibling_case, member=mother).exists()


def test_another_centre_gets_404_on_every_household_url_and_changes_nothing(
    as_charlie, alice, case, mother
):
    contingency_case = make_case(case.centre, alice)
    make_member(contingency_case, alice, given_name="光子", birth_year=born_years_ago(85))
    link = HouseholdLink.objects.get(member=mother)
    writes = [
        (reverse("families:member_add", args=[case.pk]), add_form_data()),
        (
            reverse("families:member_edit", args=[case.pk, mother.pk]),
            edit_form_data(mother, link, given_name="書き換え"),
        ),
        (reverse("families:member_search", args=[case.pk]), {"q": "はなこ"}),
        (
            reverse("families:member_link", args=[contingency_case.pk]),
            {"member": mother.pk, "relation": "mother", "person_aware": "unknown"},
        ),
        (
            reverse("families:member_contact_add", args=[case.pk]),
            {
                "member": mother.pk,
                "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
                "duration_minutes": "10",
                "channel": "centre_visit",
                "two_way": "on",
                "note": "外部からの書き込み",
            },
        ),
        (
            reverse("families:contingency_edit", args=[contingency_case.pk]),
            {"who_to_call": "外部"},
        ),
    ]
    before = (FamilyMember.objects.count(), HouseholdLink.objects.count())
    for url, data in writes:
        for extra in (HTMX, {}):
            assert as_charlie.post(url, data, **extra).status_code == 404, url
    for url in (
        reverse("families:member_detail", args=[case.pk, mother.pk]),
        reverse("families:member_edit", args=[case.pk, mother.pk]),
        reverse("families:member_add", args=[case.pk]),
        reverse("families:member_contact_add", args=[case.pk]),
        reverse("families:contingency_edit", args=[contingency_case.pk]),
    ):
        assert as_charlie.get(url).status_code == 404, url
    assert (FamilyMember.objects.count(), HouseholdLink.objects.count()) == before
    assert not ContactEntry.objects.filter(note="外部からの書き込み").exists()
    assert not ContingencyPlan.objects.exists()
    mother.refresh_from_db()
    assert mother.given_name == "花子" and mother.version == 1


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
def test_posting_another_centres_member_to_member_link_is_404_and_links_nothing(
    as_alice, charlie, centre_b, case, htmx
):
    their_mother = make_member(make_case(centre_b, charlie), charlie)
    response = as_alice.post(
        reverse("families:member_link", args=[case.pk]),
        {"member": their_mother.pk, "relation": "mother", "person_aware": "unknown"},
        **(HTMX if htmx else {}),
    )
    assert response.status_code == 404
    assert not HouseholdLink.objects.filter(case=case).exists()
    assert HouseholdLink.objects.filter(member=their_mother).count() == 1


def test_charlie_cannot_link_a_centre_a_member_to_his_own_case(
    as_charlie, charlie, centre_b, mother
):
    own_case = make_case(centre_b, charlie)
    response = as_charlie.post(
        reverse("families:member_link", args=[own_case.pk]),
        {"member": mother.pk, "relation": "mother", "person_aware": "unknown"},
    )
    assert response.status_code == 404
    assert not HouseholdLink.objects.filter(case=own_case).exists()


def test_a_member_is_reached_only_through_a_case_whose_household_they_are_in(
    as_alice, alice, centre_a, mother
):
    other_case = make_case(centre_a, alice)
    for name in ("families:member_detail", "families:member_edit"):
        assert as_alice.get(reverse(name, args=[other_case.pk, mother.pk])).status_code == 404


def test_staff_may_not_write_the_contingency_plan(as_bob, alice, case):
    make_member(case, alice, birth_year=born_years_ago(85))
    url = reverse("families:contingency_edit", args=[case.pk])
    assert as_bob.get(url).status_code == 403
    assert as_bob.post(url, {"who_to_call": "叔父"}).status_code == 403
    assert not ContingencyPlan.objects.exists()


def test_staff_see_no_health_notes_field_and_their_edit_keeps_the_notes(as_bob, case, mother):
    link = HouseholdLink.objects.get(member=mother)
    for body in (
        case_page(as_bob, case),
        as_bob.get(reverse("families:member_edit", args=[case.pk, mother.pk])).content.decode(),
        as_bob.get(reverse("families:member_add", args=[case.pk])).content.decode(),
    ):
        assert "health_notes" not in body and "要介護2" not in body
    response = as_bob.post(
        reverse("families:member_edit", args=[case.pk, mother.pk]),
        edit_form_data(mother, link, given_name="花江", health_notes=""),
    )
    assert response.status_code == 302
    mother.refresh_from_db()
    assert mother.given_name == "花江" and mother.health_notes == "要介護2・糖尿病"


@pytest.mark.parametrize(("user", "status"), [("alice", 403), ("bob", 403), ("charlie", 403)])
def test_the_8050_list_is_for_managers_only(request, user, status):
    assert (
        client_for(request.getfixturevalue(user)).get(reverse("families:cases_8050")).status_code
        == status
    )


def test_the_8050_list_shows_only_the_managers_centres_8050_cases(
    as_mallory, alice, charlie, centre_a, centre_b
):
    elderly_mother = make_case(centre_a, alice)
    make_member(elderly_mother, alice, birth_year=born_years_ago(84))
    not_8050 = make_case(centre_a, alice)
    make_member(not_8050, alice, birth_year=born_years_ago(60))
    other_centre = make_case(centre_b, charlie)
    make_member(other_centre, charlie, birth_year=born_years_ago(90))
    assert Case.objects.filter(risk_8050=True).count() == 2
    response = as_mallory.get(reverse("families:cases_8050"))
    assert response.status_code == 200
    assert list(response.context["page"]) == [elderly_mother]
    body = response.content.decode()
    assert elderly_mother.case_number in body
    assert not_8050.case_number not in body and other_centre.case_number not in body
    assert response.context["missing"] == 1


# --- health and care notes ----------------------------------------------------------------------


def _notes_views(case, member):
    return AuditEvent.objects.filter(
        action=AuditAction.VIEW_SENSITIVE,  # "saw the health notes", not "opened the page"
        case_id=case.pk,
        model="families.familymember",
        object_id=member.pk,
    )


@pytest.mark.parametrize("who", ["alice", "mallory"])
def test_health_notes_are_shown_to_casework_roles_and_the_view_is_audited(
    request, case, mother, who
):
    user = request.getfixturevalue(who)
    response = client_for(user).get(
        reverse("families:member_detail", args=[case.pk, mother.pk]), REMOTE_ADDR="10.1.2.3"
    )
    assert response.status_code == 200
    assert 'data-testid="health-notes"' in response.content.decode()
    assert "要介護2・糖尿病" in response.content.decode()
    event = _notes_views(case, mother).get()
    assert event.user == user and event.ip_address == "10.1.2.3"
    assert event.centre_id == case.centre_id


def test_staff_do_not_see_health_notes_and_no_view_of_them_is_recorded(as_bob, case, mother):
    response = as_bob.get(reverse("families:member_detail", args=[case.pk, mother.pk]))
    body = response.content.decode()
    assert response.status_code == 200 and "山田 花子" in body
    assert "要介護2" not in body and 'data-testid="health-notes"' not in body
    assert not _notes_views(case, mother).exists()


def test_opening_the_edit_form_that_shows_health_notes_is_an_audited_view(
    as_alice, alice, case, mother
):
    response = as_alice.get(reverse("families:member_edit", args=[case.pk, mother.pk]), **HTMX)
    assert "要介護2・糖尿病" in response.content.decode()  # in the notes' text box
    assert _notes_views(case, mother).filter(user=alice).count() == 1


# --- query counts -------------------------------------------------------------------------------


# The case page as counted in tests/cases/test_case_detail.py (CASE_PAGE_QUERIES): session,
# user, the user's centres (ids and the menu's names), the case (its current plan and milestones, the consents and
# the sensitive information read in the same query), the INSERT of the view into the audit
# trail, the timeline (contacts, status changes, assessments, milestones reached, referrals,
# changes of counsellor: one UNION ALL query), the page header (the inbox badge); and the
# household panel: the members (links with members joined, their contacts with this case
# counted and their other cases, siblings sharing a parent, as JSON: one query); and the
# ibasho and home visits panels that `outreach` adds (one each).
CASE_PAGE_QUERIES = 10
# An 80/50 household also reads its contingency plan.
CASE_PAGE_QUERIES_8050 = CASE_PAGE_QUERIES + 1


@pytest.fixture
def plan(case, alice):
    """A current support plan, as on the case page counted in tests/cases: its milestones are
    one more (prefetched) query."""
    from cases import services as case_services

    plan = case_services.plan_save(
        case=case,
        by=alice,
        fields={"goals": "週1回外出する", "review_on": timezone.localdate() + dt.timedelta(30)},
    )
    case_services.milestone_add(plan=plan, by=alice, fields={"description": "居間に出てくる"})
    return plan


def _sibling(case, by, n):
    return make_member(
        case,
        by,
        relation="sibling",
        given_name=f"兄弟{n}",
        given_name_kana="",
        birth_year=born_years_ago(30 + n % 20),
        contact_consent=bool(n % 2),
        person_aware=("yes", "no", "unknown")[n % 3],
    )


def _member_call(case, member, by, note="電話"):
    return services.member_contact_record(
        case=case,
        member=member,
        by=by,
        outbound=False,
        fields={
            "occurred_at": timezone.now() - dt.timedelta(hours=1),
            "duration_minutes": 10,
            "channel": "phone",
            "two_way": True,
            "note": note,
        },
    )


def test_case_page_query_count_does_not_grow_with_the_household(
    as_alice, alice, case, plan, django_assert_num_queries
):
    first = _sibling(case, alice, 0)
    _member_call(case, first, alice)
    with django_assert_num_queries(CASE_PAGE_QUERIES):
        as_alice.get(reverse("cases:detail", args=[case.pk]))
    for n in range(1, 50):
        member = _sibling(case, alice, n)
        _member_call(case, member, alice)
    with django_assert_num_queries(CASE_PAGE_QUERIES):
        response = as_alice.get(reverse("cases:detail", args=[case.pk]))
    panel = next(p for p in response.context["panels"] if p["key"] == "household")
    assert len(panel["household"]) == 50 and all(row.contacts == 1 for row in panel["household"])


def test_8050_case_page_query_count_does_not_grow_with_the_household(
    as_alice, alice, case, plan, django_assert_num_queries
):
    make_member(case, alice, birth_year=born_years_ago(83))
    services.contingency_plan_save(case=case, by=alice, fields={"who_to_call": "叔父"})
    with django_assert_num_queries(CASE_PAGE_QUERIES_8050):
        as_alice.get(reverse("cases:detail", args=[case.pk]))
    for n in range(1, 50):
        _sibling(case, alice, n)
    with django_assert_num_queries(CASE_PAGE_QUERIES_8050):
        body = as_alice.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "母 83歳・同居" in body and "緊急時の備え：記入済み" in body


# Session, user, the user's centres (ids and names), the case, the member's link to it (member joined), the
# INSERTs of the view of the case and of the health notes into the audit trail, the paginator's count, the
# page of contacts (staff and the member link joined), the member's cases (case and centre
# joined), who recorded the consent and the page header (the inbox badge).
MEMBER_PAGE_QUERIES = 12


def test_member_page_query_count_does_not_grow_with_contacts(
    as_alice, alice, bob, case, mother, django_assert_num_queries
):
    _member_call(case, mother, alice, note="相談0")
    url = reverse("families:member_detail", args=[case.pk, mother.pk])
    with django_assert_num_queries(MEMBER_PAGE_QUERIES):
        as_alice.get(url)
    for n in range(1, 50):
        _member_call(case, mother, bob if n % 2 else alice, note=f"相談{n}")
    with django_assert_num_queries(MEMBER_PAGE_QUERIES):
        response = as_alice.get(url)
    assert len(response.context["page"]) == 50
    assert "相談49" in response.content.decode()


# --- intake ---------------------------------------------------------------------------------------


def test_intake_records_the_caller_as_the_mother_and_links_the_first_contact_to_her(
    as_bob, bob, centre_a
):
    response = as_bob.post(
        reverse("cases:intake"),
        intake_data(
            {
                "contact-note": "母より初回の電話",
                "caller-relation": "mother",
                "caller-family_name": "中村",
                "caller-family_name_kana": "なかむら",
                "caller-lives_with_person": "on",
                "caller-contact_consent": "on",
            }
        ),
    )
    assert response.status_code == 302
    case = Case.objects.get(centre=centre_a)
    caller = FamilyMember.objects.get()
    assert caller.centre == centre_a and caller.family_name == "中村" and caller.given_name == ""
    assert caller.contact_consent and caller.contact_consent_recorded_by == bob
    link = HouseholdLink.objects.get(member=caller)
    assert link.case == case and link.relation == "mother" and link.is_primary_contact
    first_contact = ContactEntry.objects.get(case=case)
    member_contact = MemberContact.objects.get(contact=first_contact)
    assert member_contact.member == caller and not member_contact.outbound
    assert "中村" in panel_of(case_page(as_bob, case))


def test_intake_without_a_caller_relation_records_no_member(as_bob, centre_a):
    response = as_bob.post(
        reverse("cases:intake"),
        intake_data({"caller-relation": "", "caller-family_name": "中村"}),
    )
    assert response.status_code == 302
    assert Case.objects.filter(centre=centre_a).count() == 1
    assert not FamilyMember.objects.exists() and not MemberContact.objects.exists()
