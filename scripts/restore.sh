#!/usr/bin/env bash
# make restore FILE=backups/tsunagu-….dump [FORCE=1]: the dump into a database.
#
#   FILE                 the dump (its .sha256 beside it is checked first)
#   RESTORE_DATABASE_URL the database to restore into (default: DATABASE_URL, else the
#                        app's development database); created when it does not exist
#   --force / FORCE=1    the database is not empty: drop and recreate it (without this, a
#                        database holding tables is never touched)
#
# Test a restore regularly: into a scratch database, then compare (README.md, "Backups").
set -euo pipefail
force=${FORCE:-0}
file=${FILE:-}
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    *) file=$arg ;;
  esac
done
[ -n "$file" ] || { echo "restore: give the dump: make restore FILE=backups/tsunagu-….dump" >&2; exit 2; }
[ -f "$file" ] || { echo "restore: no such file: $file" >&2; exit 2; }
[ -f "$file.sha256" ] || { echo "restore: no checksum file $file.sha256: refusing an unverified dump" >&2; exit 3; }
(cd "$(dirname "$file")" && sha256sum --check --quiet "$(basename "$file").sha256") \
  || { echo "restore: checksum mismatch: $file is damaged or not the file that was backed up" >&2; exit 3; }

target=${RESTORE_DATABASE_URL:-${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/tsunagu}}
# The same server, its maintenance database: to create or drop the target.
database=${target##*/}
database=${database%%\?*}
server=${target%/*}/postgres
[[ "$database" =~ ^[A-Za-z0-9_]+$ ]] || { echo "restore: unexpected database name: $database" >&2; exit 2; }

exists=$(psql "$server" -tAc "SELECT 1 FROM pg_database WHERE datname = '$database'")
if [ "$exists" = "1" ]; then
  tables=$(psql "$target" -tAc "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
  if [ "$tables" != "0" ]; then
    if [ "$force" != "1" ]; then
      echo "restore: database $database is not empty ($tables tables): refusing to overwrite it (--force / FORCE=1 drops and recreates it)" >&2
      exit 4
    fi
    echo "restore: dropping database $database (--force)" >&2
    psql "$server" -qc "DROP DATABASE \"$database\" WITH (FORCE)"
    exists=""
  fi
fi
[ "$exists" = "1" ] || psql "$server" -qc "CREATE DATABASE \"$database\""
pg_restore --no-owner --no-privileges --exit-on-error --single-transaction --dbname="$target" "$file"
echo "restore: $file restored into $database" >&2
