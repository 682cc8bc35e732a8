# shellcheck shell=bash
# Helpers of backup.sh and restore.sh: messages, the PostgreSQL client tools
# and the vanban binary.

note() { echo "vanban: $*" >&2; }
die() {
	echo "vanban: $*" >&2
	exit 1
}

# pgtool NAME: the path of a PostgreSQL client tool: in PG_BINDIR, else
# pg_config's bindir, else the newest /usr/lib/postgresql/*/bin, else PATH
# (pg_dump must not be older than the server).
pgtool() {
	local d
	for d in "${PG_BINDIR:-}" "$(pg_config --bindir 2>/dev/null || true)" \
		"$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"; do
		if [[ -n $d && -x $d/$1 ]]; then echo "$d/$1"; return; fi
	done
	command -v "$1" 2>/dev/null || die "$1 not found (apt-get install postgresql-client, or set PG_BINDIR)"
}

# vanban_bin: the vanban binary: $VANBAN, vanban on PATH, or bin/vanban.
vanban_bin() {
	if [[ -n ${VANBAN:-} ]]; then echo "$VANBAN"; return; fi
	if command -v vanban >/dev/null 2>&1; then command -v vanban; return; fi
	[[ -x $ROOT/bin/vanban ]] || die "no vanban binary: make build, or set VANBAN"
	echo "$ROOT/bin/vanban"
}
