"""What a family-support worker expects of the household panel beyond the issue's list,
found in a walk-through: deceased members, the person-aware warning per member, siblings
sharing a parent, undoing a wrong link, and the managers' 80/50 list giving its reasons."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditAction, AuditEvent
from families import selectors, services
from families.forms.household import MemberContactForm
from families.models import HouseholdLink, MemberStatus
from tests.factories import make_case, make_member

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def panel(client, case) -> str:
    body = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    match = re.search(r'<section id="household-panel".*?</section>', body, re.DOTALL)
    assert match
    return match.group(0)


@pytest.fixture
def case(centre_a, alice):
    return make_case(centre_a, alice, primary_counsellor=alice)


@pytest.fixture
def late_father(case, alice):
    died = timezone.localdate() - dt.timedelta(days=400)
    born = died.replace(year=died.year - 86)
    father = make_member(case, alice, relation="father", given_name="正", birth_date=born)
    services.member_update(
        member=father,
        by=alice,
        changes={"status": MemberStatus.DECEASED, "status_since": died},
        expected_version=father.version,
    )
    return father


def test_a_deceased_parent_shows_the_age_at_death_and_is_no_one_to_contact(
    as_alice, case, late_father
):
    late_father.refresh_from_db()
    assert late_father.age == 86  # not 87: the age he reached
    row = re.search(
        rf'<tr data-testid="member-{late_father.pk}".*?</tr>', panel(as_alice, case), re.S
    )
    assert row and "享年86歳" in row.group(0)
    assert "連絡不可" not in row.group(0) and "同居" not in row.group(0)
    assert late_father not in selectors.household_members(case)
    form = MemberContactForm(household=selectors.household_members(case))
    assert late_father.pk not in [
        choice.value for choice, _label in form.fields["member"].choices if choice
    ]


def test_a_deceased_member_is_not_offered_for_linking(as_alice, centre_a, alice, case, late_father):
    sibling = make_case(centre_a, alice)
    assert selectors.linkable_members(sibling, "やまだ") == []


def test_a_member_the_person_does_not_know_about_is_named_in_a_warning(as_alice, case, alice):
    mother = make_member(case, alice, person_aware="no")
    html = panel(as_alice, case)
    assert f'data-testid="member-unaware-{mother.pk}"' in html
    assert "本人は、母が相談していることを知りません" in html


def test_a_case_and_a_member_that_disagree_about_awareness_ask_for_a_check(
    as_alice, centre_a, alice
):
    case = make_case(centre_a, alice, person_aware="no")
    make_member(case, alice, person_aware="yes")
    assert "要確認" in panel(as_alice, case)


def test_a_mother_of_two_siblings_shows_her_other_case_on_each(as_alice, centre_a, alice, case):
    mother = make_member(case, alice)
    sibling = make_case(centre_a, alice)
    services.member_link(member=mother, case=sibling, by=alice, fields={"relation": "mother"})
    assert f"{case.case_number}でも母" in panel(as_alice, sibling)
    assert f"{sibling.case_number}でも母" in panel(as_alice, case)


def test_a_member_without_consent_is_marked_where_the_member_is_chosen(case, alice):
    make_member(case, alice, given_name="博", relation="father", contact_consent=False)
    form = MemberContactForm(household=selectors.household_members(case))
    labels = [str(label) for _value, label in form.fields["member"].choices]
    assert any("父" in label and "（連絡不可）" in label for label in labels)


def test_a_wrong_link_can_be_undone_and_is_on_the_audit_trail(as_alice, case, alice):
    mother = make_member(case, alice)
    url = reverse("families:member_unlink", args=[case.pk, mother.pk])
    response = as_alice.post(url, **HTMX)
    assert response.status_code == 200 and "世帯から外しました" in response.content.decode()
    assert not HouseholdLink.objects.filter(case=case).exists()
    assert AuditEvent.objects.filter(
        case_id=case.pk, model="families.householdlink", action=AuditAction.DELETE
    ).exists()


def test_a_member_with_contacts_is_not_unlinked_but_keeps_their_history(as_alice, case, alice):
    mother = make_member(case, alice)
    services.member_contact_record(
        case=case,
        member=mother,
        by=alice,
        fields={"occurred_at": timezone.now(), "channel": "phone", "two_way": True},
        outbound=False,
    )
    url = reverse("families:member_unlink", args=[case.pk, mother.pk])
    response = as_alice.post(url, **HTMX)
    assert "相談記録があるため" in response.content.decode()
    assert HouseholdLink.objects.filter(case=case, member=mother).exists()


def test_another_centre_cannot_unlink(as_charlie, case, alice):
    mother = make_member(case, alice)
    url = reverse("families:member_unlink", args=[case.pk, mother.pk])
    assert as_charlie.post(url).status_code == 404
    assert HouseholdLink.objects.filter(case=case).exists()


def test_staff_see_the_missing_contingency_plan_but_no_link_they_may_not_follow(
    as_bob, centre_a, alice
):
    case = make_case(centre_a, alice, birth_date=timezone.localdate().replace(year=1960))
    html = panel(as_bob, case)
    assert "緊急時の備え：未記入" in html
    assert reverse("families:contingency_edit", args=[case.pk]) not in html


def test_the_8050_list_gives_each_reason_and_flags_a_case_nobody_owns(as_mallory, centre_a, alice):
    owned = make_case(centre_a, alice, primary_counsellor=alice)
    make_member(
        owned, alice, birth_date=timezone.localdate().replace(year=timezone.localdate().year - 84)
    )
    nobody = make_case(centre_a, alice, age_band="50s")
    body = as_mallory.get(reverse("families:cases_8050")).content.decode()
    assert "母 84歳・同居" in body
    row = re.search(rf'<tr data-testid="case-{nobody.pk}".*?</tr>', body, re.S)
    assert row and "担当者なし" in row.group(0) and "本人 50代" in row.group(0)
