"""Messages about a home visit lead to the visit, by its id, in the e-mail and the inbox."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from reminders.models import Notification, NotificationChannel
from reminders.notification_texts import render
from reminders.services import notification_queue
from tests.factories import make_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def overdue_message(centre_a, alice: User, mallory: User) -> dict[str, object]:
    case = make_case(centre_a, alice)
    context = {
        "case_id": case.pk,
        "case_number": case.case_number,
        "visit_id": 4321,
        "minutes_overdue": 15,
    }
    notification_queue(
        recipients=[mallory],
        kind="visit_checkout_overdue",
        context=context,
        dedupe_key="visit:4321:checkout_overdue",
        case=case,
    )
    return context


def test_the_email_links_to_the_visit(overdue_message, settings) -> None:
    subject, body = render("visit_checkout_overdue", overdue_message, "ja")
    assert f"{settings.SITE_URL}/outreach/visits/4321/" in body
    assert str(overdue_message["case_number"]) in subject
    assert "山田" not in subject + body


def test_the_inbox_links_to_the_visit(overdue_message, as_mallory: Client) -> None:
    assert Notification.objects.filter(channel=NotificationChannel.IN_APP).count() == 1
    page = as_mallory.get(reverse("reminders:inbox")).content.decode()
    assert 'href="/outreach/visits/4321/"' in page
    assert "15" in page


def test_a_case_message_still_links_to_the_case(centre_a, alice: User, as_alice: Client) -> None:
    case = make_case(centre_a, alice)
    notification_queue(
        recipients=[alice],
        kind="silence_reminded",
        context={"case_id": case.pk, "case_number": case.case_number, "days": 31, "owner": True},
        dedupe_key="test:silence",
        case=case,
    )
    page = as_alice.get(reverse("reminders:inbox")).content.decode()
    assert f'href="/cases/{case.pk}/"' in page
