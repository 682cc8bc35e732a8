#!/usr/bin/env bash
# The SMTP server for tests: mailpit (MIT), which keeps every message it
# receives and shows them through an HTTP API.
#
#   scripts/smtp.sh start   build mailpit if needed, start it, wait until it answers
#   scripts/smtp.sh stop
#   scripts/smtp.sh status
#   scripts/smtp.sh env     export lines for VANBAN_TEST_SMTP_ADDR/_API
#
# Environment:
#   VANBAN_SMTP_ADDR       SMTP listen address (default 127.0.0.1:1025)
#   VANBAN_SMTP_HTTP_ADDR  HTTP API listen address (default 127.0.0.1:8025)
#   VANBAN_SMTP_DIR        state: mailpit.db, pid, log (default <repo>/var/smtp)
#   VANBAN_TOOLS_BIN       where mailpit is built (default ~/.cache/vanban/bin)
#
# It accepts any AUTH login, over plain connections too, so tests may use
# SMTP_USERNAME/SMTP_PASSWORD with SMTP_TLS=none.
set -euo pipefail

MAILPIT_VERSION=v1.33.1
MAILPIT_PKG=github.com/axllent/mailpit
export GOTOOLCHAIN=${GOTOOLCHAIN:-go1.27.3}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
ADDR=${VANBAN_SMTP_ADDR:-127.0.0.1:1025}
HTTP_ADDR=${VANBAN_SMTP_HTTP_ADDR:-127.0.0.1:8025}
SMTPDIR=${VANBAN_SMTP_DIR:-$ROOT/var/smtp}
HOMEDIR=${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}
TOOLS_BIN=${VANBAN_TOOLS_BIN:-${HOMEDIR:-$ROOT/var}/.cache/vanban/bin}
BIN=$TOOLS_BIN/mailpit
PIDFILE=$SMTPDIR/pid
LOG=$SMTPDIR/log
API=http://$HTTP_ADDR

die() { echo "smtp.sh: $*" >&2; exit 1; }
note() { echo "smtp.sh: $*" >&2; }

# Both ports must answer: the HTTP API, and SMTP with its 220 greeting.
answers() {
	curl -sf -o /dev/null --connect-timeout 1 --max-time 3 "$API/livez" || return 1
	local host=${ADDR%:*} port=${ADDR##*:} greeting
	host=${host#[}
	host=${host%]}
	# shellcheck disable=SC2016 # $0 and $1 expand in the inner bash
	greeting=$(timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/$1" && head -c 3 <&3' "$host" "$port" 2>/dev/null) || return 1
	[[ $greeting == 220 ]]
}

ours_pid() {
	local pid
	[[ -s $PIDFILE ]] || return 1
	pid=$(<"$PIDFILE")
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	kill -0 "$pid" 2>/dev/null || return 1
	tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q mailpit || return 1
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
		go version -m "$BIN" 2>/dev/null | grep -qE "^[[:space:]]*mod[[:space:]]+github.com/axllent/mailpit[[:space:]]+$MAILPIT_VERSION([[:space:]]|$)"
	fi
}

build() {
	have_go || die "go not found (expected /usr/local/go/bin/go); it is needed to build mailpit"
	mkdir -p "$TOOLS_BIN"
	# One build at a time; a second caller waits and then finds the binary.
	exec 8>"$TOOLS_BIN/.mailpit.lock"
	flock -w 900 8 || die "timed out waiting for another build of mailpit ($TOOLS_BIN/.mailpit.lock)"
	if binary_ok; then exec 8>&-; return 0; fi
	local tmp
	tmp=$(mktemp -d "$TOOLS_BIN/.build.XXXXXX")
	note "building mailpit $MAILPIT_VERSION into $TOOLS_BIN (takes a minute or two the first time)"
	if ! GOBIN=$tmp GOFLAGS=-buildvcs=false go install "$MAILPIT_PKG@$MAILPIT_VERSION"; then
		rm -rf "$tmp"
		die "could not build mailpit $MAILPIT_VERSION"
	fi
	mv -f "$tmp/mailpit" "$BIN"
	rm -rf "$tmp"
	exec 8>&-
}

do_start() {
	mkdir -p "$SMTPDIR"
	exec 9>"$SMTPDIR/lock"
	flock -w 900 9 || die "timed out waiting for $SMTPDIR/lock"

	if answers; then
		if ours_pid >/dev/null; then
			echo "SMTP (mailpit) already running at $ADDR, API $API (pid $(ours_pid))"
		else
			echo "SMTP: something already answers at $ADDR and $API (not started by this script); using it as is. It must be mailpit."
		fi
		return 0
	fi

	local pid
	if pid=$(ours_pid); then
		note "mailpit (pid $pid) is running but not answering yet; waiting"
	else
		rm -f "$PIDFILE"
		binary_ok || build
		note "starting mailpit: SMTP $ADDR, API $API (log $LOG)"
		echo "--- $(date -Is) start $BIN --smtp $ADDR --listen $HTTP_ADDR" >>"$LOG"
		# setsid + nohup: the server outlives the shell and make; 8/9>&-: it
		# must not hold the locks. --max: tests tell their messages apart by
		# recipient, so keep plenty.
		setsid nohup "$BIN" --smtp "$ADDR" --listen "$HTTP_ADDR" \
			--database "$SMTPDIR/mailpit.db" --max 20000 \
			--smtp-auth-accept-any --smtp-auth-allow-insecure --smtp-disable-rdns \
			--disable-version-check --quiet \
			</dev/null >>"$LOG" 2>&1 8>&- 9>&- &
		pid=$!
		echo "$pid" >"$PIDFILE"
	fi

	local i
	for ((i = 0; i < 40; i++)); do
		if answers; then
			echo "SMTP (mailpit) ready at $ADDR, API $API (pid $pid)"
			return 0
		fi
		if ! kill -0 "$pid" 2>/dev/null; then
			tail -n 20 "$LOG" >&2 || true
			rm -f "$PIDFILE"
			die "mailpit exited; see $LOG (are $ADDR and $HTTP_ADDR free?)"
		fi
		sleep 0.5
	done
	tail -n 20 "$LOG" >&2 || true
	die "mailpit (pid $pid) does not answer at $ADDR and $API after 20 s; see $LOG"
}

do_stop() {
	local pid i
	if ! pid=$(ours_pid); then
		rm -f "$PIDFILE"
		echo "SMTP (mailpit) is not running from $SMTPDIR"
		return 0
	fi
	kill "$pid" 2>/dev/null || true
	for ((i = 0; i < 20; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.5
	done
	if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid" 2>/dev/null || true; fi
	rm -f "$PIDFILE"
	echo "SMTP (mailpit) stopped (pid $pid)"
}

do_status() {
	local pid
	if pid=$(ours_pid); then
		if answers; then echo "SMTP (mailpit) running at $ADDR, API $API (pid $pid)"; else echo "SMTP (mailpit) pid $pid is not answering at $ADDR and $API"; return 1; fi
	elif answers; then
		echo "SMTP: something not started by this script answers at $ADDR and $API"
	else
		echo "SMTP not running at $ADDR"
		return 3
	fi
}

do_env() {
	printf 'export VANBAN_TEST_SMTP_ADDR=%q\n' "$ADDR"
	printf 'export VANBAN_TEST_SMTP_API=%q\n' "$API"
}

case ${1:-} in
start) do_start ;;
stop) do_stop ;;
status) do_status ;;
env) do_env ;;
*) echo "usage: $0 start|stop|status|env" >&2; exit 2 ;;
esac
