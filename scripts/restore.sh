#!/usr/bin/env bash
# Restores a backup made by scripts/backup.sh into an EMPTY database and a
# store (new bucket or DATA_DIR), then checks it with `vanban check`.
#
#   scripts/restore.sh SRC
#
# The store first, then the database: once the database is back, every
# object it names is already there. The target is vanban's configuration
# (DATABASE_URL, S3_* or DATA_DIR); S3_OBJECT_LOCK=true creates a missing
# bucket with Object Lock. The database must exist and hold no tables
# (createdb it); the restore runs in one transaction. The check verifies
# signatures against TRUST_ROOTS_FILE (or SIGNING_KEYS_DIR's development
# root): set them as for the service. Exits non-zero on any fault.
#
# Environment: VANBAN, PG_BINDIR (see scripts/backup.sh).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
# shellcheck source=scripts/pgtools.sh
source "$ROOT/scripts/pgtools.sh"

[[ $# -eq 1 ]] || die "usage: scripts/restore.sh SRC"
SRC=$1
[[ -f $SRC/vanban.dump && -d $SRC/objects ]] || die "$SRC is not a backup: no vanban.dump or objects/"
[[ -n ${DATABASE_URL:-} ]] || die "DATABASE_URL is not set (the target database)"
tables=$("$(pgtool psql)" -XAtq -d "$DATABASE_URL" -c "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
[[ $tables == 0 ]] || die "the target database holds $tables tables: restore into a new, empty database"

note "objects ← $SRC/objects"
"$(vanban_bin)" objects import "$SRC/objects"

note "database ← $SRC/vanban.dump"
"$(pgtool pg_restore)" --no-owner --no-privileges --single-transaction --exit-on-error \
	--dbname="$DATABASE_URL" "$SRC/vanban.dump"

note "checking every object and signature"
"$(vanban_bin)" check --quiet
