"""The replica router (config/db_router.py): with DATABASE_REPLICA_URL unset it decides
nothing; with a replica, only the dashboards' and statistics' reads (inside
dashboards.replica.reading_from_replica()) go there, every other read and every write to
the primary.

The "replica" here is a second connection to the same test database (TEST MIRROR), read-only
as in base.py, so a write sent there by mistake would fail. Being a second session, it sees
only committed rows, like a real replica: the tests that use it commit (transaction=True)."""

from __future__ import annotations

import copy
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, router, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditAction, AuditEvent, Centre, User
from cases.models import Case, ContactEntry
from config.db_router import REPLICA, ReplicaRouter
from dashboards.replica import read_alias, reading_from_replica
from dashboards.statistics import Period, fiscal_year_of, statistics_report
from tests.factories import make_case, record_contact

WITH_REPLICA = pytest.mark.django_db(transaction=True, databases=[DEFAULT_DB_ALIAS, REPLICA])


@pytest.fixture(scope="module")
def replica(django_db_setup: None, django_db_blocker) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """A "replica" alias for this module's tests: the test database through a second,
    read-only connection. Module-scoped, so that it exists before pytest-django checks the
    test's `databases` (its own fixture runs first among the function-scoped ones)."""
    primary = copy.deepcopy(connections[DEFAULT_DB_ALIAS].settings_dict)
    primary["OPTIONS"] = {**primary["OPTIONS"], "options": "-c default_transaction_read_only=on"}
    primary["TEST"] = {**primary["TEST"], "MIRROR": DEFAULT_DB_ALIAS}
    settings.DATABASES[REPLICA] = primary  # the same dict as connections.settings
    try:
        yield
    finally:
        with django_db_blocker.unblock():
            connections[REPLICA].close()
        del connections[REPLICA]
        del settings.DATABASES[REPLICA]


@pytest.fixture
def no_replica() -> Iterator[None]:
    """As with DATABASE_REPLICA_URL unset, even if an earlier test of the module added one."""
    saved = settings.DATABASES.pop(REPLICA, None)
    try:
        yield
    finally:
        if saved is not None:
            settings.DATABASES[REPLICA] = saved


@pytest.fixture
def centre_data(centre_a: Centre, alice: User) -> Case:
    """An open case of alice's with two contacts: something for every page to count."""
    case = make_case(centre_a, alice, primary_counsellor=alice)
    record_contact(case, alice)
    record_contact(case, alice, two_way=False)
    return case


def _selects(queries: CaptureQueriesContext) -> list[str]:
    return [query["sql"] for query in queries.captured_queries]


def _reads_only(queries: CaptureQueriesContext) -> bool:
    """Every statement a SELECT (a UNION of them starts with a parenthesis)."""
    return all(sql.lstrip("( ").upper().startswith("SELECT") for sql in _selects(queries))


def _both() -> tuple[CaptureQueriesContext, CaptureQueriesContext]:
    return CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]), CaptureQueriesContext(
        connections[REPLICA]
    )


def _fiscal_year_query() -> dict[str, str]:
    return {"period": "fiscal_year", "fiscal_year": str(fiscal_year_of(timezone.localdate()))}


def _numbers(report) -> list[tuple[str, list[tuple[str, dict[str, int]]]]]:  # type: ignore[no-untyped-def]
    return [(t.key, [(row.key, row.values) for row in t.rows]) for t in report.tables]


# --- off by default --------------------------------------------------------------------------


def test_no_replica_is_configured_by_default(no_replica: None) -> None:
    assert REPLICA not in settings.DATABASES
    assert "config.db_router.ReplicaRouter" in settings.DATABASE_ROUTERS


def test_without_a_replica_the_router_decides_nothing(no_replica: None) -> None:
    own = ReplicaRouter()
    with reading_from_replica():
        assert own.db_for_read(Case) is None
        assert own.db_for_write(Case) is None
        assert router.db_for_read(Case) == DEFAULT_DB_ALIAS
        assert read_alias() == DEFAULT_DB_ALIAS


@pytest.mark.django_db
def test_without_a_replica_the_statistics_read_the_primary(
    no_replica: None, centre_data: Case, centre_a: Centre
) -> None:
    period = Period.fiscal_year(fiscal_year_of(timezone.localdate()))
    with CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as queries, reading_from_replica():
        report = statistics_report([centre_a], period)
    assert len(queries) > 0
    assert report.table(report.tables[0].key).rows


def test_migrations_run_on_the_primary_only() -> None:
    own = ReplicaRouter()
    assert own.allow_migrate(DEFAULT_DB_ALIAS, "cases") is None
    assert own.allow_migrate(REPLICA, "cases") is False


# --- with a replica ----------------------------------------------------------------------------


@WITH_REPLICA
def test_dashboard_reads_its_numbers_from_the_replica(
    replica: None, centre_data: Case, as_mallory
) -> None:
    primary, second = _both()
    with primary, second:
        response = as_mallory.get(reverse("dashboards:manager"))
    assert response.status_code == 200
    assert response.context["counts"].total == 1
    replica_sql = _selects(second)
    assert len(replica_sql) > 0
    assert _reads_only(second)
    # The caseload, the visits and the trends went to the replica and nowhere else; the
    # session, the user and the badges (read-your-writes) stayed on the primary.
    assert not set(replica_sql) & set(_selects(primary))
    assert any("django_session" in sql for sql in _selects(primary))
    assert not any("django_session" in sql for sql in replica_sql)


