"""Contacts with one member of the household: the centre reaches out only to a member who
consented (and never to one who died), the member is chosen from this case's household only,
and the contact is one entry of the case's contact log that the member's page lists too."""

import datetime as dt

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from cases.models import ContactEntry
from families import services
from families.models import FamilyMember, MemberContact
from tests.factories import make_case, make_member

pytestmark = pytest.mark.django_db


def contact_data(member, *, channel="phone", outbound=True, when=None, **changes):
    """What the member contact form posts."""
    at = when or timezone.localtime() - dt.timedelta(hours=1)
    data = {
        "member": str(member.pk),
        "occurred_at": at.strftime("%Y-%m-%dT%H:%M"),
        "duration_minutes": "15",
        "channel": channel,
        "two_way": "on",
        "note": "母の体調と本人の様子を聞いた",
        **changes,
    }
    if outbound:
        data["outbound"] = "on"
    return data


@pytest.fixture
def case(centre_a, alice):
    return make_case(centre_a, alice, primary_counsellor=alice)


@pytest.fixture
def unconsenting_mother(case, alice):
    return make_member(case, alice, contact_consent=False)


@pytest.fixture
def url(case):
    return reverse("families:member_contact_add", args=[case.pk])


NO_CONSENT = "この家族はセンターからの連絡に同意していません。"


@pytest.mark.parametrize("channel", ["phone", "letter", "home_visit", "email"])
def test_a_member_without_consent_is_refused_as_counterpart_of_an_outbound_contact(
    as_alice, url, unconsenting_mother, channel
):
    response = as_alice.post(url, contact_data(unconsenting_mother, channel=channel))
    body = response.content.decode()
    assert response.status_code == 200
    assert NO_CONSENT in " ".join(response.context["form"].errors["member"])
    assert "同意していません" in body and "母の体調と本人の様子を聞いた" in body
    assert not ContactEntry.objects.exists() and not MemberContact.objects.exists()


def test_the_refusal_in_english_keeps_the_input_and_saves_nothing(
    as_alice, url, unconsenting_mother
):
    as_alice.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = as_alice.post(url, contact_data(unconsenting_mother, note="kept in English"))
    assert response.status_code == 200 and response["Content-Language"] == "en"
    assert "member" in response.context["form"].errors
    body = response.content.decode()
    assert "has not consented to be contacted by the centre" in body
    assert "kept in English" in body
    assert not ContactEntry.objects.exists() and not MemberContact.objects.exists()


def test_an_inbound_call_from_a_member_without_consent_is_recorded_and_resets_the_clock(
    as_alice, alice, case, url, unconsenting_mother
):
    called_at = timezone.localtime().replace(second=0, microsecond=0) - dt.timedelta(minutes=30)
    response = as_alice.post(url, contact_data(unconsenting_mother, outbound=False, when=called_at))
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:detail", args=[case.pk])
    link = MemberContact.objects.get()
    assert link.member == unconsenting_mother and not link.outbound
    assert link.contact.case == case and link.contact.staff == alice
    case.refresh_from_db()
    assert case.last_two_way_contact_at == called_at


def test_a_member_with_consent_can_be_contacted_by_the_centre(as_bob, case, url, alice):
    mother = make_member(case, alice, contact_consent=True)
    response = as_bob.post(url, contact_data(mother, channel="home_visit"))
    assert response.status_code == 302
    link = MemberContact.objects.get()
    assert link.member == mother and link.outbound and link.contact.channel == "home_visit"


def test_a_deceased_member_cannot_be_contacted_by_the_centre(as_alice, alice, case, url):
    father = make_member(case, alice, relation="father", given_name="一郎", contact_consent=True)
    services.member_update(
        member=father,
        by=alice,
        changes={"status": "deceased", "status_since": timezone.localdate()},
        expected_version=1,
    )
    response = as_alice.post(url, contact_data(father))
    assert response.status_code == 200
    assert "member" in response.context["form"].errors  # not even offered any more
    assert f'value="{father.pk}"' not in response.content.decode()
    assert not ContactEntry.objects.exists()
    father.refresh_from_db()
    with pytest.raises(ValidationError, match="死亡・転出"):  # nor through the service
        services.member_contact_record(
            case=case,
            member=father,
            by=alice,
            fields={"occurred_at": timezone.now(), "channel": "phone", "two_way": True},
            outbound=True,
        )


def test_a_member_of_another_cases_household_is_refused(as_alice, alice, centre_a, case, url):
    make_member(case, alice)
    other_household = make_member(make_case(centre_a, alice), alice, given_name="秋子")
    response = as_alice.post(url, contact_data(other_household))
    assert response.status_code == 200
    assert "member" in response.context["form"].errors
    assert not ContactEntry.objects.exists() and not MemberContact.objects.exists()


def test_the_contact_is_in_the_case_log_as_family_with_the_relation_and_on_the_member_page(
    as_alice, alice, case, url
):
    mother = make_member(case, alice)
    as_alice.post(url, contact_data(mother, note="週1回の定期電話"))
    entry = ContactEntry.objects.get(case=case)
    assert entry.counterpart == "family" and entry.counterpart_detail == "母"
    log = as_alice.get(reverse("cases:contacts", args=[case.pk])).content.decode()
    assert "週1回の定期電話" in log and "（母）" in log
    member_page = as_alice.get(
        reverse("families:member_detail", args=[case.pk, mother.pk])
    ).content.decode()
    assert "週1回の定期電話" in member_page and "センターから" in member_page


def test_the_member_choices_are_exactly_the_cases_household(as_alice, alice, centre_a, case, url):
    mother = make_member(case, alice)
    father = make_member(case, alice, relation="father", given_name="一郎")
    sibling_case = make_case(centre_a, alice, given_name="次郎")
    services.member_link(
        member=mother,
        case=sibling_case,
        by=alice,
        fields={"relation": "mother", "lives_with_person": True, "person_aware": "no"},
    )
    make_member(sibling_case, alice, relation="spouse", given_name="秋子")  # not of this case
    response = as_alice.get(url)
    field = response.context["form"].fields["member"]
    assert sorted(field.queryset.values_list("pk", flat=True)) == sorted([mother.pk, father.pk])
    labels = [label for value, label in field.choices if value]
    assert sorted(labels) == sorted(["母 山田 花子", "父 山田 一郎"])
    assert FamilyMember.objects.count() == 3
