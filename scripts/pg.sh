#!/usr/bin/env bash
# A private PostgreSQL cluster for `make run` and `make test`.
#
#   scripts/pg.sh start          initdb if needed, start, wait, create the database
#   scripts/pg.sh stop
#   scripts/pg.sh status
#   scripts/pg.sh url [DBNAME]   postgres://vanban:PASSWORD@127.0.0.1:PORT/DBNAME?sslmode=disable
#
# Environment:
#   VANBAN_PG_DIR   cluster home (default: <repo>/var/pg): data/, password, log
#   VANBAN_PG_PORT  TCP port on 127.0.0.1 (default 55432)
#   VANBAN_PG_DB    database created by start and used by url (default vanban)
#
# The superuser is `vanban`, with a random password made once and kept in
# $VANBAN_PG_DIR/password (mode 600). The server listens on 127.0.0.1 only,
# with no unix socket. PostgreSQL refuses to run as root, so when run as root
# the server runs as the `postgres` system user.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
PGHOME=${VANBAN_PG_DIR:-$ROOT/var/pg}
PORT=${VANBAN_PG_PORT:-55432}
DB=${VANBAN_PG_DB:-vanban}
SUPERUSER=vanban
HOST=127.0.0.1

die() { echo "pg.sh: $*" >&2; exit 1; }
note() { echo "pg.sh: $*" >&2; }

[[ $PORT =~ ^[0-9]+$ ]] || die "VANBAN_PG_PORT must be a number, not '$PORT'"

mkdir -p "$PGHOME"
PGHOME=$(cd "$PGHOME" && pwd -P)
DATA=$PGHOME/data
PWFILE=$PGHOME/password
LOG=$PGHOME/log

# --- PostgreSQL binaries ------------------------------------------------------
find_bindir() {
	local d
	if command -v pg_config >/dev/null 2>&1; then
		d=$(pg_config --bindir 2>/dev/null || true)
		if [[ -n $d && -x $d/initdb && -x $d/pg_ctl ]]; then echo "$d"; return; fi
	fi
	# shellcheck disable=SC2012
	d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
	if [[ -n $d && -x $d/initdb && -x $d/pg_ctl ]]; then echo "$d"; return; fi
	if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
		dirname "$(command -v initdb)"; return
	fi
	return 1
}
BINDIR=$(find_bindir) || die "PostgreSQL server binaries (initdb, pg_ctl) not found; run scripts/deps.sh or: apt-get install postgresql"

# psql and pg_isready live in the same bindir on Debian; fall back to PATH.
tool() {
	if [[ -x $BINDIR/$1 ]]; then echo "$BINDIR/$1"
	elif command -v "$1" >/dev/null 2>&1; then command -v "$1"
	else die "$1 not found (apt-get install postgresql-client)"
	fi
}

# --- running as the right user ------------------------------------------------
if [[ $(id -u) -eq 0 ]]; then
	PGUSER_OS=postgres
	id "$PGUSER_OS" >/dev/null 2>&1 || die "running as root, but there is no 'postgres' system user to run the server as (apt-get install postgresql, or: useradd --system postgres)"
	# cd / so that initdb and the server do not complain about an unreadable
	# cwd; 9>&- so that the server does not inherit (and hold) the lock.
	as_pg() { (cd / && runuser -u "$PGUSER_OS" -- "$@" 9>&-); }
else
	PGUSER_OS=$(id -un)
	as_pg() { (cd / && "$@" 9>&-); }
fi

# Fail clearly if the server's user cannot reach the cluster directory, e.g.
# a clone under /root (mode 700).
check_reachable() {
	[[ $(id -u) -eq 0 ]] || return 0
	if as_pg test -x "$PGHOME" -a -r "$PGHOME"; then return 0; fi
	local d=$PGHOME bad=$PGHOME
	while [[ $d != / ]]; do
		as_pg test -x "$d" || bad=$d
		d=$(dirname "$d")
	done
	die "PostgreSQL runs as user '$PGUSER_OS', which cannot traverse $bad ($(stat -c '%A %U:%G' "$bad")).
  Fix it with:  chmod o+x $bad
  or put the cluster elsewhere:  export VANBAN_PG_DIR=/var/tmp/vanban-pg"
}

