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
#
# Object Lock (WORM: S3_OBJECT_LOCK=true, storage/lock_test.go, worm/) works
# on this server as started here: a bucket made with Object Lock is
# versioned (versions/), compliance-mode versions refuse deletion, and a
# PUT over a locked key only adds a newer version. Without --versioning-dir
# versitygw still enforces the lock, by refusing the PUT itself.
set -euo pipefail
# shellcheck source=scripts/service.sh
source "$(dirname "${BASH_SOURCE[0]}")/service.sh"

ADDR=${VANBAN_S3_ADDR:-127.0.0.1:7070}
ACCESS=${VANBAN_S3_ACCESS_KEY:-vanbantest}
SECRET=${VANBAN_S3_SECRET_KEY:-vanbantestsecret}
S3DIR=${VANBAN_S3_DIR:-$ROOT/var/s3}
URL=http://$ADDR/

SVC_SCRIPT=s3.sh
SVC_SHORT=S3
SVC_NAME="S3 (versitygw)"
SVC_TOOL=versitygw
SVC_VERSION=v1.8.0
SVC_MODULE=github.com/versity/versitygw
SVC_PKG=$SVC_MODULE/cmd/versitygw
SVC_BUILD_TIME="a few minutes"
SVC_DIR=$S3DIR
SVC_WHERE=$ADDR
SVC_FOREIGN="It must accept access key '$ACCESS'."
SVC_EXIT_HINT="is $ADDR free? does $S3DIR support user xattrs?"

answers() { curl -s -o /dev/null --connect-timeout 1 --max-time 3 "$URL"; }

launch() {
	mkdir -p "$S3DIR/data" "$S3DIR/versions"
	note "starting versitygw on $ADDR (data $S3DIR/data, log $LOG)"
	echo "--- $(date -Is) start $BIN --port $ADDR" >>"$LOG"
	setsid nohup "$BIN" --port "$ADDR" --access "$ACCESS" --secret "$SECRET" --quiet \
		posix --versioning-dir "$S3DIR/versions" "$S3DIR/data" \
		</dev/null >>"$LOG" 2>&1 8>&- 9>&- &
}

do_env() {
	printf 'export VANBAN_TEST_S3_ENDPOINT=%q\n' "$ADDR"
	printf 'export VANBAN_TEST_S3_ACCESS_KEY=%q\n' "$ACCESS"
	printf 'export VANBAN_TEST_S3_SECRET_KEY=%q\n' "$SECRET"
}

service_main "$@"
