import datetime as dt
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from accounts.models import AuditAction, AuditEvent
from cases import services
from cases.models import (
    Case,
    CaseStatus,
    ConsentScope,
    DestinationKind,
    Referral,
    SilenceStage,
)
from tests.factories import make_case, record_contact

pytestmark = pytest.mark.django_db


def test_case_numbers_are_per_centre_and_formatted(centre_a, centre_b, alice, charlie):
    first = make_case(centre_a, alice)
    second = make_case(centre_a, alice)
    other = make_case(centre_b, charlie)
    assert (first.case_number, second.case_number) == ("K-0001", "K-0002")
    assert other.case_number == "S-0001"


def test_database_refuses_a_duplicate_case_number(centre_a, alice):
    case = make_case(centre_a, alice)
    duplicate = Case(
        centre=centre_a,
        number=case.number,
        first_contact_date=timezone.localdate(),
        first_contact_by="family",
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()


@pytest.mark.django_db(transaction=True)
def test_concurrent_intakes_get_distinct_case_numbers(centre_a, alice):
    threads, per_thread, numbers, errors = 8, 5, [], []
    barrier = threading.Barrier(threads)

    def intake() -> None:
        try:
            barrier.wait()
            for _ in range(per_thread):
                numbers.append(make_case(centre_a, alice).number)
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=intake) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    assert sorted(numbers) == list(range(1, threads * per_thread + 1))


def test_one_way_contact_does_not_move_the_silence_clock(centre_a, alice):
    case = make_case(centre_a, alice)
    record_contact(case, alice, two_way=False)
    case.refresh_from_db()
    assert case.last_two_way_contact_at is None


def test_two_way_contact_moves_the_clock_in_the_same_transaction(centre_a, alice):
    case = make_case(centre_a, alice)
    Case.objects.filter(pk=case.pk).update(
        silence_stage=SilenceStage.REMINDED,
        silence_clock_started_at=timezone.now() - dt.timedelta(days=40),
    )
    at = timezone.now() - dt.timedelta(minutes=1)
    record_contact(case, alice, at=at)
    case.refresh_from_db()
    assert case.last_two_way_contact_at == at
    assert case.silence_stage == SilenceStage.OK
    assert case.next_check_at == at + dt.timedelta(days=30)


def test_an_older_two_way_contact_never_moves_the_clock_backwards(centre_a, alice):
    case = make_case(centre_a, alice)
    recent = timezone.now() - dt.timedelta(days=1)
    record_contact(case, alice, at=recent)
    record_contact(case, alice, at=recent - dt.timedelta(days=10))
    case.refresh_from_db()
    assert case.last_two_way_contact_at == recent


def test_contact_in_the_future_is_refused(centre_a, alice):
    case = make_case(centre_a, alice)
    with pytest.raises(ValidationError):
        record_contact(case, alice, at=timezone.now() + dt.timedelta(days=1))


def test_stale_edit_is_refused(centre_a, alice, mallory):
    case = make_case(centre_a, alice)
    services.case_update(case=case, by=alice, changes={"given_name": "一郎"}, expected_version=1)
    stale = Case.objects.get(pk=case.pk)
    with pytest.raises(services.StaleEdit):
        services.case_update(
            case=stale, by=mallory, changes={"given_name": "次郎"}, expected_version=1
        )
    assert Case.objects.get(pk=case.pk).given_name == "一郎"


def test_close_needs_a_reason_and_reopen_starts_a_new_episode(centre_a, alice):
    case = make_case(centre_a, alice)
    with pytest.raises(ValidationError):
        services.case_change_status(case=case, by=alice, to_status=CaseStatus.CLOSED)
    case = services.case_change_status(
        case=case, by=alice, to_status=CaseStatus.CLOSED, closure_reason="goal_reached"
    )
    assert case.next_check_at is None
    case = services.case_change_status(
        case=case, by=alice, to_status=CaseStatus.OPEN, note="再ひきこもり"
    )
    assert case.episode == 2
    assert case.closure_reason == ""
    history = list(case.status_changes.order_by("at").values_list("to_status", "episode"))
    assert history == [("open", 1), ("closed", 1), ("open", 2)]


