"""The case book (CP932 CSV as Excel in Japan saves it): the dry run reports exactly what it
would do and every row it can't import, confirming writes exactly that through the case
services, and importing the same file again changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accounts.models import AuditAction, AuditEvent
from cases.models import Case, CaseStatusChange
from records import services
from records.models import ImportedKey, ImportFile, ImportStatus
from tests.records.fixtures import case_book, csv_bytes
from tests.records.import_helpers import (  # noqa: F401 (a fixture)
    alice_named_in_the_book,
    confirm,
    counts,
    dry_run,
    issues,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("alice_named_in_the_book")]

NO_SUCH_DAY = "その日付は存在しません。月と日を確かめてください。"
NOT_A_PHONE = (
    "電話番号として読み取れません。03-1234-5678 や 090-1234-5678 の形式で入力してください。"
)


@pytest.fixture
def book() -> bytes:
    return csv_bytes(case_book(), encoding="cp932")


def test_the_file_is_read_as_cp932_and_the_columns_suggested_from_the_headers(
    centre_a, mallory, book
):
    job = services.import_upload(
        centre=centre_a, by=mallory, shape="cases", file_name="台帳.csv", data=book, language="ja"
    )
    assert (job.file_kind, job.encoding, job.header_row) == ("csv", "cp932", 1)
    assert job.headers[:4] == ["No.", "氏名", "フリガナ", "生年月日"]
    suggested = {job.headers[int(index)]: key for index, key in job.columns.items()}
    assert suggested == {
        "No.": "external_id",
        "氏名": "full_name",
        "フリガナ": "full_name_kana",
        "生年月日": "birth_date",
        "性別": "gender",
        "住所": "address",
        "電話番号": "phone",
        "初回相談日": "first_contact_date",
        "初回相談者": "first_contact_by",
        "ひきこもり開始": "withdrawal_since",
        "状態": "status",
        "担当者": "primary_counsellor",
        "休止期限": "paused_until",
        "終結理由": "closure_reason",
    }  # 備考 has no field: not imported


def test_dry_run_reports_exactly_and_writes_nothing(centre_a, mallory, alice, book):
    job = dry_run(centre_a, mallory, "cases", book)
    assert job.status == ImportStatus.CHECKED
    assert counts(job) == {"created": 6, "updated": 0, "unchanged": 0, "invalid": 2}
    assert issues(job) == [(6, "生年月日", NO_SUCH_DAY), (9, "電話番号", NOT_A_PHONE)]
    assert not Case.objects.exists() and not ImportedKey.objects.exists()


def test_confirm_writes_exactly_the_dry_run_through_the_case_services(
    centre_a, mallory, alice, book
):
    job = confirm(dry_run(centre_a, mallory, "cases", book), mallory, skip_invalid=True)
    assert job.status == ImportStatus.DONE
    assert counts(job, "") == {"created": 6, "updated": 0, "unchanged": 0, "skipped": 2}
    assert issues(job) == [(6, "生年月日", NO_SUCH_DAY), (9, "電話番号", NOT_A_PHONE)]
    cases = {
        key: Case.objects.get(pk=pk)
        for key, pk in ImportedKey.objects.values_list("key", "object_id")
    }
    assert set(cases) == {"1", "2", "3", "4", "6", "7"}
    yamada = cases["1"]
    assert (yamada.family_name, yamada.given_name) == ("山田", "太郎")
    assert (yamada.family_name_kana, yamada.given_name_kana) == ("やまだ", "たろう")
    assert yamada.birth_date == dt.date(1988, 5, 12)
    assert (yamada.prefecture, yamada.address_line) == ("東京都", "港区芝1-2-3")
    assert str(yamada.phone.as_e164) == "+81312345678"
    assert (yamada.first_contact_date, yamada.first_contact_by) == (dt.date(2019, 4, 8), "family")
    assert yamada.withdrawal_since_year == 2015 and yamada.primary_counsellor == alice
    suzuki = cases["2"]
    assert (suzuki.given_name_kana, suzuki.gender) == ("いちろう", "male")
    assert str(suzuki.phone.as_e164) == "+819012345678"
    assert suzuki.first_contact_date == dt.date(2019, 6, 3)
    assert (suzuki.withdrawal_since_year, suzuki.withdrawal_since_month) == (2015, 4)
    assert suzuki.birth_date == dt.date(1993, 3, 2) and suzuki.primary_counsellor == alice
    assert (cases["3"].status, cases["3"].paused_until) == ("paused", dt.date(2099, 3, 31))
    assert (cases["4"].status, cases["4"].closure_reason, cases["4"].first_contact_by) == (
        "closed",
        "goal_reached",
        "agency",
    )
    assert cases["6"].first_contact_date == dt.date(2022, 11, 24)
    assert (cases["7"].gender, cases["7"].status, cases["7"].given_name_kana) == (
        "unanswered",
        "open",
        "しょう",
    )
    # Numbered, audited and on the silence clock like a case opened by hand.
    assert sorted(c.number for c in cases.values()) == [1, 2, 3, 4, 5, 6]
    assert AuditEvent.objects.filter(action=AuditAction.CREATE, model="cases.case").count() == 6
    assert CaseStatusChange.objects.count() == 6
    assert all(c.next_check_at for c in cases.values() if c.status == "open")
    # The import itself is audited (who, which fields), and its file is gone.
    event = AuditEvent.objects.get(action=AuditAction.IMPORT)
    assert (event.user, event.object_id, event.centre_id) == (mallory, job.pk, centre_a.pk)
    assert "birth_date" in event.changed_fields and not ImportFile.objects.exists()


def test_importing_the_same_file_again_changes_nothing(centre_a, mallory, alice, book):
    confirm(dry_run(centre_a, mallory, "cases", book), mallory, skip_invalid=True)
    before = list(Case.objects.order_by("pk").values())
    audit = AuditEvent.objects.count()
    again = dry_run(centre_a, mallory, "cases", book)
    assert counts(again) == {"created": 0, "updated": 0, "unchanged": 6, "invalid": 2}
    again = confirm(again, mallory, skip_invalid=True)
    assert counts(again, "") == {"created": 0, "updated": 0, "unchanged": 6, "skipped": 2}
    assert list(Case.objects.order_by("pk").values()) == before
    assert AuditEvent.objects.count() == audit + 1  # the second import's own event only


def test_a_changed_row_updates_its_case_through_the_services(centre_a, mallory, alice, book):
    confirm(dry_run(centre_a, mallory, "cases", book), mallory, skip_invalid=True)
    rows = case_book()
    rows[2][6] = "080-1111-2222"  # 鈴木's new phone
    rows[1][10] = "終結"  # 山田 closed...
    rows[1][14] = "転居"  # ...because the family moved...
    for index, row in enumerate(rows):  # ...on the day the book says
        row.append("終結日" if index == 0 else "令和6年3月31日" if index == 1 else "")
    job = dry_run(centre_a, mallory, "cases", csv_bytes(rows))
    assert counts(job) == {"created": 0, "updated": 2, "unchanged": 4, "invalid": 2}
    confirm(job, mallory, skip_invalid=True)
    yamada = Case.objects.get(pk=ImportedKey.objects.get(key="1").object_id)
    suzuki = Case.objects.get(pk=ImportedKey.objects.get(key="2").object_id)
    assert (yamada.status, yamada.closure_reason) == ("closed", "moved")
    assert timezone.localtime(yamada.closed_at) == timezone.make_aware(dt.datetime(2024, 3, 31))
    assert yamada.status_changes.filter(to_status="closed").exists()
    assert str(suzuki.phone.as_e164) == "+818011112222" and suzuki.version == 2
