import datetime as dt
import threading

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from cases import services as case_services
from cases.models import Case, CaseStatus, Channel, Counterpart, SilenceStage
from reminders import services
from reminders.models import AlertStage, CaseAlert, Notification
from reminders.notification_texts import UnsafeContext
from tests.factories import UserFactory, client_for, make_case
from tests.reminders.test_inbox_reads import read_inbox

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 10, 1, 1, 0, tzinfo=dt.UTC)  # 10:00 in Tokyo


def day(n: int, hour: int = 0) -> dt.datetime:
    return START + dt.timedelta(days=n, hours=hour)


@pytest.fixture
def silent_case(centre_a, alice, mallory):
    with time_machine.travel(START, tick=False):
        return make_case(centre_a, alice, primary_counsellor=alice)


def sweep_at(moment: dt.datetime) -> services.SweepResult:
    with time_machine.travel(moment, tick=False):
        return services.sweep_silence()


def talk(case, by, at: dt.datetime, *, two_way: bool = True) -> None:
    with time_machine.travel(at, tick=False):
        case_services.contact_record(
            case=case,
            by=by,
            fields={
                "occurred_at": at,
                "channel": Channel.PHONE if two_way else Channel.LETTER,
                "counterpart": Counterpart.FAMILY,
                "two_way": two_way,
                "duration_minutes": 10,
            },
        )


def stages(case) -> list[str]:
    return list(
        CaseAlert.objects.filter(case=case).order_by("created_at").values_list("stage", flat=True)
    )


def test_reminder_after_the_interval_and_escalation_after_the_grace(silent_case, alice, mallory):
    assert sweep_at(day(29, 23)).reminded == 0
    result = sweep_at(day(30, 1))
    assert result.reminded == 1 and stages(silent_case) == ["reminded"]
    reminder = Notification.objects.filter(alert__stage=AlertStage.REMINDED)
    assert set(reminder.values_list("recipient__username", "channel")) == {
        ("alice", "email"),
        ("alice", "in_app"),
    }
    assert sweep_at(day(36, 23)).escalated == 0
    assert sweep_at(day(37, 1)).escalated == 1
    assert stages(silent_case) == ["reminded", "escalated"]
    escalation = Notification.objects.filter(alert__stage=AlertStage.ESCALATED)
    assert {"mallory", "alice"} == set(escalation.values_list("recipient__username", flat=True))
    # Nothing more for this silence episode, however often the sweep runs.
    assert sweep_at(day(60)).due == 0
    assert CaseAlert.objects.filter(case=silent_case).count() == 2


def test_per_case_interval_and_grace_override_the_centre(silent_case, alice):
    case_services.case_update(
        case=silent_case,
        by=alice,
        expected_version=1,
        changes={"followup_interval_days": 14, "escalation_grace_days": 3},
    )
    assert sweep_at(day(14, 1)).reminded == 1
    assert sweep_at(day(17, 2)).escalated == 1


def test_paused_case_gets_nothing_until_its_pause_expires(silent_case, alice):
    with time_machine.travel(day(5), tick=False):
        case_services.case_change_status(
            case=silent_case,
            by=alice,
            to_status=CaseStatus.PAUSED,
            paused_until=timezone.localdate() + dt.timedelta(days=40),
        )
    assert sweep_at(day(44)).reminded == 0
    result = sweep_at(day(46))  # the pause expired on day 45: the clock restarts then
    assert result.resumed == 1 and result.reminded == 0
    silent_case.refresh_from_db()
    assert silent_case.status == CaseStatus.OPEN
    assert sweep_at(day(74)).reminded == 0
    assert sweep_at(day(76)).reminded == 1


def test_two_way_contact_between_reminder_and_escalation_cancels_it(silent_case, alice):
    sweep_at(day(31))
    talk(silent_case, alice, day(33))
    assert sweep_at(day(38)).escalated == 0
    silent_case.refresh_from_db()
    assert silent_case.silence_stage == SilenceStage.OK
    assert stages(silent_case) == ["reminded"]
    # The next silence episode reminds again, once.
    assert sweep_at(day(64)).reminded == 1
    assert stages(silent_case) == ["reminded", "reminded"]


