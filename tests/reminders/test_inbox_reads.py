"""Opening the inbox changes nothing (a GET never changes state): the page then POSTs which
messages it showed (htmx, on load), and only that marks them read and files the reminders
shown as "contact since"."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from reminders import services
from reminders.models import Notification
from tests.factories import client_for, make_cases

pytestmark = pytest.mark.django_db


def read_inbox(client: Client, **params: str):
    """Open the inbox as a browser does: the GET, then the page's own POST of what it
    showed. Returns the page."""
    response = client.get(reverse("reminders:inbox"), params)
    shown = re.findall(r'name="shown" value="(\d+)"', response.content.decode())
    if shown:
        assert client.post(reverse("reminders:inbox_seen"), {"shown": shown}).status_code == 204
    return response


def gone_silent(centre, counsellor, n):
    """n cases the sweep has reminded the counsellor of (one in-app message each)."""
    start = timezone.now() - dt.timedelta(days=60)
    with time_machine.travel(start, tick=False):
        make_cases(centre, counsellor, n)
    with time_machine.travel(start + dt.timedelta(days=31), tick=False):
        services.sweep_silence()


def test_opening_the_inbox_marks_nothing_read(centre_a, alice, as_alice):
    gone_silent(centre_a, alice, 3)
    page = as_alice.get(reverse("reminders:inbox")).content.decode()
    assert page.count('name="shown"') == 3
    assert 'hx-post="/reminders/inbox/seen/"' in page and 'hx-trigger="load"' in page
    unread = Notification.objects.filter(recipient=alice, channel="in_app", read_at__isnull=True)
    assert unread.count() == 3


def test_the_page_s_post_marks_what_it_showed_read(centre_a, alice, as_alice):
    gone_silent(centre_a, alice, 3)
    read_inbox(as_alice)
    mine = Notification.objects.filter(recipient=alice, channel="in_app")
    assert not mine.filter(read_at__isnull=True).exists()
    assert not mine.filter(done_at__isnull=False).exists()  # read, not done: silences go on


def test_nobody_can_mark_another_user_s_messages_read(centre_a, alice, bob):
    gone_silent(centre_a, alice, 2)
    ids = list(Notification.objects.filter(recipient=alice).values_list("pk", flat=True))
    response = client_for(bob).post(reverse("reminders:inbox_seen"), {"shown": ids})
    assert response.status_code == 204
    assert not Notification.objects.filter(recipient=alice, read_at__isnull=False).exists()


def test_seen_takes_a_post_only_and_ignores_junk(centre_a, alice, as_alice):
    gone_silent(centre_a, alice, 1)
    assert as_alice.get(reverse("reminders:inbox_seen")).status_code == 405
    junk = as_alice.post(reverse("reminders:inbox_seen"), {"shown": ["x", "-1", "1e9"]})
    assert junk.status_code == 204
    assert not Notification.objects.filter(recipient=alice, read_at__isnull=False).exists()
