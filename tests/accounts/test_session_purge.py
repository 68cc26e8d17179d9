"""Expired sessions are deleted daily (beat), live ones kept: the session table does not grow
with every sign-in for ever."""

import datetime as dt

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from accounts.tasks import purge_expired_sessions

pytestmark = pytest.mark.django_db


def test_expired_sessions_are_purged_and_a_live_one_stays_signed_in(alice, settings):
    assert (
        settings.CELERY_BEAT_SCHEDULE["purge-expired-sessions"]["task"]
        == purge_expired_sessions.name
    )
    live = Client()
    live.force_login(alice)
    for n in range(3):
        stale = Client()
        stale.force_login(alice)
        Session.objects.filter(session_key=stale.session.session_key).update(
            expire_date=dt.datetime(2026, 1, 1 + n, tzinfo=dt.UTC)
        )
    assert Session.objects.count() == 4
    assert purge_expired_sessions() == 3  # the daily beat task
    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session.session_key]
    assert live.get(reverse("cases:list")).status_code == 200
    assert purge_expired_sessions() == 0
