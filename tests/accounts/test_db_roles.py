"""The production database roles (accounts/db_roles.py, `make db-roles`): the app connects
as a role that may add to the audit trail and read it, and nothing more: it cannot change,
delete or empty it, nor switch its triggers off. The roles are made in the test database
with unique names, inside the test's transaction, which takes them away again."""

from __future__ import annotations

import uuid

import pytest
from django.db import DatabaseError, connection, transaction
from psycopg import sql

from accounts import db_roles
from accounts.models import AuditEvent, Centre, SecurityEvent
from tests.factories import make_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def roles(centre_a, alice) -> tuple[str, str]:
    make_case(centre_a, alice)  # a row in the trail
    suffix = uuid.uuid4().hex[:10]
    owner, app = f"test_owner_{suffix}", f"test_app_{suffix}"
    with connection.cursor() as cursor:
        # The fixtures' deferred foreign-key checks first: ALTER TABLE waits for no one.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        db_roles.apply(cursor, database=connection.settings_dict["NAME"], owner=owner, app=app)
    return owner, app


def as_role(role: str, statement: str, params: list[object] | None = None) -> None:
    """Run one statement as `role`, in a savepoint that takes the role switch back too."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(role)))
        cursor.execute(statement, params)


def refused(role: str, statement: str) -> str:
    with pytest.raises(DatabaseError) as refusal:
        as_role(role, statement)
    return str(refusal.value)


def current_user() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        return cursor.fetchone()[0]


@pytest.mark.parametrize("model", [AuditEvent, SecurityEvent])
def test_the_app_role_cannot_rewrite_or_empty_an_append_only_table(roles, model):
    _owner, app = roles
    table = model._meta.db_table
    for statement in (
        f"UPDATE {table} SET at = now()",  # noqa: S608
        f"DELETE FROM {table}",  # noqa: S608
        f"TRUNCATE {table}",
    ):
        assert "permission denied" in refused(app, statement), statement
    # Not even past pgtrigger's own switch for ignoring its triggers: no right, no change.
    pgtrigger_ignore = "SELECT set_config('pgtrigger.ignore', '{audit_append_only}', true)"
    ignored_then_deleted = f"{pgtrigger_ignore}; DELETE FROM {table}"  # noqa: S608
    assert "permission denied" in refused(app, ignored_then_deleted)
    assert current_user() != app  # the savepoints took the role switch back


@pytest.mark.parametrize("model", [AuditEvent, SecurityEvent])
def test_the_app_role_cannot_disable_or_drop_the_triggers(roles, model):
    _owner, app = roles
    table = model._meta.db_table
    for statement in (
        f"ALTER TABLE {table} DISABLE TRIGGER ALL",
        f"ALTER TABLE {table} DISABLE TRIGGER USER",
        f"ALTER TABLE {table} OWNER TO {app}",
        f"DROP TABLE {table}",
    ):
        assert "must be owner" in refused(app, statement), statement


def test_the_app_role_adds_to_the_trail_and_does_its_ordinary_work(roles, centre_a):
    _owner, app = roles
    as_role(
        app,
        "INSERT INTO accounts_auditevent (at, action, model, object_id, changed_fields) "
        "VALUES (now(), 'view', 'cases.case', 1, '[]')",
    )
    as_role(app, "SELECT count(*) FROM accounts_auditevent")
    as_role(app, "UPDATE accounts_centre SET name = name WHERE id = %s", [centre_a.pk])
    as_role(app, "DELETE FROM accounts_accessprobe")
    assert "permission denied" in refused(app, "CREATE TABLE sneaky (id int)")
    assert Centre.objects.filter(pk=centre_a.pk).exists()


def test_the_owner_owns_the_tables_and_the_app_role_nothing(roles):
    owner, app = roles
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'")
        assert {row[0] for row in cursor.fetchall()} == {owner}
        cursor.execute(
            "SELECT pg_has_role(%s, %s, 'MEMBER'), rolsuper FROM pg_roles WHERE rolname = %s",
            [app, owner, app],
        )
        assert cursor.fetchone() == (False, False)


def test_the_append_only_tables_are_found_from_their_triggers():
    assert db_roles.append_only_tables() == [
        "accounts_auditevent",
        "accounts_securityevent",
        "cases_disposalrecord",  # the disposal log (records.retention)
    ]


def test_applying_twice_changes_nothing_and_keeps_the_refusals(roles):
    owner, app = roles
    with connection.cursor() as cursor:
        db_roles.apply(cursor, database=connection.settings_dict["NAME"], owner=owner, app=app)
    assert "permission denied" in refused(app, "DELETE FROM accounts_auditevent")


def test_the_app_role_must_not_be_the_owner():
    with pytest.raises(ValueError), connection.cursor() as cursor:
        db_roles.apply(cursor, database="x", owner="same", app="same")
