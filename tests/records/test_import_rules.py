"""All or nothing, the user's choice to skip, the same file checked by its hash, and the
centre's walls: a counsellor or a case of another centre named in a file is refused, never
linked."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from accounts.models import Role
from cases.models import Case, ContactEntry
from records import services
from records.models import ImportedKey, ImportJob, ImportStatus
from tests.factories import UserFactory, make_case
from tests.records.fixtures import CASE_HEADERS, contact_log, csv_bytes, xlsx_bytes
from tests.records.import_helpers import (  # noqa: F401 (a fixture)
    alice_named_in_the_book,
    confirm,
    counts,
    dry_run,
    issues,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("alice_named_in_the_book")]

HEADERS = ["No.", "氏名", "初回相談日", "初回相談者", "担当者"]


def book(*rows: list[str]) -> bytes:
    return csv_bytes([HEADERS, *rows])


def test_a_bad_row_in_the_middle_writes_nothing_on_confirm(centre_a, mallory, alice):
    data = book(
        ["1", "山田 太郎", "2024/4/1", "母", "alice"],
        ["2", "鈴木 一郎", "2024/4/2", "父", "alice"],
        ["3", "佐藤 次郎", "2024/13/40", "母", "alice"],  # the bad row, in the middle
        ["4", "高橋 三郎", "2024/4/4", "本人", "alice"],
        ["5", "田中 四郎", "2024/4/5", "家族", "alice"],
    )
    job = dry_run(centre_a, mallory, "cases", data)
    assert counts(job) == {"created": 4, "updated": 0, "unchanged": 0, "invalid": 1}
    assert [line for line, _col, _reason in issues(job)] == [4]
    with pytest.raises(ValidationError, match="取り込めない行が1行あります"):
        services.import_confirm(
            job=job,
            by=mallory,
            file_hash=job.file_hash,
            fingerprint=job.checked_fingerprint,
            skip_invalid=False,
        )
    job.refresh_from_db()
    assert job.status == ImportStatus.CHECKED  # still there, to fix or to skip
    assert not Case.objects.exists() and not ImportedKey.objects.exists()
    # Chosen knowingly: the good rows are imported, the bad one reported.
    job = confirm(job, mallory, skip_invalid=True)
    assert counts(job, "") == {"created": 4, "updated": 0, "unchanged": 0, "skipped": 1}
    assert Case.objects.count() == 4


def test_a_row_that_became_invalid_after_the_dry_run_stops_the_import_before_any_write(
    centre_a, mallory, alice
):
    data = book(
        ["1", "山田 太郎", "2024/4/1", "母", "alice"],
        ["2", "鈴木 一郎", "2024/4/2", "父", "alice"],
    )
    job = dry_run(centre_a, mallory, "cases", data)
    assert counts(job) == {"created": 2, "updated": 0, "unchanged": 0, "invalid": 0}
    alice.is_active = False  # she left between the dry run and the confirmation
    alice.save()
    job = confirm(job, mallory)
    assert job.status == ImportStatus.CHECKED and "何も書き込んでいません" in job.failure
    assert counts(job) == {"created": 0, "updated": 0, "unchanged": 0, "invalid": 2}
    assert not Case.objects.exists()


def test_confirming_needs_the_same_file_and_the_same_reading(centre_a, mallory, alice):
    job = dry_run(centre_a, mallory, "cases", book(["1", "山田 太郎", "2024/4/1", "母", "alice"]))
    for file_hash, fingerprint in [
        ("0" * 64, job.checked_fingerprint),
        (job.file_hash, "0" * 64),
    ]:
        with pytest.raises(ValidationError, match="確認したファイルと違います"):
            services.import_confirm(
                job=job, by=mallory, file_hash=file_hash, fingerprint=fingerprint, skip_invalid=True
            )
    assert not Case.objects.exists()


def test_a_counsellor_of_another_centre_named_in_the_file_is_refused(
    centre_a, centre_b, mallory, alice, charlie
):
    charlie.display_name = "高橋 千尋"
    charlie.save()
    data = book(
        ["1", "山田 太郎", "2024/4/1", "母", "alice"],
        ["2", "鈴木 一郎", "2024/4/2", "父", "高橋 千尋"],
        ["3", "佐藤 次郎", "2024/4/3", "母", "charlie"],
    )
    job = dry_run(centre_a, mallory, "cases", data)
    assert counts(job) == {"created": 1, "updated": 0, "unchanged": 0, "invalid": 2}
    assert [(line, column) for line, column, _reason in issues(job)] == [
        (3, "担当者"),
        (4, "担当者"),
    ]
    assert "このセンターの在職中の職員に見つかりません" in issues(job)[0][2]
    confirm(job, mallory, skip_invalid=True)
    assert not Case.objects.filter(primary_counsellor=charlie).exists()
    assert Case.objects.get().primary_counsellor == alice


def test_a_staff_member_is_no_case_owner(centre_a, mallory, alice, bob):
    job = dry_run(centre_a, mallory, "cases", book(["1", "山田 太郎", "2024/4/1", "母", "bob"]))
    assert issues(job) == [
        (2, "担当者", "担当者はこのセンターの在職中の相談員または所長から選んでください。")
    ]


def test_contacts_of_another_centres_case_are_refused(centre_a, centre_b, mallory, alice, charlie):
    theirs = make_case(centre_b, charlie)  # S-0001
    ours = make_case(centre_a, alice)  # K-0001
    rows = [
        ["ケース番号", "相談日", "相談方法", "相談者", "相談内容"],
        ["K-0001", "2024/4/1", "電話", "母", "ours"],
        ["S-0001", "2024/4/1", "電話", "母", "theirs"],
        [str(theirs.pk), "2024/4/1", "電話", "母", "by id"],
    ]
    job = dry_run(centre_a, mallory, "contacts", csv_bytes(rows))
    assert counts(job) == {"created": 1, "updated": 0, "unchanged": 0, "invalid": 2}
    assert [line for line, _c, _r in issues(job)] == [3, 4]
    confirm(job, mallory, skip_invalid=True)
    assert list(ContactEntry.objects.values_list("case", flat=True)) == [ours.pk]
    assert not theirs.contacts.exists()


def test_one_import_writes_at_a_time_in_a_centre(centre_a, mallory, alice):
    first = dry_run(centre_a, mallory, "cases", book(["1", "山田 太郎", "2024/4/1", "母", "alice"]))
    second = dry_run(
        centre_a, mallory, "cases", book(["2", "鈴木 一郎", "2024/4/2", "父", "alice"])
    )
    services.import_confirm(
        job=first,
        by=mallory,
        file_hash=first.file_hash,
        fingerprint=first.checked_fingerprint,
        skip_invalid=False,
    )
    with pytest.raises(ValidationError, match="別の取り込みが実行中です"):
        services.import_confirm(
            job=second,
            by=mallory,
            file_hash=second.file_hash,
            fingerprint=second.checked_fingerprint,
            skip_invalid=False,
        )
    assert ImportJob.objects.get(pk=second.pk).status == ImportStatus.CHECKED


def test_a_workbook_sheet_is_chosen_and_the_title_row_skipped(centre_a, mallory, alice):
    make_case(centre_a, alice)
    data = xlsx_bytes({"メモ": [["これは説明のシートです"]], "相談記録": contact_log()[:3]})
    job = services.import_upload(
        centre=centre_a,
        by=mallory,
        shape="contacts",
        file_name="log.xlsx",
        data=data,
        language="ja",
    )
    assert job.sheet_names == ["メモ", "相談記録"]
    job = services.import_read_as(job=job, sheet="相談記録")
    assert job.header_row == 2 and job.headers[:3] == ["ケース番号", "相談日", "時刻"]


def test_a_case_book_without_a_column_that_identifies_its_rows_is_refused(centre_a, mallory):
    job = services.import_upload(
        centre=centre_a,
        by=mallory,
        shape="cases",
        file_name="x.csv",
        data=csv_bytes([CASE_HEADERS[1:], ["山田 太郎"]]),
        language="ja",
    )
    with pytest.raises(ValidationError) as refused:
        services.import_set_mapping(
            job=job,
            by=mallory,
            sheet=job.sheet,
            header_row=job.header_row,
            columns={int(k): v for k, v in job.columns.items()},
        )
    assert any("行を見分ける列" in message for message in refused.value.messages)


def test_a_counsellor_found_by_login_or_display_name_but_never_two_at_once(
    centre_a, mallory, alice
):
    UserFactory(
        username="alice2", display_name="相談員アリス", role=Role.COUNSELLOR, centre=centre_a
    )
    job = dry_run(
        centre_a, mallory, "cases", book(["1", "山田 太郎", "2024/4/1", "母", "相談員アリス"])
    )
    assert issues(job) == [
        (2, "担当者", "「相談員アリス」という職員が複数います。ログインIDで入力してください。")
    ]