def test_pause_needs_a_future_expiry_and_resumes_when_it_passes(centre_a, alice):
    case = make_case(centre_a, alice)
    with pytest.raises(ValidationError):
        services.case_change_status(
            case=case, by=alice, to_status=CaseStatus.PAUSED, paused_until=timezone.localdate()
        )
    until = timezone.localdate() + dt.timedelta(days=3)
    case = services.case_change_status(
        case=case, by=alice, to_status=CaseStatus.PAUSED, paused_until=until
    )
    assert case.next_check_at is None
    assert services.cases_resume_expired_pauses(today=until - dt.timedelta(days=1)) == 0
    assert services.cases_resume_expired_pauses(today=until) == 1
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN
    assert case.next_check_at is not None
    assert case.status_changes.filter(by__isnull=True, to_status="open").exists()


def test_referral_cannot_be_sent_without_consent_or_legal_basis(centre_a, alice):
    case = make_case(centre_a, alice)
    referral = services.referral_create(
        case=case,
        by=alice,
        fields={
            "destination_kind": DestinationKind.SAPOSTE,
            "destination_name": "サポステ",
            "referred_on": timezone.localdate(),
        },
    )
    with pytest.raises(ValidationError):
        services.referral_mark_sent(referral=referral, by=alice)
    consent = services.consent_record(
        case=case,
        by=alice,
        fields={
            "scope": ConsentScope.SHARE_WITH_AGENCY,
            "given_by": "本人",
            "given_on": timezone.localdate(),
        },
    )
    referral.consent = consent
    referral.save()
    services.referral_mark_sent(referral=referral, by=alice)
    assert referral.sent_at is not None


def test_withdrawn_consent_does_not_allow_sending(centre_a, alice):
    case = make_case(centre_a, alice)
    consent = services.consent_record(
        case=case,
        by=alice,
        fields={
            "scope": ConsentScope.SHARE_WITH_AGENCY,
            "given_by": "母",
            "given_on": timezone.localdate() - dt.timedelta(days=5),
        },
    )
    referral = services.referral_create(
        case=case,
        by=alice,
        fields={
            "destination_kind": DestinationKind.MEDICAL,
            "destination_name": "クリニック",
            "referred_on": timezone.localdate(),
            "consent": consent,
        },
    )
    services.consent_withdraw(consent=consent, by=alice, on=timezone.localdate())
    referral.consent.refresh_from_db()
    with pytest.raises(ValidationError):
        services.referral_mark_sent(referral=referral, by=alice)


def test_legal_basis_of_a_support_conference_allows_sending(centre_a, alice):
    case = make_case(centre_a, alice)
    referral = services.referral_create(
        case=case,
        by=alice,
        fields={
            "destination_kind": DestinationKind.WELFARE_OFFICE,
            "destination_name": "福祉事務所",
            "referred_on": timezone.localdate(),
            "legal_basis": "支援会議（2026年11月20日）",
        },
    )
    services.referral_mark_sent(referral=referral, by=alice)
    assert Referral.objects.get(pk=referral.pk).sent_at is not None


def test_database_refuses_a_sent_referral_without_basis(centre_a, alice):
    case = make_case(centre_a, alice)
    with pytest.raises(IntegrityError), transaction.atomic():
        Referral.objects.create(
            case=case,
            created_by=alice,
            destination_kind="other",
            destination_name="x",
            referred_on=timezone.localdate(),
            sent_at=timezone.now(),
        )


def test_audit_events_are_written_and_cannot_be_changed_or_deleted(centre_a, alice):
    case = make_case(centre_a, alice)
    event = AuditEvent.objects.get(case_id=case.pk, action=AuditAction.CREATE)
    assert event.user == alice
    event.action = AuditAction.VIEW
    with pytest.raises(DatabaseError), transaction.atomic():
        event.save()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).action == AuditAction.CREATE


def test_audit_records_field_names_not_values(centre_a, alice):
    case = make_case(centre_a, alice)
    services.case_update(
        case=case, by=alice, changes={"given_name": "秘密の名前"}, expected_version=1
    )
    event = AuditEvent.objects.get(case_id=case.pk, action=AuditAction.CHANGE)
    assert event.changed_fields == ["given_name"]
    assert "秘密" not in str(event.__dict__)


def test_search_text_matches_hiragana_and_katakana(centre_a, alice):
    case = make_case(centre_a, alice, family_name_kana="ヤマダ", given_name_kana="タロウ")
    assert "やまだ" in case.search_text
    assert services.normalise_for_search("ﾔﾏﾀﾞ") == "やまだ"
