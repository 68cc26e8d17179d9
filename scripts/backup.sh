#!/usr/bin/env bash
# make backup: the whole database as one pg_dump file (custom format: compressed, restorable
# table by table), named by its UTC time, with a SHA-256 checksum file beside it.
#
#   DATABASE_URL  the database to back up (default: the app's development database)
#   BACKUP_DIR    where the files go (default: backups/, which git ignores)
#
# Prints the dump's path. Nightly, from cron on the database host (README.md, "Backups").
set -euo pipefail
DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/tsunagu}
BACKUP_DIR=${BACKUP_DIR:-backups}
mkdir -p "$BACKUP_DIR"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
name="tsunagu-$stamp.dump"
partial="$BACKUP_DIR/.$name.partial"
# Written under a temporary name first: a dump cut short (disk full, killed) never looks
# like a finished backup.
trap 'rm -f "$partial"' EXIT
pg_dump --format=custom --compress=6 --no-owner --no-privileges --file="$partial" "$DATABASE_URL"
mv "$partial" "$BACKUP_DIR/$name"
(cd "$BACKUP_DIR" && sha256sum "$name" > "$name.sha256")
echo "$BACKUP_DIR/$name"
