"""Who may open each case page: roles inside the centre (403), other centres (404), and
records reached through another case's address."""

import pytest
from django.urls import reverse

from cases.models import Milestone
from tests.factories import client_for, make_case

pytestmark = pytest.mark.django_db


GET_VIEWS = [
    ("cases:list", None, "all"),
    ("cases:intake", None, "all"),
    ("cases:detail", {}, "all"),
    ("cases:edit", {}, "casework"),
    ("cases:sensitive_edit", {}, "casework"),
    ("cases:status", {}, "casework"),
    ("cases:assessment_add", {}, "casework"),
    ("cases:plan_new", {}, "casework"),
    ("cases:plan_edit", {"plan_id": None}, "casework"),
    ("cases:milestone_add", {"plan_id": None}, "casework"),
    ("cases:consent_add", {}, "casework"),
    ("cases:referral_add", {}, "casework"),
    ("cases:referral_outcome", {"referral_id": None}, "casework"),
    ("cases:audit", {}, "oversight"),
]


ALLOWED = {
    "all": {"alice", "bob", "mallory"},
    "casework": {"alice", "mallory"},
    "oversight": {"mallory"},
}


def _url(name, kwargs, case, referral, plan):
    if kwargs is None:
        return reverse(name)
    filled = {"pk": case.pk}
    if "referral_id" in kwargs:
        filled["referral_id"] = referral.pk
    if "plan_id" in kwargs:
        filled["plan_id"] = plan.pk
    return reverse(name, kwargs=filled)


@pytest.mark.parametrize(("name", "kwargs", "who"), GET_VIEWS)
def test_every_case_view_is_authorised_by_role_and_centre(
    name, kwargs, who, case, plan, referral, alice, bob, charlie, mallory
):
    url = _url(name, kwargs, case, referral, plan)
    for user in (alice, bob, mallory, charlie):
        status = client_for(user).get(url).status_code
        if user.username == "charlie":
            expected = 200 if kwargs is None else 404  # own centre's list/intake; others' 404
        else:
            expected = 200 if user.username in ALLOWED[who] else 403
        assert status == expected, (name, user.username, status)


POST_VIEWS = [
    ("cases:contact_add", {}, "all"),
    ("cases:milestone_achieve", {"milestone_id": None}, "casework"),
    ("cases:consent_withdraw", {"consent_id": None}, "casework"),
    ("cases:referral_send", {"referral_id": None}, "casework"),
]


@pytest.mark.parametrize(("name", "kwargs", "who"), POST_VIEWS)
def test_post_only_views_are_authorised_and_outsiders_get_404(
    name, kwargs, who, case, plan, consent, referral, alice, bob, charlie
):
    filled = {"pk": case.pk}
    if "milestone_id" in kwargs:
        filled["milestone_id"] = Milestone.objects.get(plan=plan).pk
    if "consent_id" in kwargs:
        filled["consent_id"] = consent.pk
    if "referral_id" in kwargs:
        filled["referral_id"] = referral.pk
    url = reverse(name, kwargs=filled)
    assert client_for(charlie).post(url).status_code == 404
    assert client_for(bob).post(url).status_code in ({200, 302} if who == "all" else {403})
    assert client_for(alice).post(url).status_code in {200, 302}


def test_another_cases_records_cannot_be_reached_through_my_case(
    as_alice, centre_a, alice, case, consent, referral, plan
):
    other = make_case(centre_a, alice)
    for url in (
        reverse("cases:consent_withdraw", args=[other.pk, consent.pk]),
        reverse("cases:referral_send", args=[other.pk, referral.pk]),
        reverse("cases:milestone_achieve", args=[other.pk, plan.milestones.get().pk]),
    ):
        assert as_alice.post(url).status_code == 404
    assert as_alice.get(reverse("cases:plan_edit", args=[other.pk, plan.pk])).status_code == 404