@WITH_REPLICA
def test_statistics_page_reads_from_the_replica_and_counts_the_same(
    replica: None, centre_data: Case, centre_a: Centre, as_mallory
) -> None:
    primary, second = _both()
    with primary, second:
        response = as_mallory.get(reverse("dashboards:statistics"), _fiscal_year_query())
    assert response.status_code == 200
    replica_sql = _selects(second)
    # The report's statements, raw SQL through the cursor included (its one combined SELECT
    # of referrals, ibasho, visits and family programmes).
    assert len(replica_sql) >= 2
    assert any("referral" in sql.lower() and "homevisit" in sql.lower() for sql in replica_sql)
    assert not set(replica_sql) & set(_selects(primary))
    assert not any(ContactEntry._meta.db_table in sql for sql in _selects(primary))

    period = Period.fiscal_year(fiscal_year_of(timezone.localdate()))
    on_primary = statistics_report([centre_a], period)
    assert _numbers(response.context["report"]) == _numbers(on_primary)
    assert any(any(row.values.values()) for table in on_primary.tables for row in table.rows)


@WITH_REPLICA
def test_statistics_export_reads_from_the_replica_and_audits_on_the_primary(
    replica: None, centre_data: Case, centre_a: Centre, as_mallory
) -> None:
    primary, second = _both()
    with primary, second:
        response = as_mallory.get(reverse("dashboards:statistics_csv"), _fiscal_year_query())
    assert response.status_code == 200
    assert len(second) > 0
    assert _reads_only(second)
    assert AuditEvent.objects.filter(action=AuditAction.EXPORT, centre_id=centre_a.pk).exists()
    assert any("INSERT" in sql and "audit" in sql.lower() for sql in _selects(primary))


@WITH_REPLICA
def test_other_pages_never_read_from_the_replica(
    replica: None, centre_data: Case, as_alice, as_mallory
) -> None:
    second = CaptureQueriesContext(connections[REPLICA])
    with second:
        assert as_alice.get(reverse("cases:list")).status_code == 200
        assert as_alice.get(reverse("cases:detail", args=[centre_data.pk])).status_code == 200
        assert as_mallory.get(reverse("cases:list")).status_code == 200
        Case.objects.get(pk=centre_data.pk)
    assert len(second) == 0


@WITH_REPLICA
def test_writes_inside_the_block_go_to_the_primary(
    replica: None, centre_data: Case, alice: User
) -> None:
    primary, second = _both()
    with primary, second, reading_from_replica():
        case = Case.objects.get(pk=centre_data.pk)
        assert case._state.db == REPLICA
        case.municipality = "札幌市"
        case.save(
            update_fields=["municipality"]
        )  # the replica's session is read-only: it would fail
        record_contact(case, alice)
    assert _reads_only(second)
    assert any(sql.startswith("UPDATE") and "cases_case" in sql for sql in _selects(primary))
    assert any(
        sql.startswith("INSERT") and "cases_contactentry" in sql for sql in _selects(primary)
    )
    assert Case.objects.get(pk=centre_data.pk).municipality == "札幌市"
    assert centre_data.contacts.count() == 3


@WITH_REPLICA
def test_an_object_read_from_the_replica_reads_its_relations_from_the_primary_afterwards(
    replica: None, centre_data: Case
) -> None:
    with reading_from_replica():
        case = Case.objects.get(pk=centre_data.pk)
    second = CaptureQueriesContext(connections[REPLICA])
    with second:
        assert case.centre.pk == centre_data.centre_id
        assert case.contacts.count() == 2
    assert len(second) == 0


@WITH_REPLICA
def test_inside_a_transaction_reads_stay_on_the_primary(replica: None, centre_data: Case) -> None:
    """The replica cannot see what the transaction has not committed yet."""
    with transaction.atomic(), reading_from_replica():
        Case.objects.filter(pk=centre_data.pk).update(municipality="未コミット")
        assert read_alias() == DEFAULT_DB_ALIAS
        assert Case.objects.get(pk=centre_data.pk).municipality == "未コミット"
    with reading_from_replica():
        assert read_alias() == REPLICA


@WITH_REPLICA
def test_router_choices_with_a_replica(replica: None, centre_data: Case) -> None:
    own = ReplicaRouter()
    assert own.db_for_read(Case) == DEFAULT_DB_ALIAS
    assert own.db_for_write(Case) == DEFAULT_DB_ALIAS
    with reading_from_replica():
        assert own.db_for_read(Case) == REPLICA
        assert own.db_for_write(Case) == DEFAULT_DB_ALIAS
        from_replica = Case.objects.get(pk=centre_data.pk)
    assert own.db_for_read(Case) == DEFAULT_DB_ALIAS
    assert own.allow_relation(from_replica, centre_data) is True
    assert own.allow_migrate(REPLICA, "cases") is False
