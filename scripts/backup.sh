#!/usr/bin/env bash
# Backs up vanban: the database (pg_dump custom format) and then every
# stored object (S3 bucket or DATA_DIR/objects), into a folder.
#
#   scripts/backup.sh DEST
#
# DEST/vanban.dump     the database (pg_dump -Fc)
# DEST/objects/        the objects, as sha256/ab/abcd... files; a second run
#                      into the same DEST copies only the new ones
# DEST/backup.txt      when, which schema version, how many objects
#
# The configuration is vanban's own (DATABASE_URL, S3_* or DATA_DIR: the
# environment of the service). The database goes first: objects are never
# changed and are written before the rows that name them, so every object
# the dump names is in the copy. Keep SIGNING_KEYS_DIR, TRUST_ROOTS_FILE and
# the environment elsewhere, as secrets.
#
# Environment: VANBAN (the vanban binary, default: vanban on PATH, else
# bin/vanban), PG_BINDIR (pg_dump's folder, default: found like scripts/pg.sh).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
# shellcheck source=scripts/pgtools.sh
source "$ROOT/scripts/pgtools.sh"

[[ $# -eq 1 ]] || die "usage: scripts/backup.sh DEST"
DEST=$1
[[ -n ${DATABASE_URL:-} ]] || die "DATABASE_URL is not set (the service's environment)"
mkdir -p "$DEST/objects"

note "database → $DEST/vanban.dump"
"$(pgtool pg_dump)" --format=custom --no-owner --no-privileges --file="$DEST/vanban.dump.part" --dbname="$DATABASE_URL"
mv "$DEST/vanban.dump.part" "$DEST/vanban.dump"

note "objects → $DEST/objects"
"$(vanban_bin)" objects export "$DEST/objects"

{
	echo "vanban backup"
	echo "date:    $(date -u '+%Y-%m-%dT%H:%M:%SZ')"
	echo "schema:  $("$(pgtool psql)" -XAtq -d "$DATABASE_URL" -c 'SELECT version FROM schema_version')"
	echo "objects: $(find "$DEST/objects" -type f ! -name '.*' | wc -l)"
} >"$DEST/backup.txt"
note "done: $DEST ($(du -sh "$DEST" | cut -f1))"