def test_one_way_attempt_does_not_cancel_the_escalation(silent_case, alice):
    sweep_at(day(31))
    talk(silent_case, alice, day(33), two_way=False)
    assert sweep_at(day(38)).escalated == 1


def test_late_sweep_still_gives_the_whole_grace_before_escalating(silent_case):
    result = sweep_at(day(50))
    assert result.reminded == 1 and result.escalated == 0
    assert sweep_at(day(56)).escalated == 0
    assert sweep_at(day(57, 2)).escalated == 1


def test_case_without_counsellor_reminds_the_managers(centre_a, alice, mallory):
    with time_machine.travel(START, tick=False):
        orphan = make_case(centre_a, alice)
    sweep_at(day(31))
    recipients = Notification.objects.filter(case=orphan).values_list(
        "recipient__username", flat=True
    )
    assert set(recipients) == {"mallory"}


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_in_parallel_create_exactly_one_alert_per_stage(centre_a, alice, mallory):
    with time_machine.travel(START, tick=False):
        cases = [make_case(centre_a, alice, primary_counsellor=alice) for _ in range(300)]
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run(moment):
        try:
            barrier.wait()
            results.append(services.sweep_silence(now=moment, batch_size=50))
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    for moment in (day(31), day(38)):
        threads = [threading.Thread(target=run, args=(moment,)) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    assert CaseAlert.objects.filter(stage="reminded").count() == len(cases)
    assert CaseAlert.objects.filter(stage="escalated").count() == len(cases)
    assert sum(r.reminded for r in results) == len(cases)
    assert Notification.objects.filter(channel="in_app", recipient=alice).count() == 2 * len(cases)


def test_alert_of_an_ended_silence_is_not_delivered(silent_case, alice, mailoutbox):
    sweep_at(day(31))
    talk(silent_case, alice, day(32))
    with time_machine.travel(day(32, 1), tick=False):
        counts = services.deliver_pending()
    assert counts == {"cancelled": 1}  # the e-mail; the in-app one arrived with the sweep
    assert mailoutbox == []


def test_delivered_email_has_stable_message_id_and_no_personal_data(silent_case, mailoutbox):
    sweep_at(day(31))
    with time_machine.travel(day(31, 1), tick=False):
        services.deliver_pending()
    [message] = mailoutbox
    notification = Notification.objects.get(channel="email")
    assert message.extra_headers["Message-ID"] == notification.message_id
    assert "K-0001" in message.subject and "31" in message.subject
    assert f"/cases/{silent_case.pk}/" in message.body
    for secret in ("山田", "太郎", "やまだ", "たろう"):
        assert secret not in message.subject + message.body


def test_messages_are_in_the_recipients_language(centre_a, alice, mallory, mailoutbox):
    with time_machine.travel(START, tick=False):
        make_case(centre_a, alice)  # no counsellor: goes to mallory, who reads English
    sweep_at(day(31))
    with time_machine.travel(day(31, 1), tick=False):
        services.deliver_pending()
    assert [m.to for m in mailoutbox] == [[mallory.email]]
    assert "no contact" in mailoutbox[0].subject.lower()


# --- privacy over a whole seeded centre --------------------------------------------------


def test_no_outbound_text_of_a_seeded_centre_contains_personal_data(mailoutbox):
    from django.core.management import call_command

    from cases.models import CaseSensitiveInfo, ContactEntry

    call_command(
        "seed_demo",
        "--i-know-this-is-not-production",
        stdout=open("/dev/null", "w"),  # noqa: SIM115
    )
    services.sweep_silence()
    services.weekly_digests_queue()
    services.deliver_pending()
    secrets = set()
    for case in Case.objects.all():
        secrets |= {
            case.family_name,
            case.given_name,
            case.family_name_kana,
            case.given_name_kana,
            case.display_kana,
            case.display_name,
        }
    secrets |= set(ContactEntry.objects.values_list("note", flat=True))
    secrets |= set(ContactEntry.objects.values_list("next_action", flat=True))
    secrets |= set(CaseSensitiveInfo.objects.values_list("conditions", flat=True))
    secrets = {s for s in secrets if s and s.strip() and s != "（氏名未確認）"}
    texts = [m.subject + "\n" + m.body for m in mailoutbox]
    texts += [n.subject + "\n" + n.body + "\n" + str(n.context) for n in Notification.objects.all()]
    assert len(mailoutbox) > 10 and Notification.objects.filter(sent_at__isnull=False).count() > 20
    leaks = [(secret, text[:60]) for text in texts for secret in secrets if secret in text]
    assert leaks == []


def test_hooks_refuse_context_keys_that_could_carry_personal_data(centre_a, alice):
    with pytest.raises(UnsafeContext):
        services.notification_queue(
            recipients=[alice],
            kind="visit_announcement_due",
            context={"case_number": "K-0001", "name": "山田"},
            dedupe_key="visit:1",
        )


def test_hook_queues_once_per_dedupe_key(centre_a, alice, silent_case):
    context = {
        "case_id": silent_case.pk,
        "case_number": silent_case.case_number,
        "visit_id": 7,
        "visit_date": "2026-12-01",
    }
    for _ in range(2):
        services.notification_queue(
            recipients=[alice],
            kind="visit_announcement_due",
            context=context,
            dedupe_key="visit:7:announce",
            case=silent_case,
        )
    queued = Notification.objects.filter(dedupe_key="visit:7:announce")
    assert queued.count() == 2  # 2 channels
    # The in-app one is in the inbox at once; only the e-mail waits for a worker.
    assert queued.get(channel="in_app").sent_at is not None
    assert queued.get(channel="email").sent_at is None
    assert services.deliver_pending() == {"sent": 1}
    assert "K-0001" in mail.outbox[0].subject


def test_the_database_keeps_hook_notifications_unique(alice):
    from django.db import IntegrityError, transaction

    row = {"recipient": alice, "channel": "email", "kind": "weekly_digest", "dedupe_key": "k"}
    Notification.objects.create(**row)
    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.create(**row)  # what a racing get_or_create would do


def test_a_notification_whose_recipient_alert_or_case_vanished_is_cancelled_not_retried(
    silent_case, alice, centre_a, mailoutbox
):
    """The outbox's references are not checked by the database: a user, an alert or a case
    deleted while a notification about them was being queued leaves a row that points at
    nothing. Delivery cancels it once, instead of claiming it again after every timeout."""
    sweep_at(day(31))
    orphaned = Notification.objects.get(channel="email", recipient=alice)
    other = UserFactory(username="olivia")
    with time_machine.travel(day(31), tick=False):
        to_nobody = Notification.objects.create(
            recipient=other,
            channel="email",
            kind="weekly_digest",
            dedupe_key="digest:x",
            context={"silent": 0, "escalated": 0, "pausing": 0},
        )
        gone = make_case(centre_a, alice)
        about_gone_case = Notification.objects.create(
            recipient=alice,
            channel="email",
            kind="visit_announcement_due",
            dedupe_key="visit:1:announce",
            case=gone,
            context={
                "case_id": gone.pk,
                "case_number": gone.case_number,
                "visit_id": 1,
                "visit_date": "2026-12-01",
            },
        )
    # Deleted behind Django's back, as a concurrent delete would leave them.
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM cases_casesensitiveinfo WHERE case_id = %s", [gone.pk])
        cursor.execute("DELETE FROM cases_contactentry WHERE case_id = %s", [gone.pk])
        cursor.execute("DELETE FROM cases_casestatuschange WHERE case_id = %s", [gone.pk])
        cursor.execute("DELETE FROM cases_case WHERE id = %s", [gone.pk])
        cursor.execute("DELETE FROM reminders_casealert WHERE case_id = %s", [silent_case.pk])
        cursor.execute("DELETE FROM accounts_user_centres WHERE user_id = %s", [other.pk])
        cursor.execute("DELETE FROM accounts_user WHERE id = %s", [other.pk])
    with time_machine.travel(day(31, 1), tick=False):
        assert services.deliver_pending() == {"cancelled": 3}
    with time_machine.travel(day(32), tick=False):
        assert services.deliver_pending() == {}  # never claimed again
    assert mailoutbox == []
    for row in (orphaned, to_nobody, about_gone_case):
        row.refresh_from_db()
        assert row.cancelled_at is not None and row.sent_at is None


def test_deleting_a_case_or_a_user_takes_their_alerts_and_notifications(
    silent_case, alice, mallory
):
    """The outbox skips the database's foreign-key checks (their cost is per row, see
    bench/README.md); Django's on_delete still removes what refers to a deleted row."""
    sweep_at(day(31))
    sweep_at(day(38))
    assert CaseAlert.objects.filter(case=silent_case).count() == 2
    assert Notification.objects.filter(recipient=mallory).exists()
    mallory.delete()
    assert not Notification.objects.filter(recipient_id=mallory.pk).exists()
    assert Notification.objects.filter(case=silent_case).exists()  # alice's are kept
    Case.objects.filter(pk=silent_case.pk).delete()
    assert not CaseAlert.objects.filter(case_id=silent_case.pk).exists()
    assert not Notification.objects.filter(case_id=silent_case.pk).exists()


# --- inbox, escalations, digest, banner ---------------------------------------------------


def _deliver_alerts(centre, counsellor, n):
    with time_machine.travel(START, tick=False):
        for _ in range(n):
            make_case(centre, counsellor, primary_counsellor=counsellor)
    sweep_at(day(31))
    with time_machine.travel(day(31, 1), tick=False):
        services.deliver_pending()


def test_inbox_badge_list_and_mark_done(centre_a, alice, as_alice):
    _deliver_alerts(centre_a, alice, 2)
    home = as_alice.get(reverse("home"), follow=True).content.decode()
    assert 'data-testid="inbox-badge">2<' in home
    page = read_inbox(as_alice).content.decode()
    assert "K-0001" in page and "K-0002" in page and "/cases/" in page
    assert (
        'data-testid="inbox-badge"'
        not in as_alice.get(reverse("home"), follow=True).content.decode()
    )
    first = Notification.objects.filter(recipient=alice, channel="in_app").first()
    as_alice.post(reverse("reminders:mark_done", args=[first.pk]))
    page = as_alice.get(reverse("reminders:inbox")).content.decode()
    assert first.context["case_number"] not in page


def test_nobody_can_mark_another_users_notification(centre_a, alice, bob):
    _deliver_alerts(centre_a, alice, 1)
    notification = Notification.objects.filter(recipient=alice, channel="in_app").get()
    assert (
        client_for(bob).post(reverse("reminders:mark_done", args=[notification.pk])).status_code
        == 404
    )


def test_a_reminder_whose_silence_ended_is_shown_as_such_once_then_filed(
    silent_case, alice, as_alice
):
    sweep_at(day(31))
    talk(silent_case, alice, day(32), two_way=False)  # an unanswered call ends nothing
    inbox = reverse("reminders:inbox")
    page = read_inbox(as_alice).content.decode()
    assert "K-0001" in page and 'data-testid="silence-over"' not in page
    talk(silent_case, alice, day(32, 1))
    page = read_inbox(as_alice).content.decode()
    assert "K-0001" in page and 'data-testid="silence-over"' in page  # "contact since"
    assert "K-0001" not in as_alice.get(inbox).content.decode()  # filed as done
    assert (
        'data-testid="inbox-badge"'
        not in as_alice.get(reverse("home"), follow=True).content.decode()
    )
    everything = as_alice.get(inbox, {"done": "1"}).content.decode()
    assert "K-0001" in everything


def test_a_reminder_of_an_ongoing_silence_stays_until_marked_done(silent_case, alice, as_alice):
    sweep_at(day(31))
    inbox = reverse("reminders:inbox")
    read_inbox(as_alice)
    assert "K-0001" in as_alice.get(inbox).content.decode()
    notification = Notification.objects.get(recipient=alice, channel="in_app")
    assert notification.done_at is None and notification.read_at is not None


def test_inbox_query_count_does_not_grow_with_alerts(
    centre_a, alice, as_alice, django_assert_max_num_queries
):
    _deliver_alerts(centre_a, alice, 1)
    with django_assert_max_num_queries(15) as one:
        as_alice.get(reverse("reminders:inbox"))
    Notification.objects.all().delete()
    CaseAlert.objects.all().delete()
    Case.objects.all().delete()
    _deliver_alerts(centre_a, alice, 30)
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = as_alice.get(reverse("reminders:inbox"))
    assert len(response.context["items"]) == 30


def test_manager_sees_every_escalated_case_of_the_centre_only(
    centre_a, centre_b, alice, charlie, as_mallory, as_alice
):
    with time_machine.travel(START, tick=False):
        mine = make_case(centre_a, alice, primary_counsellor=alice)
        theirs = make_case(centre_b, charlie, primary_counsellor=charlie)
    sweep_at(day(31))
    sweep_at(day(38))
    body = as_mallory.get(reverse("reminders:escalations")).content.decode()
    assert mine.case_number in body and reverse("cases:detail", args=[theirs.pk]) not in body
    assert as_alice.get(reverse("reminders:escalations")).status_code == 403


def test_escalations_page_query_count_does_not_grow_with_cases_or_failures(
    centre_a, alice, as_mallory, django_assert_max_num_queries
):
    def escalate(n: int) -> None:
        with time_machine.travel(START, tick=False):
            for _ in range(n):
                make_case(centre_a, alice, primary_counsellor=alice)
        sweep_at(day(31))
        sweep_at(day(38))
        Notification.objects.filter(channel="email", failed_at__isnull=True).update(
            failed_at=day(38), attempts=5
        )

    url = reverse("reminders:escalations")
    escalate(1)
    with django_assert_max_num_queries(20) as one:
        as_mallory.get(url)
    escalate(20)
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = as_mallory.get(url)
    assert response.context["page"].paginator.count == 21
    assert len(response.context["failed"]) > 21


def test_weekly_digest_per_counsellor_and_manager_with_opt_out(centre_a, alice, mallory, bob):
    _deliver_alerts(centre_a, alice, 3)
    mail.outbox.clear()
    bob.weekly_digest = True
    bob.save()
    with time_machine.travel(day(32), tick=False):
        assert services.weekly_digests_queue() == 2  # alice and mallory; staff get none
        assert services.weekly_digests_queue() == 0  # once a week
        services.deliver_pending()
    by_user = {m.to[0]: m.body for m in mail.outbox}
    assert "3" in by_user[alice.email] and set(by_user) == {alice.email, mallory.email}
    alice.weekly_digest = False
    alice.save()
    with time_machine.travel(day(40), tick=False):
        assert services.weekly_digests_queue() == 1


def test_managers_see_a_banner_when_the_sweep_is_stale(as_mallory, as_alice):
    assert 'data-testid="sweep-stale"' in as_mallory.get(reverse("home")).content.decode()
    services.sweep_silence()
    assert 'data-testid="sweep-stale"' not in as_mallory.get(reverse("home")).content.decode()
    assert (
        'data-testid="sweep-stale"'
        not in as_alice.get(reverse("home"), follow=True).content.decode()
    )


def test_sweep_command_runs(capsys):
    from django.core.management import call_command

    call_command("sweep_silence")
    assert "sweep:" in capsys.readouterr().out


def test_a_claim_taken_over_after_the_timeout_is_not_sent_by_its_first_owner(
    silent_case, mailoutbox, settings
):
    import uuid

    sweep_at(day(31))
    first, second = uuid.uuid4(), uuid.uuid4()
    with time_machine.travel(day(31, 1), tick=False):
        claimed = services.notifications_claim(token=first)
    assert len(claimed) == 1  # the e-mail: in-app notifications are never claimed
    with time_machine.travel(day(31, 1) + settings.NOTIFICATION_CLAIM_TIMEOUT / 2, tick=False):
        assert services.notifications_claim(token=second) == []  # still held
    with time_machine.travel(day(31, 2), tick=False):
        assert services.notifications_claim(token=second) == claimed  # the first run died
        outcomes = [
            services.notification_deliver(notification_id=pk, token=first) for pk in claimed
        ]
        assert outcomes == ["skipped"]
        outcomes = [
            services.notification_deliver(notification_id=pk, token=second) for pk in claimed
        ]
    assert outcomes == ["sent"] and len(mailoutbox) == 1


def test_a_counsellor_who_left_the_centre_is_not_reminded_the_managers_are(
    silent_case, alice, centre_a, centre_b
):
    alice.centres.set([centre_b])
    sweep_at(day(31))
    recipients = set(Notification.objects.values_list("recipient__username", flat=True))
    assert recipients == {"mallory"}


def test_long_case_numbers_are_not_cut_in_messages(centre_a, alice):
    centre_a.last_case_number = 12344
    centre_a.save()
    with time_machine.travel(START, tick=False):
        case = make_case(centre_a, alice, primary_counsellor=alice)
    sweep_at(day(31))
    assert case.case_number == "K-12345"
    assert {n.context["case_number"] for n in Notification.objects.all()} == {"K-12345"}


def test_inbox_marks_read_only_what_was_shown(centre_a, alice, as_alice):
    _deliver_alerts(centre_a, alice, 35)  # two pages of 30
    read_inbox(as_alice)
    unread = Notification.objects.filter(recipient=alice, channel="in_app", read_at__isnull=True)
    assert unread.count() == 5


@pytest.mark.django_db(transaction=True)
def test_a_parallel_sweep_alerts_every_due_case_exactly_once(centre_a, alice, mallory):
    with time_machine.travel(START, tick=False):
        cases = [make_case(centre_a, alice, primary_counsellor=alice) for _ in range(60)]
    result = services.sweep_silence(now=day(31), batch_size=7, parallel=3)
    assert (result.due, result.reminded) == (len(cases), len(cases))
    assert CaseAlert.objects.filter(stage="reminded").count() == len(cases)
    assert Notification.objects.count() == 2 * len(cases)
    assert not Case.objects.filter(silence_stage="ok").exists()


def test_inside_a_transaction_the_sweep_stays_on_the_callers_connection(silent_case):
    # Other connections could not see the uncommitted case: the sweep must not hand off.
    assert services.sweep_silence(now=day(31), parallel=4).reminded == 1


def test_escalation_of_a_centre_without_manager_goes_to_the_administrators(centre_b, charlie):
    from accounts.models import Role
    from tests.factories import UserFactory

    admin = UserFactory(role=Role.ADMIN)
    with time_machine.travel(START, tick=False):
        make_case(centre_b, charlie, primary_counsellor=charlie)
    sweep_at(day(31))
    sweep_at(day(38))
    escalated = Notification.objects.filter(kind="silence_escalated")
    assert set(escalated.values_list("recipient_id", flat=True)) == {charlie.pk, admin.pk}


def test_a_failed_digest_is_visible_to_the_centres_manager(centre_a, alice, as_mallory):
    with time_machine.travel(day(1), tick=False):
        services.weekly_digests_queue()
    digest = Notification.objects.get(recipient=alice, kind="weekly_digest")
    assert digest.centre_id == centre_a.pk
    Notification.objects.filter(pk=digest.pk).update(failed_at=timezone.now(), attempts=5)
    assert "weekly_digest" in as_mallory.get(reverse("reminders:escalations")).content.decode()


def test_escalation_text_differs_for_the_counsellor_and_the_manager(silent_case, alice, mallory):
    sweep_at(day(31))
    sweep_at(day(38))
    with time_machine.travel(day(38, 1), tick=False):
        services.deliver_pending()
    texts = {m.to[0]: m.body for m in mail.outbox if "38" in m.subject}
    assert "所長にも連絡しました" in texts[alice.email]
    assert "with the responsible counsellor" in texts[mallory.email]  # mallory reads English
