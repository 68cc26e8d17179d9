"""The intake page: a first call becomes a case and its first contact."""

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from cases.models import Case, ContactEntry
from tests.factories import UserFactory, client_for, intake_data, make_cases

pytestmark = pytest.mark.django_db


def test_intake_creates_case_and_first_contact_without_a_name(as_bob, bob, centre_a):
    response = as_bob.post(
        reverse("cases:intake"),
        intake_data(
            {
                "case-age_band": "30s",
                "case-person_aware": "no",
                "contact-duration_minutes": "30",
                "contact-counterpart_detail": "母",
                "contact-note": "母より初回の電話",
            }
        ),
    )
    case = Case.objects.get(centre=centre_a)
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:detail", args=[case.pk])
    assert case.family_name == "" and case.first_contact_date == timezone.localdate()
    entry = ContactEntry.objects.get(case=case)
    assert entry.source == "intake" and entry.staff == bob
    assert case.last_two_way_contact_at is not None


def test_intake_with_bad_input_keeps_what_was_typed(as_bob):
    response = as_bob.post(
        reverse("cases:intake"),
        {
            "case-family_name": "中村",
            "case-phone": "12345",
            "case-first_contact_by": "family",
            "contact-occurred_at": "not a date",
            "contact-note": "長い相談内容をここに書いた",
        },
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "長い相談内容をここに書いた" in body and 'value="中村"' in body
    assert "電話番号は" in body
    assert not Case.objects.exists()


def test_staff_of_two_centres_choose_where_an_intake_is_filed(centre_a, centre_b, charlie):
    from accounts.models import Role

    both = UserFactory(role=Role.COUNSELLOR, centre=centre_a)
    both.centres.add(centre_b)
    client = client_for(both)
    page = client.get(reverse("cases:intake")).content.decode()
    assert "受付センター" in page
    response = client.post(
        reverse("cases:intake"),
        intake_data(
            {"case-filing_centre": str(centre_b.pk), "case-primary_counsellor": str(charlie.pk)}
        ),
    )
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.centre == centre_b and case.case_number == "S-0001"
    assert case.primary_counsellor == charlie


def test_single_centre_staff_see_no_centre_choice(as_bob):
    assert "受付センター" not in as_bob.get(reverse("cases:intake")).content.decode()


def test_intake_refuses_a_counsellor_of_the_other_centre_and_keeps_the_input(
    centre_a, centre_b, charlie
):
    from accounts.models import Role

    both = UserFactory(role=Role.COUNSELLOR, centre=centre_a)
    both.centres.add(centre_b)
    response = client_for(both).post(
        reverse("cases:intake"),
        intake_data(
            {
                "case-filing_centre": str(centre_a.pk),
                "case-primary_counsellor": str(charlie.pk),
                "contact-note": "残る相談内容",
            }
        ),
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "担当者はこのセンターの在職中の相談員または所長から選んでください" in body
    assert "残る相談内容" in body
    assert not Case.objects.exists()


# Session, user, the user's centres (ids and the menu's names), the user's centres (the filing
# centre's choices), the page header (the inbox badge) and the counsellors to choose from (read through
# a server-side cursor). Nothing of the centre's cases is read.
INTAKE_FORM_QUERIES = 6


def test_intake_form_query_count_does_not_grow_with_cases_or_counsellors(
    as_bob, centre_a, alice, django_assert_num_queries
):
    make_cases(centre_a, alice, 1)
    with django_assert_num_queries(INTAKE_FORM_QUERIES):
        as_bob.get(reverse("cases:intake"))
    make_cases(centre_a, alice, 49)
    UserFactory.create_batch(49, centre=centre_a, role=Role.COUNSELLOR)
    with django_assert_num_queries(INTAKE_FORM_QUERIES):
        response = as_bob.get(reverse("cases:intake"))
    assert response.content.decode().count('name="case-primary_counsellor"') == 1
    assert len(response.context["case_form"].fields["primary_counsellor"].queryset) == 50
