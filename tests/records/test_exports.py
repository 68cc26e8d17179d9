"""The export of the centre's book: centre-scoped (another centre's id is a 404), for the roles
that oversee a centre, formula injection neutralised in CSV and XLSX, sensitive columns only
when asked for, the columns the import reads, audited, streamed, and a query count that does
not grow with the rows."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from accounts.models import AuditAction, AuditEvent, Role
from cases.models import CaseSensitiveInfo, ContactEntry
from families import services as family_services
from records import exports
from tests.factories import UserFactory, client_for, make_case, make_member, record_contact

pytestmark = pytest.mark.django_db

URL = reverse("records:export")
DIAGNOSIS = "うつ病の診断あり"


def post(client, centre, shape="cases", file_format="csv", **extra):
    return client.post(
        URL, {"centre": centre.pk, "shape": shape, "file_format": file_format, **extra}
    )


def csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads UTF-8
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def xlsx_rows(response) -> list[list[object]]:
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def as_dicts(rows):
    header, *body = rows
    return [dict(zip(header, row, strict=True)) for row in body]


@pytest.fixture
def case(centre_a, alice):
    case = make_case(
        centre_a,
        alice,
        primary_counsellor=alice,
        birth_date=dt.date(1990, 4, 1),
        gender="male",
        phone="03-1234-5678",
        withdrawal_since_year=2019,
        withdrawal_since_month=4,
        risk_violence=True,
    )
    CaseSensitiveInfo.objects.filter(case=case).update(conditions=DIAGNOSIS)
    return case


@pytest.fixture
def other_centres_case(centre_b, charlie):
    return make_case(centre_b, charlie, family_name="他県", given_name="花子")


# --- access ---------------------------------------------------------------------------------


def test_another_centres_id_is_not_found(as_mallory, as_charlie, centre_a, centre_b, case):
    assert post(as_mallory, centre_b).status_code == 404
    # A counsellor of centre B may not export at all, but learns nothing of centre A.
    assert post(as_charlie, centre_a).status_code == 404
    response = as_mallory.post(URL, {"centre": "nonsense", "shape": "cases", "file_format": "csv"})
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()


def test_only_the_roles_that_oversee_a_centre_export(as_alice, as_bob, centre_a, case):
    assert as_bob.get(URL).status_code == 403
    assert as_alice.get(URL).status_code == 403
    assert post(as_bob, centre_a).status_code == 403
    assert post(as_alice, centre_a).status_code == 403


def test_the_export_is_centre_scoped(
    as_mallory, centre_a, centre_b, alice, case, other_centres_case
):
    record_contact(case, alice, note="Aの相談")
    record_contact(other_centres_case, alice, note="Bの相談")
    make_member(other_centres_case, alice, given_name="他県の母")
    rows = as_dicts(csv_rows(post(as_mallory, centre_a)))
    assert [row["ケース番号"] for row in rows] == [case.case_number]
    assert "他県" not in str(rows)
    contacts = as_dicts(csv_rows(post(as_mallory, centre_a, "contacts", with_sensitive="on")))
    assert {row["ケース番号"] for row in contacts} == {case.case_number}
    assert "Bの相談" not in str(contacts)
    assert csv_rows(post(as_mallory, centre_a, "family")) == [
        [column.header for column in exports.FAMILY_COLUMNS if not column.sensitive_permission]
    ]


def test_an_administrator_exports_no_centre(centre_a, centre_b, other_centres_case):
    # Issue 15: the administrator sees no case content (was: chose any centre's export).
    admin = UserFactory(role=Role.ADMIN)
    assert post(client_for(admin), centre_b).status_code == 403
    assert client_for(admin).get(URL).status_code == 403


def test_the_page_offers_only_the_users_centres_and_the_nav_links_to_it(
    as_mallory, as_bob, centre_a, centre_b
):
    response = as_mallory.get(URL)
    assert response.status_code == 200
    assert [c for c, _ in response.context["form"].fields["centre"].choices] == [centre_a.pk]
    assert URL in response.content.decode()  # the nav link
    assert URL not in as_bob.get(reverse("cases:list")).content.decode()


# --- what is written ------------------------------------------------------------------------


def test_cases_are_written_in_japanese_with_the_imports_values(as_mallory, centre_a, alice, case):
    (row,) = as_dicts(csv_rows(post(as_mallory, centre_a)))  # mallory reads English
    assert row["ケース番号"] == case.case_number
    assert (row["姓"], row["名"], row["姓（ふりがな）"]) == ("山田", "太郎", "やまだ")
    assert row["生年月日"] == "1990-04-01"
    assert row["性別"] == "男性" and row["状態"] == "対応中" and row["初回相談者"] == "家族"
    assert row["電話番号"] == "03-1234-5678"
    assert row["ひきこもり開始"] == "2019年4月"
    assert row["家庭内暴力"] == "はい" and row["自傷・自殺のおそれ"] == "いいえ"
    assert row["担当者"] == str(alice)


def test_contacts_are_written_with_local_date_and_time(as_mallory, centre_a, alice, case):
    at = timezone.make_aware(dt.datetime(2026, 4, 1, 23, 30))  # Tokyo; 14:30 in UTC
    contact = record_contact(case, alice, at=at, counterpart_detail="母", note="近況")
    rows = as_dicts(csv_rows(post(as_mallory, centre_a, "contacts")))
    row = next(r for r in rows if r["相談記録番号"] == str(contact.pk))
    assert (row["相談日"], row["時刻"]) == ("2026-04-01", "23:30")
    assert (row["相談方法"], row["相手"], row["相手の詳細"]) == ("電話", "家族", "母")
    assert row["対応者"] == str(alice) and row["双方向の連絡"] == "はい"


def test_a_member_of_two_cases_is_a_row_of_each_with_one_number(as_mallory, centre_a, alice, case):
    sibling = make_case(centre_a, alice, given_name="次郎")
    mother = make_member(case, alice, health_notes="通院中")
    family_services.member_link(
        case=sibling,
        member=mother,
        by=alice,
        fields={"relation": "mother", "lives_with_person": True, "person_aware": "yes"},
    )
    rows = as_dicts(csv_rows(post(as_mallory, centre_a, "family")))
    assert [row["ケース番号"] for row in rows] == [case.case_number, sibling.case_number]
    assert {row["家族番号"] for row in rows} == {str(mother.pk)}
    assert rows[0]["続柄"] == "母" and rows[0]["連絡の同意"] == "はい"
    assert "健康・介護の状況" not in rows[0]


def test_sensitive_columns_only_when_asked_for(as_mallory, centre_a, alice, case):
    record_contact(case, alice, note="通院の相談", next_action="受診同行")
    make_member(case, alice, health_notes="膝の手術後")
    plain = str(csv_rows(post(as_mallory, centre_a)))
    assert DIAGNOSIS not in plain and "併存する状態・診断" not in plain
    assert "通院の相談" not in str(csv_rows(post(as_mallory, centre_a, "contacts")))
    assert "膝の手術後" not in str(csv_rows(post(as_mallory, centre_a, "family")))
    (row,) = as_dicts(csv_rows(post(as_mallory, centre_a, with_sensitive="on")))
    assert row["併存する状態・診断"] == DIAGNOSIS
    contacts = as_dicts(csv_rows(post(as_mallory, centre_a, "contacts", with_sensitive="on")))
    assert any(r["相談内容"] == "通院の相談" and r["次の対応"] == "受診同行" for r in contacts)
    members = as_dicts(csv_rows(post(as_mallory, centre_a, "family", with_sensitive="on")))
    assert members[0]["健康・介護の状況"] == "膝の手術後"


def test_a_role_that_may_not_see_sensitive_columns_never_gets_them(bob, centre_a):
    for shape in exports.SHAPES.values():
        export = exports.Export(centre=centre_a, shape=shape, user=bob, with_sensitive=True)
        assert all(column.sensitive_permission is None for column in export.columns)
    assert not exports.may_export_sensitive(bob)


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_formula_injection_is_neutralised(as_mallory, centre_a, alice, file_format):
    case = make_case(centre_a, alice, family_name='=HYPERLINK("http://evil")', given_name="@SUM")
    record_contact(case, alice, counterpart_detail="+81", note="-1+2\x0b改行", at=None)
    response = post(as_mallory, centre_a, "cases", file_format)
    rows = as_dicts(csv_rows(response) if file_format == "csv" else xlsx_rows(response))
    assert rows[0]["姓"] == '\'=HYPERLINK("http://evil")' and rows[0]["名"] == "'@SUM"
    response = post(as_mallory, centre_a, "contacts", file_format, with_sensitive="on")
    rows = as_dicts(csv_rows(response) if file_format == "csv" else xlsx_rows(response))
    assert rows[0]["相手の詳細"] == "'+81"
    assert rows[0]["相談内容"].startswith("'-1+2")


def test_xlsx_holds_dates_as_dates_and_drops_control_characters(as_mallory, centre_a, alice, case):
    record_contact(case, alice, note="一行目\x0b二行目")
    response = post(as_mallory, centre_a, "contacts", "xlsx", with_sensitive="on")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert 'filename="records-contacts-centre' in response["Content-Disposition"]
    (row,) = as_dicts(xlsx_rows(response))
    assert isinstance(row["相談日"], dt.datetime)  # a date cell (openpyxl reads datetimes)
    assert row["相談内容"] == "一行目二行目"
    rows = as_dicts(xlsx_rows(post(as_mallory, centre_a, "cases", "xlsx")))
    assert rows[0]["生年月日"] == dt.datetime(1990, 4, 1)


def test_the_export_headers_are_the_ones_the_import_reads():
    targets = pytest.importorskip("records.importing.targets")
    expected = {
        exports.CASES: {
            "姓": "family_name",
            "名": "given_name",
            "姓（ふりがな）": "family_name_kana",
            "名（ふりがな）": "given_name_kana",
            "生年月日": "birth_date",
            "初回相談日": "first_contact_date",
            "初回相談者": "first_contact_by",
            "担当者": "primary_counsellor",
            "電話番号": "phone",
        },
        exports.CONTACTS: {
            "ケース番号": "case",
            "相談記録番号": "external_id",
            "相談日": "date",
            "時刻": "time",
            "相談方法": "channel",
            "相手": "counterpart",
            "対応者": "staff",
            "相談内容": "note",
        },
        exports.FAMILY: {
            "ケース番号": "case",
            "家族番号": "external_id",
            "続柄": "relation",
            "同居": "lives_with_person",
            "健康・介護の状況": "health_notes",
        },
    }
    from django.utils import translation

    for language in ("ja", "en"):
        with translation.override(language):
            for shape, pinned in expected.items():
                headers = [column.header for column in exports.SHAPES[shape].columns]
                suggested = {headers[i]: key for i, key in targets.suggest(shape, headers).items()}
                for header, key in pinned.items():
                    assert suggested.get(header) == key, (language, shape, header)
                importable = [
                    h
                    for h, c in zip(headers, exports.SHAPES[shape].columns, strict=True)
                    if shape != exports.CASES or not c.sensitive_permission
                ]
                assert set(importable) <= set(suggested), (language, shape)


# --- audit, streaming, queries --------------------------------------------------------------


def test_every_export_is_audited_with_its_shape_format_and_rows_only(
    as_mallory, mallory, centre_a, alice, case
):
    record_contact(case, alice)
    record_contact(case, alice)
    b"".join(post(as_mallory, centre_a, "contacts", "xlsx", with_sensitive="on").streaming_content)
    event = AuditEvent.objects.get(action=AuditAction.EXPORT)
    assert event.user == mallory and event.centre_id == centre_a.pk
    assert event.model == "accounts.centre" and event.object_id == centre_a.pk
    assert event.changed_fields == sorted(
        ["shape:contacts", "format:xlsx", "rows:2", "sensitive_columns"]
    )


def test_csv_is_streamed(as_mallory, centre_a, case):
    response = post(as_mallory, centre_a)
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert len(csv_rows(response)) == 2


def test_bad_choices_are_refused_with_the_form_again(as_mallory, centre_a):
    response = post(as_mallory, centre_a, shape="everything")
    assert response.status_code == 400
    assert response.context["form"].errors["shape"]


# Session, user, the second factor's device, the user's centres (their ids, then the rows
# the form offers); then the row count, the audit event and the rows (one server-side cursor
# fetched in chunks: its DECLARE is the one query however many rows there are).
EXPORT_QUERIES = 8


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
@pytest.mark.parametrize("shape", ["cases", "contacts", "family"])
def test_export_query_count_does_not_grow_with_the_rows(
    as_mallory, centre_a, alice, shape, file_format, django_assert_num_queries
):
    def grow_to(n):
        while ContactEntry.objects.filter(case__centre=centre_a).count() < n:
            case = make_case(centre_a, alice)
            record_contact(case, alice)
            make_member(case, alice)

    for n in (1, 20):
        grow_to(n)
        with django_assert_num_queries(EXPORT_QUERIES):
            response = post(as_mallory, centre_a, shape, file_format, with_sensitive="on")
            content = b"".join(response.streaming_content)
        rows = csv_rows_of(content) if file_format == "csv" else xlsx_rows_of(content)
        assert len(rows) == n + 1


# Session, user, the second factor's device, the user's centres (ids, then rows), the menu's
# one statement (the inbox badge, the sweep and check-out banners).
EXPORT_PAGE_QUERIES = 6


@pytest.mark.parametrize("n", [1, 20])
def test_export_page_query_count_does_not_grow(
    as_mallory, centre_a, alice, n, django_assert_num_queries
):
    for _ in range(n):
        record_contact(make_case(centre_a, alice), alice)
    with django_assert_num_queries(EXPORT_PAGE_QUERIES):
        response = as_mallory.get(URL)
    assert response.status_code == 200


def csv_rows_of(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def xlsx_rows_of(content: bytes) -> list[tuple[object, ...]]:
    return list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