read_password() {
	[[ -s $PWFILE ]] || return 1
	tr -d '\n' <"$PWFILE"
}

running() { [[ -f $DATA/PG_VERSION ]] && as_pg "$BINDIR/pg_ctl" -D "$DATA" status >/dev/null 2>&1; }

port_in_use() { (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null; }

valid_dbname() { [[ $1 =~ ^[A-Za-z0-9_][A-Za-z0-9_-]*$ ]] || die "database name '$1' must match [A-Za-z0-9_-]+"; }

psql_su() {
	local pw
	pw=$(read_password) || die "no password in $PWFILE"
	PGPASSWORD=$pw PGCONNECT_TIMEOUT=5 "$(tool psql)" -X -q -v ON_ERROR_STOP=1 \
		-h "$HOST" -p "$PORT" -U "$SUPERUSER" "$@"
}

# --- subcommands --------------------------------------------------------------
do_init() {
	if [[ -f $DATA/PG_VERSION ]]; then
		read_password >/dev/null || die "$DATA exists but $PWFILE is missing or empty: the superuser password is lost. Remove $PGHOME to start afresh."
		local have want
		have=$(cat "$DATA/PG_VERSION")
		want=$("$BINDIR/postgres" --version | grep -oE '[0-9]+' | head -n 1)
		[[ $have == "$want" ]] || die "$DATA was made by PostgreSQL $have but $BINDIR is PostgreSQL $want; remove $PGHOME (its data is lost) or put PostgreSQL $have first"
		return 0
	fi
	if [[ -e $DATA ]] && [[ -n $(ls -A "$DATA" 2>/dev/null) ]]; then
		die "$DATA exists, is not empty, and is not a PostgreSQL cluster; remove it"
	fi
	if ! read_password >/dev/null; then
		(umask 077 && od -An -tx1 -N18 /dev/urandom | tr -d ' \n' >"$PWFILE.tmp" && mv -f "$PWFILE.tmp" "$PWFILE")
	fi
	chmod 600 "$PWFILE"

	local locale=C
	if locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$'; then locale=C.UTF-8; fi

	mkdir -p "$DATA"
	chmod 700 "$DATA"
	[[ $(id -u) -ne 0 ]] || chown "$PGUSER_OS": "$DATA"
	note "initdb $DATA (superuser $SUPERUSER, UTF8, locale $locale)"
	# initdb reads the password from a file its user can open (not a pipe
	# owned by root); the copy is removed right after.
	local pwcopy
	pwcopy=$(mktemp "$PGHOME/.initdb-pw.XXXXXX")
	read_password >"$pwcopy"
	[[ $(id -u) -ne 0 ]] || chown "$PGUSER_OS": "$pwcopy"
	if ! as_pg "$BINDIR/initdb" -D "$DATA" -U "$SUPERUSER" --pwfile="$pwcopy" \
		--auth=scram-sha-256 --encoding=UTF8 --locale="$locale" --no-instructions >"$PGHOME/initdb.log" 2>&1; then
		rm -f "$pwcopy"
		cat "$PGHOME/initdb.log" >&2
		rm -rf "$DATA"
		die "initdb failed"
	fi
	rm -f "$pwcopy"
	echo "include_if_exists = 'vanban.conf'" | as_pg tee -a "$DATA/postgresql.conf" >/dev/null
}

write_conf() {
	# Rewritten at every start so that VANBAN_PG_PORT takes effect.
	# fsync is off: this cluster holds development and test data only.
	as_pg tee "$DATA/vanban.conf" >/dev/null <<EOF
# Written by scripts/pg.sh at every start; edits are lost.
listen_addresses = '$HOST'
port = $PORT
unix_socket_directories = ''
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
log_min_duration_statement = -1
log_line_prefix = '%m [%p] %q%u@%d '
EOF
}

do_start() {
	check_reachable
	if [[ $(id -u) -eq 0 && -d $DATA && $(stat -c %U "$DATA") != "$PGUSER_OS" ]]; then
		chown -R "$PGUSER_OS": "$DATA"
	fi
	do_init
	if running; then
		local cur
		cur=$(sed -n 4p "$DATA/postmaster.pid" 2>/dev/null || true)
		if [[ -n $cur && $cur != "$PORT" ]]; then
			die "the cluster in $DATA is already running on port $cur, not $PORT; run scripts/pg.sh stop first"
		fi
	else
		if port_in_use; then
			local what="something that is not PostgreSQL"
			if PGCONNECT_TIMEOUT=3 "$(tool pg_isready)" -q -h "$HOST" -p "$PORT" >/dev/null 2>&1; then
				what="another PostgreSQL server"
			fi
			die "port $HOST:$PORT is busy with $what (not the cluster in $DATA). Stop it, or pick another port: export VANBAN_PG_PORT=55433"
		fi
		write_conf
		touch "$LOG"
		[[ $(id -u) -ne 0 ]] || chown "$PGUSER_OS": "$LOG"
		note "starting PostgreSQL on $HOST:$PORT (log: $LOG)"
		if ! as_pg "$BINDIR/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 start >/dev/null; then
			tail -n 30 "$LOG" >&2 || true
			die "PostgreSQL did not start; see $LOG"
		fi
	fi
	local i
	for ((i = 0; i < 60; i++)); do
		if PGCONNECT_TIMEOUT=2 "$(tool pg_isready)" -q -h "$HOST" -p "$PORT" -d postgres; then break; fi
		sleep 0.5
	done
	((i < 60)) || { tail -n 30 "$LOG" >&2 || true; die "PostgreSQL on $HOST:$PORT is not ready after 30 s; see $LOG"; }

	valid_dbname "$DB"
	if [[ -z $(psql_su -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'") ]]; then
		note "creating database $DB"
		psql_su -d postgres -c "CREATE DATABASE \"$DB\""
	fi
	echo "PostgreSQL ready on $HOST:$PORT (data $DATA, database $DB)"
}

do_stop() {
	if running; then
		as_pg "$BINDIR/pg_ctl" -D "$DATA" -m fast -w -t 60 stop >/dev/null
		echo "PostgreSQL stopped ($DATA)"
	else
		echo "PostgreSQL is not running ($DATA)"
	fi
}

do_status() {
	if running; then
		local pid port
		pid=$(sed -n 1p "$DATA/postmaster.pid" 2>/dev/null || true)
		port=$(sed -n 4p "$DATA/postmaster.pid" 2>/dev/null || true)
		echo "PostgreSQL running: pid $pid, $HOST:${port:-$PORT}, data $DATA"
	else
		echo "PostgreSQL not running (data $DATA)"
		return 3
	fi
}

do_url() {
	local db=${1:-$DB} pw
	valid_dbname "$db"
	pw=$(read_password) || die "no password yet in $PWFILE; run scripts/pg.sh start first"
	echo "postgres://$SUPERUSER:$pw@$HOST:$PORT/$db?sslmode=disable"
}

# Serialise start/stop between concurrent callers (make run and make test).
lock() {
	exec 9>"$PGHOME/lock"
	flock -w 180 9 || die "timed out waiting for $PGHOME/lock"
}

cmd=${1:-}
case $cmd in
start) lock; do_start ;;
stop) lock; do_stop ;;
status) do_status ;;
url) shift; do_url "$@" ;;
*) echo "usage: $0 start|stop|status|url [DBNAME]" >&2; exit 2 ;;
esac
