"""The import pages: a manager uploads, checks the columns, reads the dry run's report and
confirms it; the progress of a worker's run is polled; outsiders get a 404, other roles a
403; each page's queries are pinned at 1 and 20 rows."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Role
from cases.models import Case
from records import services
from records.models import ImportJob, ImportMapping, ImportStatus
from records.services import imports as import_services
from tests.factories import UserFactory, client_for
from tests.records.fixtures import case_book, csv_bytes
from tests.records.import_helpers import (  # noqa: F401 (a fixture)
    alice_named_in_the_book,
    confirm,
    dry_run,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("alice_named_in_the_book")]


def upload(client, data: bytes, *, shape: str = "cases", name: str = "台帳.csv"):
    return client.post(
        reverse("records:import_home"),
        {"shape": shape, "file": SimpleUploadedFile(name, data, content_type="text/csv")},
    )


def test_a_manager_imports_a_cp932_case_book_through_the_pages(as_mallory, centre_a, alice):
    response = upload(as_mallory, csv_bytes(case_book()))
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "records:import_columns", args=[job.pk]
    )
    page = as_mallory.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert 'value="full_name" selected' in html and "山田 太郎" in html  # the preview

    columns = {f"col_{index}": key for index, key in job.columns.items()}
    response = as_mallory.post(
        reverse("records:import_columns", args=[job.pk]),
        {**columns, "check": "1", "save_as": "ケース台帳"},
    )
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportStatus.CHECKED  # a small file is checked in the request
    assert ImportMapping.objects.get().name == "ケース台帳"
    report = as_mallory.get(reverse("records:import_job", args=[job.pk])).content.decode()
    assert (
        'data-count="planned_created">6<' in report and 'data-count="planned_invalid">2<' in report
    )
    assert 'data-line="6"' in report and "その日付は存在しません" in report
    assert job.file_hash in report

    response = as_mallory.post(
        reverse("records:import_confirm", args=[job.pk]),
        {"file_hash": job.file_hash, "fingerprint": job.checked_fingerprint, "skip_invalid": "on"},
    )
    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.status, job.created, job.skipped) == (ImportStatus.DONE, 6, 2)
    assert Case.objects.count() == 6
    history = as_mallory.get(reverse("records:import_home")).content.decode()
    assert f'data-job="{job.pk}"' in history


def test_saving_a_mapping_under_a_colleague_s_name_is_refused_not_overwritten(
    as_mallory, centre_a, alice
):
    """The centre's saved mappings are shared: a name already used for another book's
    mapping is refused on the columns page, the choices made there kept, the other mapping
    as it was."""
    theirs = ImportMapping.objects.create(
        centre=centre_a,
        shape="cases",
        name="ケース台帳",
        columns={"氏名（別の台帳）": "full_name"},
        created_by=alice,
    )
    upload(as_mallory, csv_bytes(case_book()))
    job = ImportJob.objects.get()
    assert job.mapping_id is None  # the headers are not the other book's
    columns = {f"col_{index}": key for index, key in job.columns.items()}
    columns["col_12"] = "address_line"
    response = as_mallory.post(
        reverse("records:import_columns", args=[job.pk]),
        {**columns, "check": "1", "save_as": "ケース台帳"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "「ケース台帳」という名前の対応付けはすでにあります" in html
    assert 'value="address_line" selected' in html  # what was chosen is still chosen
    theirs.refresh_from_db()
    assert theirs.columns == {"氏名（別の台帳）": "full_name"}
    job.refresh_from_db()
    assert job.status == ImportStatus.UPLOADED and ImportMapping.objects.count() == 1


def test_confirming_without_skipping_a_bad_row_writes_nothing_and_says_why(
    as_mallory, centre_a, mallory, alice
):
    job = dry_run(centre_a, mallory, "cases", csv_bytes(case_book()))
    response = as_mallory.post(
        reverse("records:import_confirm", args=[job.pk]),
        {"file_hash": job.file_hash, "fingerprint": job.checked_fingerprint},
        follow=True,
    )
    assert "取り込めない行が2行あります" in response.content.decode()
    assert not Case.objects.exists()


def test_a_forged_hash_is_refused(as_mallory, centre_a, mallory, alice):
    job = dry_run(centre_a, mallory, "cases", csv_bytes(case_book()))
    response = as_mallory.post(
        reverse("records:import_confirm", args=[job.pk]),
        {"file_hash": "f" * 64, "fingerprint": job.checked_fingerprint, "skip_invalid": "on"},
        follow=True,
    )
    assert "確認したファイルと違います" in response.content.decode()
    assert not Case.objects.exists()


def test_a_file_that_is_no_spreadsheet_is_refused_with_a_reason(as_mallory):
    response = upload(as_mallory, b"\xd0\xcf\x11\xe0" + b"\x00" * 64, name="old.xls")
    assert response.status_code == 400
    assert ".xls" in response.content.decode() and not ImportJob.objects.exists()


def test_the_dry_run_speaks_the_readers_language(as_mallory, centre_a, alice):
    as_mallory.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    upload(as_mallory, csv_bytes(case_book()))
    job = ImportJob.objects.get()
    columns = {f"col_{index}": key for index, key in job.columns.items()}
    as_mallory.post(reverse("records:import_columns", args=[job.pk]), {**columns, "check": "1"})
    reasons = set(job.issues.values_list("reason", flat=True))
    assert "That date does not exist. Check the month and the day." in reasons


def test_a_large_file_goes_to_a_worker_and_its_page_polls_the_progress(
    as_mallory, centre_a, mallory, alice, monkeypatch
):
    monkeypatch.setattr(import_services, "INLINE_MAX_BYTES", 0)
    upload(as_mallory, csv_bytes(case_book()))
    job = ImportJob.objects.get()
    columns = {f"col_{index}": key for index, key in job.columns.items()}
    as_mallory.post(reverse("records:import_columns", args=[job.pk]), {**columns, "check": "1"})
    job.refresh_from_db()
    assert job.status == ImportStatus.CHECKING  # left for a worker
    ImportJob.objects.filter(pk=job.pk).update(rows_total=8, rows_checked=3)
    page = as_mallory.get(reverse("records:import_job", args=[job.pk])).content.decode()
    progress_url = reverse("records:import_progress", args=[job.pk])
    assert f'hx-get="{progress_url}"' in page and 'value="3"' in page and 'max="8"' in page
    partial = as_mallory.get(progress_url)
    assert "HX-Refresh" not in partial and "3 / 8" in partial.content.decode()
    services.import_run(job_id=job.pk)  # the worker's turn
    finished = as_mallory.get(progress_url)
    assert finished["HX-Refresh"] == "true" and "hx-get" not in finished.content.decode()


def test_the_rows_that_cant_be_imported_as_a_csv_with_no_cell_of_the_file(
    as_mallory, centre_a, mallory, alice
):
    job = dry_run(centre_a, mallory, "cases", csv_bytes(case_book()))
    response = as_mallory.get(reverse("records:import_issues_csv", args=[job.pk]))
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff行,列,理由") and "6,生年月日," in text and "9,電話番号," in text
    assert "田中" not in text and "tel不明" not in text


@pytest.mark.parametrize("shape", ["cases", "contacts", "family"])
def test_the_sample_files_download(as_mallory, shape):
    response = as_mallory.get(reverse("records:import_sample", args=[shape]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"\xef\xbb\xbf")


def test_the_sample_files_import_cleanly(centre_a, mallory):
    from records.views.imports import SAMPLES

    for shape in ("cases", "contacts", "family"):
        job = dry_run(centre_a, mallory, shape, (SAMPLES / f"{shape}.csv").read_bytes())
        assert job.planned_invalid == 0 and job.planned_created > 0, list(
            job.issues.values_list("line", "reason")
        )
        confirm(job, mallory)


def test_an_outsider_gets_a_404_and_other_roles_a_403(
    as_mallory, as_alice, as_charlie, centre_a, centre_b, mallory, alice
):
    job = dry_run(centre_a, mallory, "cases", csv_bytes(case_book()))
    dave = UserFactory(username="dave", role=Role.MANAGER, centre=centre_b)
    as_dave = client_for(dave)
    urls = [
        reverse(name, args=[job.pk])
        for name in (
            "records:import_job",
            "records:import_columns",
            "records:import_progress",
            "records:import_issues_csv",
        )
    ]
    for url in urls:
        assert as_dave.get(url).status_code == 404  # another centre's import: not even there
        assert as_charlie.get(url).status_code == 404
        assert as_alice.get(url).status_code == 403  # her centre's, but not her role
    assert as_dave.post(reverse("records:import_confirm", args=[job.pk])).status_code == 404
    assert as_alice.get(reverse("records:import_home")).status_code == 403
    assert as_mallory.get(reverse("records:import_home")).status_code == 200
    mapping = ImportMapping.objects.create(
        centre=centre_a, shape="cases", name="x", columns={}, created_by=mallory
    )
    assert (
        as_dave.post(reverse("records:import_mapping_delete", args=[mapping.pk])).status_code == 404
    )
    assert ImportMapping.objects.filter(pk=mapping.pk).exists()


def test_a_manager_uploads_only_into_a_centre_of_theirs(as_mallory, centre_a, centre_b):
    response = as_mallory.post(
        reverse("records:import_home"),
        {
            "centre": str(centre_b.pk),
            "shape": "cases",
            "file": SimpleUploadedFile("a.csv", csv_bytes(case_book()), content_type="text/csv"),
        },
    )
    assert response.status_code == 400 and not ImportJob.objects.exists()


def test_the_nav_shows_the_import_to_managers_only(as_mallory, as_alice):
    assert 'data-testid="nav-import"' in as_mallory.get(reverse("home")).content.decode()
    assert 'data-testid="nav-import"' not in as_alice.get(reverse("home")).content.decode()


def test_a_saved_mapping_is_chosen_for_the_next_file_with_its_headers(centre_a, mallory, alice):
    job = services.import_upload(
        centre=centre_a,
        by=mallory,
        shape="cases",
        file_name="a.csv",
        data=csv_bytes(case_book()),
        language="ja",
    )
    columns = {int(k): v for k, v in job.columns.items()}
    columns[12] = "address_line"  # 備考, kept as the address line in this centre's book
    services.import_set_mapping(
        job=job,
        by=mallory,
        sheet=job.sheet,
        header_row=job.header_row,
        columns=columns,
        save_as="台帳",
    )
    again = services.import_upload(
        centre=centre_a,
        by=mallory,
        shape="cases",
        file_name="b.csv",
        data=csv_bytes(case_book()),
        language="ja",
    )
    assert again.mapping.name == "台帳" and again.columns["12"] == "address_line"


# --- query counts ----------------------------------------------------------------------------

HOME_QUERIES = 9
JOB_QUERIES = 8
COLUMNS_QUERIES = 7
PROGRESS_QUERIES = 5


def _jobs(centre, by, n: int) -> list[ImportJob]:
    return [
        ImportJob.objects.create(
            centre=centre,
            shape="cases",
            created_by=by,
            file_name=f"{i}.csv",
            file_hash="0" * 64,
            file_size=1,
            file_kind="csv",
        )
        for i in range(n)
    ]


@pytest.mark.parametrize("n", [1, 20])
def test_home_queries_do_not_grow(as_mallory, centre_a, mallory, n, django_assert_num_queries):
    _jobs(centre_a, mallory, n)
    ImportMapping.objects.create(
        centre=centre_a, shape="cases", name="x", columns={}, created_by=mallory
    )
    with django_assert_num_queries(HOME_QUERIES):
        assert as_mallory.get(reverse("records:import_home")).status_code == 200


@pytest.mark.parametrize("n", [1, 20])
def test_job_page_queries_do_not_grow(as_mallory, centre_a, mallory, n, django_assert_num_queries):
    (job,) = _jobs(centre_a, mallory, 1)
    job.issues.bulk_create(
        [job.issues.model(job=job, line=i + 2, column="生年月日", reason="x") for i in range(n)]
    )
    with django_assert_num_queries(JOB_QUERIES):
        assert as_mallory.get(reverse("records:import_job", args=[job.pk])).status_code == 200


@pytest.mark.parametrize("n", [1, 20])
def test_columns_page_queries_do_not_grow(
    as_mallory, centre_a, mallory, alice, n, django_assert_num_queries
):
    rows = [["No.", *(f"列{i}" for i in range(n))], ["1", *("x" for _ in range(n))]]
    job = services.import_upload(
        centre=centre_a,
        by=mallory,
        shape="cases",
        file_name="a.csv",
        data=csv_bytes(rows),
        language="ja",
    )
    with django_assert_num_queries(COLUMNS_QUERIES):
        assert as_mallory.get(reverse("records:import_columns", args=[job.pk])).status_code == 200


def test_progress_queries(as_mallory, centre_a, mallory, django_assert_num_queries):
    (job,) = _jobs(centre_a, mallory, 1)
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.WRITING, rows_total=100, rows_written=50
    )
    with django_assert_num_queries(PROGRESS_QUERIES):
        response = as_mallory.get(reverse("records:import_progress", args=[job.pk]))
    assert "50 / 100" in response.content.decode()
