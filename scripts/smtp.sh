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
# shellcheck source=scripts/service.sh
source "$(dirname "${BASH_SOURCE[0]}")/service.sh"

ADDR=${VANBAN_SMTP_ADDR:-127.0.0.1:1025}
HTTP_ADDR=${VANBAN_SMTP_HTTP_ADDR:-127.0.0.1:8025}
SMTPDIR=${VANBAN_SMTP_DIR:-$ROOT/var/smtp}
API=http://$HTTP_ADDR

SVC_SCRIPT=smtp.sh
SVC_SHORT=SMTP
SVC_NAME="SMTP (mailpit)"
SVC_TOOL=mailpit
SVC_VERSION=v1.33.1
SVC_MODULE=github.com/axllent/mailpit
SVC_PKG=$SVC_MODULE
SVC_BUILD_TIME="a minute or two"
SVC_DIR=$SMTPDIR
SVC_WHERE="$ADDR, API $API"
SVC_FOREIGN="It must be mailpit."
SVC_EXIT_HINT="are $ADDR and $HTTP_ADDR free?"

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

# --max: tests tell their messages apart by recipient, so keep plenty.
launch() {
	note "starting mailpit: SMTP $ADDR, API $API (log $LOG)"
	echo "--- $(date -Is) start $BIN --smtp $ADDR --listen $HTTP_ADDR" >>"$LOG"
	setsid nohup "$BIN" --smtp "$ADDR" --listen "$HTTP_ADDR" \
		--database "$SMTPDIR/mailpit.db" --max 20000 \
		--smtp-auth-accept-any --smtp-auth-allow-insecure --smtp-disable-rdns \
		--disable-version-check --quiet \
		</dev/null >>"$LOG" 2>&1 8>&- 9>&- &
}

do_env() {
	printf 'export VANBAN_TEST_SMTP_ADDR=%q\n' "$ADDR"
	printf 'export VANBAN_TEST_SMTP_API=%q\n' "$API"
}

service_main "$@"
