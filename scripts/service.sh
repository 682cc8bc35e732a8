# shellcheck shell=bash
# What scripts/s3.sh and scripts/smtp.sh share: build a Go server at a
# pinned version, start it in the background, wait until it answers, stop
# it, report its status. Sourced, not run.
#
# The sourcing script sets, then calls service_main "$@":
#   SVC_SCRIPT   its name, for messages (s3.sh)
#   SVC_SHORT    the service (S3), and SVC_NAME with its server (S3 (versitygw))
#   SVC_TOOL     the binary, also how its process is recognised (versitygw)
#   SVC_PKG      the package go install builds, SVC_MODULE its module, SVC_VERSION
#   SVC_BUILD_TIME  how long the first build takes, for the message
#   SVC_DIR      state: pid, log, lock
#   SVC_WHERE    where it answers, for messages ("127.0.0.1:7070")
#   SVC_FOREIGN  what a server found answering there must be, for the message
#   SVC_EXIT_HINT  what to check when the server exits at once
# and defines:
#   answers      whether the server answers
#   launch       start it in the background (the last job: service_main reads $!)
#   do_env       print the export lines for the tests

export GOTOOLCHAIN=${GOTOOLCHAIN:-go1.27.3}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
HOMEDIR=${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}
TOOLS_BIN=${VANBAN_TOOLS_BIN:-${HOMEDIR:-$ROOT/var}/.cache/vanban/bin}

die() { echo "$SVC_SCRIPT: $*" >&2; exit 1; }
note() { echo "$SVC_SCRIPT: $*" >&2; }

ours_pid() {
	local pid
	[[ -s $PIDFILE ]] || return 1
	pid=$(<"$PIDFILE")
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	kill -0 "$pid" 2>/dev/null || return 1
	tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "$SVC_TOOL" || return 1
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
		go version -m "$BIN" 2>/dev/null | grep -qE "^[[:space:]]*mod[[:space:]]+$SVC_MODULE[[:space:]]+$SVC_VERSION([[:space:]]|$)"
	fi
}

build() {
	have_go || die "go not found (expected /usr/local/go/bin/go); it is needed to build $SVC_TOOL"
	mkdir -p "$TOOLS_BIN"
	# One build at a time; a second caller waits and then finds the binary.
	exec 8>"$TOOLS_BIN/.$SVC_TOOL.lock"
	flock -w 900 8 || die "timed out waiting for another build of $SVC_TOOL ($TOOLS_BIN/.$SVC_TOOL.lock)"
	if binary_ok; then exec 8>&-; return 0; fi
	local tmp
	tmp=$(mktemp -d "$TOOLS_BIN/.build.XXXXXX")
	note "building $SVC_TOOL $SVC_VERSION into $TOOLS_BIN (takes $SVC_BUILD_TIME the first time)"
	if ! GOBIN=$tmp GOFLAGS=-buildvcs=false go install "$SVC_PKG@$SVC_VERSION"; then
		rm -rf "$tmp"
		die "could not build $SVC_TOOL $SVC_VERSION"
	fi
	mv -f "$tmp/$SVC_TOOL" "$BIN"
	rm -rf "$tmp"
	exec 8>&-
}

do_start() {
	mkdir -p "$SVC_DIR"
	exec 9>"$SVC_DIR/lock"
	flock -w 900 9 || die "timed out waiting for $SVC_DIR/lock"

	if answers; then
		if ours_pid >/dev/null; then
			echo "$SVC_NAME already running at $SVC_WHERE (pid $(ours_pid))"
		else
			echo "$SVC_SHORT: something already answers at $SVC_WHERE (not started by this script); using it as is. $SVC_FOREIGN"
		fi
		return 0
	fi

	local pid
	if pid=$(ours_pid); then
		note "$SVC_TOOL (pid $pid) is running but not answering yet; waiting"
	else
		rm -f "$PIDFILE"
		binary_ok || build
		# launch uses setsid + nohup, so that the server outlives the shell
		# and make, and 8>&- 9>&-, so that it does not hold the locks.
		launch
		pid=$!
		echo "$pid" >"$PIDFILE"
	fi

	local i
	for ((i = 0; i < 40; i++)); do
		if answers; then
			echo "$SVC_NAME ready at $SVC_WHERE (pid $pid)"
			return 0
		fi
		if ! kill -0 "$pid" 2>/dev/null; then
			tail -n 20 "$LOG" >&2 || true
			rm -f "$PIDFILE"
			die "$SVC_TOOL exited; see $LOG ($SVC_EXIT_HINT)"
		fi
		sleep 0.5
	done
	tail -n 20 "$LOG" >&2 || true
	die "$SVC_TOOL (pid $pid) does not answer at $SVC_WHERE after 20 s; see $LOG"
}

do_stop() {
	local pid i
	if ! pid=$(ours_pid); then
		rm -f "$PIDFILE"
		echo "$SVC_NAME is not running from $SVC_DIR"
		return 0
	fi
	kill "$pid" 2>/dev/null || true
	for ((i = 0; i < 20; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.5
	done
	if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid" 2>/dev/null || true; fi
	rm -f "$PIDFILE"
	echo "$SVC_NAME stopped (pid $pid)"
}

# do_status exits 0 when something answers, 1 when our server does not
# answer (yet), 3 when nothing runs: .ci/run stops only what it started.
do_status() {
	local pid
	if pid=$(ours_pid); then
		if answers; then echo "$SVC_NAME running at $SVC_WHERE (pid $pid)"; else echo "$SVC_NAME pid $pid is not answering at $SVC_WHERE"; return 1; fi
	elif answers; then
		echo "$SVC_SHORT: something not started by this script answers at $SVC_WHERE"
	else
		echo "$SVC_SHORT not running at $SVC_WHERE"
		return 3
	fi
}

service_main() {
	BIN=$TOOLS_BIN/$SVC_TOOL
	PIDFILE=$SVC_DIR/pid
	LOG=$SVC_DIR/log
	case ${1:-} in
	start) do_start ;;
	stop) do_stop ;;
	status) do_status ;;
	env) do_env ;;
	*) echo "usage: $0 start|stop|status|env" >&2; exit 2 ;;
	esac
}
