"""Exact query counts of the pages that show reminders (the inbox, the escalations page) and
of the home page, which carries the inbox badge: the same number with one row as with fifty,
so that a page cannot creep. The counts are built through the services: cases made by the
intake service go silent, the sweep raises their reminders and escalations, delivery sends
the e-mails."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from reminders import services
from reminders.models import Notification
from tests.dashboards.test_my_day import MY_DAY_QUERIES_WITHOUT_VISITS
from tests.factories import make_cases

pytestmark = pytest.mark.django_db


def gone_silent(centre, counsellor, n, *, escalate=False):
    """n open cases of the counsellor that nobody has talked to for a month: the sweep has
    reminded the counsellor (in the inbox and by e-mail, delivered) and, with `escalate`, a
    week later escalated them to the centre's managers."""
    start = timezone.now() - dt.timedelta(days=60)
    with time_machine.travel(start, tick=False):
        cases = make_cases(centre, counsellor, n)
    with time_machine.travel(start + dt.timedelta(days=31), tick=False):
        services.sweep_silence()
        services.deliver_pending()
    if escalate:
        with time_machine.travel(start + dt.timedelta(days=38), tick=False):
            services.sweep_silence()
    return cases


# Session, user, the paginator's count, the page of notifications (whether each one's silence
# has ended is a subquery in the select list, not a query per row), the user's centres (ids
# and the menu's names, one query) and the inbox badge (the page header). Reading writes
# nothing: the page POSTs what it showed afterwards (tests/reminders/test_inbox_reads.py).
INBOX_QUERIES = 6


def test_inbox_query_count_does_not_grow_with_reminders(
    centre_a, alice, as_alice, django_assert_num_queries
):
    gone_silent(centre_a, alice, 1)
    with django_assert_num_queries(INBOX_QUERIES):
        as_alice.get(reverse("reminders:inbox"))
    gone_silent(centre_a, alice, 49)
    with django_assert_num_queries(INBOX_QUERIES):
        response = as_alice.get(reverse("reminders:inbox"))
    assert response.context["page"].paginator.count == 50
    assert len(response.context["items"]) == 30  # a page
    assert not Notification.objects.filter(recipient=alice, read_at__isnull=False).exists()


# Session, user, the manager's authenticator (second factor), the user's centres (ids and the
# menu's names), the paginator's count, the page of escalated cases (centre and counsellor
# joined), the page header (inbox badge, the sweep's heartbeat for the stale-sweep banner and
# the overdue check-outs for the safety banner: one statement) and the failed notifications
# (recipient joined). Was 11 with the header's three counts and the names apart.
ESCALATIONS_QUERIES = 8


def test_escalations_query_count_does_not_grow_with_cases_or_failures(
    centre_a, alice, mallory, as_mallory, django_assert_num_queries
):
    def fail_every_email() -> None:
        # An SMTP server that refused every attempt, without waiting for delivery's backoff.
        Notification.objects.filter(channel="email", failed_at__isnull=True).update(
            failed_at=timezone.now(), attempts=5
        )

    url = reverse("reminders:escalations")
    gone_silent(centre_a, alice, 1, escalate=True)
    fail_every_email()
    with django_assert_num_queries(ESCALATIONS_QUERIES):
        as_mallory.get(url)
    gone_silent(centre_a, alice, 49, escalate=True)
    fail_every_email()
    with django_assert_num_queries(ESCALATIONS_QUERIES):
        response = as_mallory.get(url)
    assert response.context["page"].paginator.count == 50
    assert len(response.context["failed"]) == 50  # the panel's limit


# Session, user, the user's centres (ids and the menu's names), the centres again (the home
# view's list) and the page header (the inbox badge).
HOME_QUERIES = 5
# A manager also passes the second factor (their authenticator); the sweep's heartbeat and
# the overdue check-outs come with the header's one statement.
HOME_QUERIES_FOR_A_MANAGER = HOME_QUERIES + 1
# A counsellor's home sends them on to their day, which carries the badge too: the redirect
# (session, user), then the day's page, here without visits (tests/dashboards/test_my_day.py).
HOME_QUERIES_FOR_A_COUNSELLOR = 2 + MY_DAY_QUERIES_WITHOUT_VISITS


def test_home_page_query_count_does_not_grow_with_cases_or_reminders(
    centre_a, alice, as_alice, as_mallory, django_assert_num_queries
):
    gone_silent(centre_a, alice, 1, escalate=True)
    with django_assert_num_queries(HOME_QUERIES_FOR_A_COUNSELLOR):
        as_alice.get(reverse("home"), follow=True)
    with django_assert_num_queries(HOME_QUERIES_FOR_A_MANAGER):
        as_mallory.get(reverse("home"))
    gone_silent(centre_a, alice, 49, escalate=True)
    with django_assert_num_queries(HOME_QUERIES_FOR_A_COUNSELLOR):
        response = as_alice.get(reverse("home"), follow=True)
    assert 'data-testid="inbox-badge">100<' in response.content.decode()
    with django_assert_num_queries(HOME_QUERIES_FOR_A_MANAGER):
        response = as_mallory.get(reverse("home"))
    assert 'data-testid="inbox-badge">50<' in response.content.decode()
