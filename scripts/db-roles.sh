#!/usr/bin/env bash
# The production database roles (docs/security.md): an owner that owns the tables and runs
# the migrations, and an app role that the web processes and workers connect as, which may
# only INSERT and SELECT on the append-only tables (the audit trail, the security events)
# and owns nothing, so it cannot disable their triggers.
#
# Run as a PostgreSQL superuser, after every `migrate`:
#   DATABASE_URL=postgres://postgres@db-host:5432/tsunagu \
#   DB_OWNER_ROLE=tsunagu_owner DB_OWNER_PASSWORD=... \
#   DB_APP_ROLE=tsunagu_app DB_APP_PASSWORD=... \
#   bash scripts/db-roles.sh
# Then: migrations run with DATABASE_URL=postgres://tsunagu_owner:...@.../tsunagu, and
# gunicorn, the worker and beat with DATABASE_URL=postgres://tsunagu_app:...@.../tsunagu.
# Without passwords the roles are created (or kept) without the right to log in.
set -euo pipefail
cd "$(dirname "$0")/.."
export UV_PYTHON_DOWNLOADS=never
: "${DATABASE_URL:?set DATABASE_URL to a superuser connection to the database}"
export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-config.settings.local}"
exec uv run python manage.py db_roles \
  --owner "${DB_OWNER_ROLE:-tsunagu_owner}" \
  --app "${DB_APP_ROLE:-tsunagu_app}"
