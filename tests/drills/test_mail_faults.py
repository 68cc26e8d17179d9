"""A failing mail server, and a full disk: delivery marks the failure on the row, retries with
a doubling backoff, gives up after NOTIFICATION_MAX_ATTEMPTS (at once on a permanent 5xx
refusal, which no retry can change), and the centre's managers see
the failed e-mail (the escalations page's failed list, `notifications.view_failed`); a
counsellor and another centre's manager do not. A mail server that recovers gets the e-mail
on the next retry, under the Message-ID it always had.

The mail server is a real one on a free port (a socket server in a thread, speaking SMTP,
answering the message with 451 or 554) reached through Django's SMTP backend; the full disk
is /dev/full under Django's file backend (tests/drills/mail.py says why).
"""

from __future__ import annotations

import datetime as dt
import errno
import smtplib
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import Centre, Role, User
from cases.models import Case
from reminders import services
from reminders.models import Notification, NotificationChannel
from reminders.services import outbox
from tests.factories import CentreFactory, UserFactory, client_for, make_case
from tests.services_for_drills import RefusingSmtpServer

pytestmark = pytest.mark.django_db  # no worker: delivery is called here, and on_commit never runs

START = dt.datetime(2026, 10, 1, 1, 0, tzinfo=dt.UTC)


@contextmanager
def failing_mail(fault: str, tmp_path: Any) -> Iterator[tuple[str, RefusingSmtpServer | None]]:
    """The MAILERS of the fault, and the text its error shows."""
    if fault == "disk-full":
        mailers = {
            "default": {
                "BACKEND": "tests.drills.mail.DiskFullBackend",
                "OPTIONS": {"file_path": str(tmp_path)},
            }
        }
        with override_settings(MAILERS=mailers):
            yield "No space left on device", None
        return
    code = int(fault.removeprefix("smtp-"))
    text = {451: "4.3.0 try again later", 554: "5.7.1 message rejected"}[code]
    with RefusingSmtpServer(code=code, text=text) as server:
        mailers = {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {"host": "127.0.0.1", "port": server.port, "timeout": 5},
            }
        }
        with override_settings(MAILERS=mailers):
            yield text, server


def test_the_full_disk_is_the_kernel_s_enospc() -> None:
    """The premise of the disk-full drill: writing to /dev/full fails as a full disk does."""
    with open("/dev/full", "wb", buffering=0) as full, pytest.raises(OSError) as error:
        full.write(b"x")
    assert error.value.errno == errno.ENOSPC


def silent_case(centre: Centre, counsellor: User) -> tuple[Case, Notification, dt.datetime]:
    with time_machine.travel(START, tick=False):
        case = make_case(centre, counsellor, primary_counsellor=counsellor)
    moment = START + dt.timedelta(days=31)
    with time_machine.travel(moment, tick=False):
        services.sweep_silence()
    email = Notification.objects.get(case=case, channel=NotificationChannel.EMAIL)
    return case, email, moment


@pytest.mark.parametrize("fault", ["smtp-451", "smtp-554", "disk-full"])
def test_failed_delivery_is_marked_retried_with_backoff_and_shown_to_managers(
    fault: str, centre_a: Centre, alice: User, mallory: User, tmp_path: Any
) -> None:
    other_manager = UserFactory(
        username="olga", role=Role.MANAGER, centre=CentreFactory(case_number_prefix="Z")
    )
    case, email, moment = silent_case(centre_a, alice)
    # A 5xx is the server's final answer (RFC 5321): marked failed on the first attempt.
    max_attempts = 1 if fault == "smtp-554" else settings.NOTIFICATION_MAX_ATTEMPTS
    backoffs = []
    with failing_mail(fault, tmp_path) as (error_text, server):
        for attempt in range(1, max_attempts + 1):
            with time_machine.travel(moment, tick=False):
                assert services.deliver_pending() == {"failed": 1}
            email.refresh_from_db()
            assert (email.attempts, email.sent_at, email.claimed_at) == (attempt, None, None)
            assert error_text in email.last_error
            if attempt == max_attempts:
                assert email.failed_at == moment
                break
            assert email.failed_at is None
            backoffs.append(email.next_attempt_at - moment)
            with time_machine.travel(email.next_attempt_at - dt.timedelta(seconds=1), tick=False):
                assert services.deliver_pending() == {}  # not a moment before its time
            moment = email.next_attempt_at
        with time_machine.travel(moment + dt.timedelta(days=1), tick=False):
            assert services.deliver_pending() == {}  # failed stays failed
    assert backoffs == [dt.timedelta(minutes=2**n) for n in range(max_attempts - 1)]
    if server is not None:  # every attempt reached the server, and was refused
        assert server.offered == max_attempts and server.accepted == []

    page = reverse("reminders:escalations")
    ours = client_for(mallory).get(page)
    assert ours.status_code == 200
    assert [n.pk for n in ours.context["failed"]] == [email.pk]
    assert error_text in ours.content.decode() and case.case_number in ours.content.decode()
    theirs = client_for(other_manager).get(page)
    assert list(theirs.context["failed"]) == []
    assert case.case_number not in theirs.content.decode()
    assert client_for(alice).get(page).status_code in (403, 404)  # counsellors: not theirs


def test_a_mail_server_that_recovers_gets_the_email_on_the_next_retry_with_its_message_id(
    centre_a: Centre, alice: User, tmp_path: Any
) -> None:
    _case, email, moment = silent_case(centre_a, alice)
    with failing_mail("smtp-451", tmp_path) as (_text, server):
        assert server is not None
        with time_machine.travel(moment, tick=False):
            assert services.deliver_pending() == {"failed": 1}
        email.refresh_from_db()
        server.code, server.text = 250, "2.0.0 queued"
        with time_machine.travel(email.next_attempt_at, tick=False):
            assert services.deliver_pending() == {"sent": 1}
    email.refresh_from_db()
    assert email.sent_at is not None and email.failed_at is None and email.attempts == 2
    assert email.last_error == ""
    (accepted,) = server.accepted
    received = message_from_bytes(accepted)
    assert received["Message-ID"].strip() == email.message_id
    assert received["To"] == alice.email
    assert timezone.is_aware(email.sent_at)


@pytest.mark.parametrize(
    ("exc", "permanent"),
    [
        (smtplib.SMTPRecipientsRefused({"a@example.jp": (550, b"no such user")}), True),
        (
            smtplib.SMTPRecipientsRefused(
                {"a@example.jp": (550, b"no such user"), "b@example.jp": (451, b"later")}
            ),
            False,  # one recipient may still take it
        ),
        (smtplib.SMTPDataError(554, b"rejected"), True),
        (smtplib.SMTPSenderRefused(553, b"sender refused", "tsunagu@example.jp"), True),
        (smtplib.SMTPDataError(451, b"try again later"), False),
        (smtplib.SMTPServerDisconnected("gone"), False),
        (OSError(errno.ENOSPC, "No space left on device"), False),
    ],
)
def test_only_a_5xx_refusal_is_permanent(exc: Exception, permanent: bool) -> None:
    assert outbox.is_permanent(exc) is permanent
