#!/usr/bin/env bash
# The figures of issue 17 (signing, verifying and small transfers at the
# speed of the hardware), one after the other in one run on the services
# `make services` starts; each benchmark alternates what it compares and
# prints its own summary (medians, p10-p90, ratios):
#
#   1. signing.Sign visible and invisible against pdfsign alone, 1 MiB and
#      20 MiB, one core; peak RSS of 4 concurrent 20 MiB signatures
#   2. a person's visible signature through the API, one core, 1 MiB
#   3. registration with the seal, one clerk and 8 concurrent clerks
#   4. `vanban verify` one-shot against poppler's pdfsig; POST /api/v1/verify
#      against signing.Verify in-process
#   5. upload and download through the API against minio-go directly
#   6. peers (iText 5, @signpdf) when installed: scripts/bench-peers.sh
#
# Usage: scripts/bench-signing.sh [quick]   (quick: fewer rounds)
set -euo pipefail
cd "$(dirname "$0")/.."
go=${GO:-go}
quick=${1:-}
sign=30x api=12x reg=4x cmd=150x apiv=200x xfer=5x
if [[ $quick == quick ]]; then sign=10x api=4x reg=2x cmd=40x apiv=60x xfer=2x; fi
run() { echo; echo "+ $*"; "$@" 2>&1 | grep -v '^\(goos\|goarch\|pkg\|cpu\):' || true; }
run $go test -run '^$' -bench 'Sign$' -benchtime $sign -cpu 1 ./signing/
run $go test -run '^$' -bench 'SignPeak' -benchtime 1x ./signing/
VANBAN_BENCH_SIZES=1 run $go test -run '^$' -bench 'APISign' -benchtime $api -cpu 1 ./internal/server/
run $go test -run '^$' -bench 'Registration' -benchtime $reg -cpu 1,2 ./documents/
run $go test -run '^$' -bench 'VerifyCommand' -benchtime $cmd ./cmd/vanban/
run $go test -run '^$' -bench 'APIVerify' -benchtime $apiv ./internal/server/
run $go test -run '^$' -bench . -benchtime $xfer ./bench/
if [[ -x scripts/bench-peers.sh ]]; then run bash scripts/bench-peers.sh 10; fi
