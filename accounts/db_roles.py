"""The production database roles (docs/security.md, `make db-roles`).

* The **owner** owns the tables and functions and runs the migrations.
* The **app** role is what the web processes and the Celery workers connect as: it reads and
  writes the tables, but on the append-only tables (the audit trail, the security events)
  it may only INSERT and SELECT. It owns nothing, so it cannot drop or disable their
  triggers (`ALTER TABLE ... DISABLE TRIGGER` needs the owner), and without UPDATE, DELETE
  and TRUNCATE no setting (not even pgtrigger's own `pgtrigger.ignore`) lets it rewrite
  history.

`apply(cursor, ...)` runs as a superuser; run it again after every migration (new tables
get the app role's rights from the default privileges; a new append-only table has its
UPDATE, DELETE and TRUNCATE taken away again here)."""

from __future__ import annotations

from typing import Any

import pgtrigger
from psycopg import sql

# The trigger every append-only table carries (accounts.models.append_only_triggers).
APPEND_ONLY_TRIGGER = "append_only_truncate"
APP_TABLE_RIGHTS = sql.SQL("SELECT, INSERT, UPDATE, DELETE")


def append_only_tables() -> list[str]:
    """The tables whose rows are never changed nor removed, from the triggers they carry."""
    return sorted(
        model._meta.db_table
        for model, trigger in pgtrigger.registered()
        if trigger.name == APPEND_ONLY_TRIGGER
    )


def _ensure_role(cursor: Any, name: str, password: str | None) -> None:
    cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [name])
    verb = sql.SQL("ALTER") if cursor.fetchone() else sql.SQL("CREATE")
    # Neither role may do more than its own work: no superuser, no new roles or databases.
    options = sql.SQL("NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOREPLICATION")
    if password:
        cursor.execute(
            sql.SQL("{} ROLE {} LOGIN {} PASSWORD {}").format(
                verb, sql.Identifier(name), options, sql.Literal(password)
            )
        )
    else:
        cursor.execute(sql.SQL("{} ROLE {} {}").format(verb, sql.Identifier(name), options))


def apply(cursor: Any, *, database: str, owner: str, app: str,
          owner_password: str | None = None, app_password: str | None = None) -> None:  # fmt: skip
    """Create (or bring up to date) the two roles and their rights on `database`'s public
    schema. Idempotent."""
    if owner == app:
        raise ValueError("the app role must not be the owner")
    _ensure_role(cursor, owner, owner_password)
    _ensure_role(cursor, app, app_password)
    o, a, db = sql.Identifier(owner), sql.Identifier(app), sql.Identifier(database)
    run = cursor.execute
    # The app role must not act as the owner, however it was set up before.
    cursor.execute(
        "SELECT 1 FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid "
        "JOIN pg_roles u ON u.oid = m.member WHERE r.rolname = %s AND u.rolname = %s",
        [owner, app],
    )
    if cursor.fetchone():
        run(sql.SQL("REVOKE {} FROM {}").format(o, a))
    run(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}, {}").format(db, o, a))
    run(sql.SQL("GRANT CREATE ON DATABASE {} TO {}").format(db, o))  # trusted extensions
    run(sql.SQL("GRANT USAGE, CREATE ON SCHEMA public TO {}").format(o))
    run(sql.SQL("REVOKE CREATE ON SCHEMA public FROM PUBLIC, {}").format(a))
    run(sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(a))

    # Everything the migrations made becomes the owner's (not an extension's own objects).
    cursor.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm') "
        "AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')"
    )
    for (table,) in cursor.fetchall():
        run(sql.SQL("ALTER TABLE {} OWNER TO {}").format(sql.Identifier(table), o))
    cursor.execute(
        "SELECT p.oid::regprocedure::text FROM pg_proc p "
        "JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public' "
        "AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')"
    )
    for (function,) in cursor.fetchall():
        run(sql.SQL("ALTER FUNCTION {} OWNER TO {}").format(sql.SQL(function), o))

    run(sql.SQL("GRANT {} ON ALL TABLES IN SCHEMA public TO {}").format(APP_TABLE_RIGHTS, a))
    run(sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {}").format(a))
    run(
        sql.SQL(
            "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA public GRANT {} ON TABLES TO {}"
        ).format(o, APP_TABLE_RIGHTS, a)
    )
    run(
        sql.SQL(
            "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA public "
            "GRANT USAGE, SELECT ON SEQUENCES TO {}"
        ).format(o, a)
    )
    for table in append_only_tables():
        run(
            sql.SQL("REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {} FROM PUBLIC, {}")
            .format(sql.Identifier(table), a)
        )  # fmt: skip
