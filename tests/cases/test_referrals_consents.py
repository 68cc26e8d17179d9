"""Referrals (つなぎ) and the consents that back them."""

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import services
from tests.factories import make_case

pytestmark = pytest.mark.django_db


def test_stale_referral_outcome_is_refused(as_alice, as_mallory, case, referral):
    url = reverse("cases:referral_outcome", args=[case.pk, referral.pk])
    assert as_mallory.post(url, {"outcome": "accepted", "version": "1"}).status_code == 302
    response = as_alice.post(url, {"outcome": "declined", "version": "1"})
    assert response.status_code == 409
    referral.refresh_from_db()
    assert referral.outcome == "accepted"


def test_consent_of_another_case_cannot_back_a_referral(as_alice, centre_a, alice, consent):
    other = make_case(centre_a, alice)
    response = as_alice.post(
        reverse("cases:referral_add", args=[other.pk]),
        {
            "destination_kind": "saposte",
            "destination_name": "サポステ",
            "referred_on": "2026-11-01",
            "consent": str(consent.pk),
        },
    )
    assert response.status_code == 200
    assert not other.referrals.exists()


def test_sending_a_referral_without_consent_shows_why_and_changes_nothing(as_alice, alice, case):
    referral = services.referral_create(
        case=case,
        by=alice,
        fields={
            "destination_kind": "hello_work",
            "destination_name": "ハローワーク",
            "referred_on": timezone.localdate(),
        },
    )
    response = as_alice.post(
        reverse("cases:referral_send", args=[case.pk, referral.pk]), follow=True
    )
    assert "有効な同意" in response.content.decode()
    referral.refresh_from_db()
    assert referral.sent_at is None
