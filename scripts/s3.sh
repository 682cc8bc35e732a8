#!/usr/bin/env bash
# The S3-compatible server for tests: versitygw (Apache-2.0) on a posix
# backend in var/s3.
#
#   scripts/s3.sh start   build versitygw if needed, start it, wait until it answers
#   scripts/s3.sh stop
#   scripts/s3.sh status
#   scripts/s3.sh env     export lines for VANBAN_TEST_S3_ENDPOINT/_ACCESS_KEY/_SECRET_KEY
#
# Environment:
#   VANBAN_S3_ADDR        listen address (default 127.0.0.1:7070)
#   VANBAN_S3_ACCESS_KEY  root access key (default vanbantest)
#   VANBAN_S3_SECRET_KEY  root secret key (default vanbantestsecret)
#   VANBAN_S3_DIR         state: data/, versions/, pid, log (default <repo>/var/s3);
#                         must be on a filesystem with user xattrs (ext4, xfs, ...)
#   VANBAN_TOOLS_BIN      where versitygw is built (default ~/.cache/vanban/bin)
set -euo pipefail

VERSITYGW_VERSION=v1.8.0
VERSITYGW_PKG=github.com/versity/versitygw/cmd/versitygw
export GOTOOLCHAIN=${GOTOOLCHAIN:-go1.27.3}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
ADDR=${VANBAN_S3_ADDR:-127.0.0.1:7070}
ACCESS=${VANBAN_S3_ACCESS_KEY:-vanbantest}
SECRET=${VANBAN_S3_SECRET_KEY:-vanbantestsecret}
S3DIR=${VANBAN_S3_DIR:-$ROOT/var/s3}
HOMEDIR=${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}
TOOLS_BIN=${VANBAN_TOOLS_BIN:-${HOMEDIR:-$ROOT/var}/.cache/vanban/bin}
BIN=$TOOLS_BIN/versitygw
PIDFILE=$S3DIR/pid
LOG=$S3DIR/log
URL=http://$ADDR/

die() { echo "s3.sh: $*" >&2; exit 1; }
note() { echo "s3.sh: $*" >&2; }

answers() { curl -s -o /dev/null --connect-timeout 1 --max-time 3 "$URL"; }

ours_pid() {
	local pid
	[[ -s $PIDFILE ]] || return 1
	pid=$(<"$PIDFILE")
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	kill -0 "$pid" 2>/dev/null || return 1
	tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q versitygw || return 1
	echo "$pid"
}

have_go() {
	if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then
		export PATH=/usr/local/go/bin:$PATH
	fi
	command -v go >/dev/null 2>&1
}

binary_ok() {
	[[ -x $BIN ]] || return 1
	# Rebuild if the binary there is another version.
	if have_go; then
		go version -m "$BIN" 2>/dev/null | grep -qE "^[[:space:]]*mod[[:space:]]+github.com/versity/versitygw[[:space:]]+$VERSITYGW_VERSION([[:space:]]|$)"
	fi
}

build() {
	have_go || die "go not found (expected /usr/local/go/bin/go); it is needed to build versitygw"
	mkdir -p "$TOOLS_BIN"
	# One build at a time; a second caller waits and then finds the binary.
	exec 8>"$TOOLS_BIN/.versitygw.lock"
	flock -w 900 8 || die "timed out waiting for another build of versitygw ($TOOLS_BIN/.versitygw.lock)"
	if binary_ok; then exec 8>&-; return 0; fi
	local tmp
	tmp=$(mktemp -d "$TOOLS_BIN/.build.XXXXXX")
	note "building versitygw $VERSITYGW_VERSION into $TOOLS_BIN (takes a few minutes the first time)"
	if ! GOBIN=$tmp GOFLAGS=-buildvcs=false go install "$VERSITYGW_PKG@$VERSITYGW_VERSION"; then
		rm -rf "$tmp"
		die "could not build versitygw $VERSITYGW_VERSION"
	fi
	mv -f "$tmp/versitygw" "$BIN"
	rm -rf "$tmp"
	exec 8>&-
}

do_start() {
	mkdir -p "$S3DIR"
	exec 9>"$S3DIR/lock"
	flock -w 900 9 || die "timed out waiting for $S3DIR/lock"

	if answers; then
		if ours_pid >/dev/null; then
			echo "S3 (versitygw) already running at $ADDR (pid $(ours_pid))"
		else
			echo "S3: something already answers at $URL (not started by this script); using it as is. It must accept access key '$ACCESS'."
		fi
		return 0
	fi

	local pid
	if pid=$(ours_pid); then
		note "versitygw (pid $pid) is running but not answering yet; waiting"
	else
		rm -f "$PIDFILE"
		binary_ok || build
		mkdir -p "$S3DIR/data" "$S3DIR/versions"
		note "starting versitygw on $ADDR (data $S3DIR/data, log $LOG)"
		{
			echo "--- $(date -Is) start $BIN --port $ADDR"
		} >>"$LOG"
		# setsid + nohup: the server outlives the shell and make; 8/9>&-: it
		# must not hold the locks.
		setsid nohup "$BIN" --port "$ADDR" --access "$ACCESS" --secret "$SECRET" --quiet \
			posix --versioning-dir "$S3DIR/versions" "$S3DIR/data" \
			</dev/null >>"$LOG" 2>&1 8>&- 9>&- &
		pid=$!
		echo "$pid" >"$PIDFILE"
	fi

	local i
	for ((i = 0; i < 40; i++)); do
		if answers; then
			echo "S3 (versitygw) ready at $ADDR (pid $pid, data $S3DIR/data)"
			return 0
		fi
		if ! kill -0 "$pid" 2>/dev/null; then
			tail -n 20 "$LOG" >&2 || true
			rm -f "$PIDFILE"
			die "versitygw exited; see $LOG (is $ADDR free? does $S3DIR support user xattrs?)"
		fi
		sleep 0.5
	done
	tail -n 20 "$LOG" >&2 || true
	die "versitygw (pid $pid) does not answer at $URL after 20 s; see $LOG"
}

do_stop() {
	local pid i
	if ! pid=$(ours_pid); then
		rm -f "$PIDFILE"
		echo "S3 (versitygw) is not running from $S3DIR"
		return 0
	fi
	kill "$pid" 2>/dev/null || true
	for ((i = 0; i < 20; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.5
	done
	if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid" 2>/dev/null || true; fi
	rm -f "$PIDFILE"
	echo "S3 (versitygw) stopped (pid $pid)"
}

do_status() {
	local pid
	if pid=$(ours_pid); then
		if answers; then echo "S3 (versitygw) running at $ADDR (pid $pid)"; else echo "S3 (versitygw) pid $pid is not answering at $ADDR"; return 1; fi
	elif answers; then
		echo "S3: something not started by this script answers at $ADDR"
	else
		echo "S3 not running at $ADDR"
		return 3
	fi
}

do_env() {
	printf 'export VANBAN_TEST_S3_ENDPOINT=%q\n' "$ADDR"
	printf 'export VANBAN_TEST_S3_ACCESS_KEY=%q\n' "$ACCESS"
	printf 'export VANBAN_TEST_S3_SECRET_KEY=%q\n' "$SECRET"
}

case ${1:-} in
start) do_start ;;
stop) do_stop ;;
status) do_status ;;
env) do_env ;;
*) echo "usage: $0 start|stop|status|env" >&2; exit 2 ;;
esac
