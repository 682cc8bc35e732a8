export GOTOOLCHAIN := go1.27.3
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := build

# Use the machine's Go when it is not on PATH already.
ifneq ($(wildcard /usr/local/go/bin/go),)
export PATH := /usr/local/go/bin:$(PATH)
endif

GO ?= go
PG := bash scripts/pg.sh
S3 := bash scripts/s3.sh
SMTP := bash scripts/smtp.sh
DEPS := bash scripts/deps.sh
STATICCHECK_VERSION ?= v0.8.2
VANBAN_CHROMIUM ?= /usr/bin/chromium

# make run
LISTEN_ADDR ?= 127.0.0.1:8080
LISTEN_PORT := $(lastword $(subst :, ,$(LISTEN_ADDR)))
PUBLIC_URL ?= http://localhost:$(LISTEN_PORT)

# Sets the environment the integration tests and benchmarks read, from the
# services started by scripts/pg.sh, scripts/s3.sh and scripts/smtp.sh.
SERVICE_ENV = s3env=$$($(S3) env); eval "$$s3env"; \
	smtpenv=$$($(SMTP) env); eval "$$smtpenv"; \
	pgurl=$$($(PG) url postgres); \
	export VANBAN_TEST_DATABASE_URL="$$pgurl" VANBAN_CHROMIUM="$(VANBAN_CHROMIUM)"

.PHONY: build run test test-short lint bench bench-signing clean services pg-stop s3-stop smtp-stop stop

build:
	$(GO) build -o bin/vanban ./cmd/vanban

# The demo password is made once and kept in var/demo-password, so a second
# `make run` prints the same logins. DEMO_PASSWORD from the environment wins.
run: build
	$(DEPS) run
	$(PG) start
	@mkdir -p var/data
	@pwnote="DEMO_PASSWORD from the environment"; \
	if [[ -z "$${DEMO_PASSWORD:-}" ]]; then \
		if [[ ! -s var/demo-password ]]; then \
			(umask 077; od -An -tx1 -N9 /dev/urandom | tr -d ' \n' > var/demo-password); \
		fi; \
		chmod 600 var/demo-password; \
		DEMO_PASSWORD=$$(tr -d '\n' < var/demo-password); \
		pwnote="$$DEMO_PASSWORD  (kept in var/demo-password)"; \
	fi; \
	dburl=$$($(PG) url "$${VANBAN_PG_DB:-vanban}"); \
	export DEMO_PASSWORD DATABASE_URL="$$dburl" DATA_DIR="$(CURDIR)/var/data" \
		LISTEN_ADDR="$(LISTEN_ADDR)" PUBLIC_URL="$(PUBLIC_URL)" \
		ARCHIVE_ACCEPT_LOCAL_WORM="$${ARCHIVE_ACCEPT_LOCAL_WORM:-true}"; \
	echo "+ bin/vanban migrate"; bin/vanban migrate; \
	echo "+ bin/vanban seed-demo"; bin/vanban seed-demo; \
	echo "  Demo password: $$pwnote"; echo; \
	echo "+ bin/vanban serve  (on $(LISTEN_ADDR), $(PUBLIC_URL))"; exec bin/vanban serve

services:
	$(PG) start
	$(S3) start
	$(SMTP) start

# Every package, in go test's own order. Starting the longest three first
# was tried: they then share the two cores with each other and the run took
# 32 min against 29.8 (CI, same machine).
TEST_ORDER = ./...

test:
	$(DEPS)
	$(PG) start
	$(S3) start
	$(SMTP) start
	@$(SERVICE_ENV); \
	echo "+ $(GO) test -race -count=1 -timeout 40m $(TEST_ORDER)"; \
	$(GO) test -race -count=1 -timeout 40m $(TEST_ORDER)

# Unit tests only: integration tests skip in -short mode, and the variables
# that name the test services are unset besides, whatever the shell holds.
TEST_SERVICE_VARS := VANBAN_TEST_DATABASE_URL VANBAN_TEST_S3_ENDPOINT VANBAN_TEST_S3_ACCESS_KEY \
	VANBAN_TEST_S3_SECRET_KEY VANBAN_TEST_SMTP_ADDR VANBAN_TEST_SMTP_API

test-short:
	env $(addprefix -u ,$(TEST_SERVICE_VARS)) $(GO) test -short ./...

lint:
	$(GO) vet ./...
	@unformatted=$$(find . -name '*.go' -not -path './.git/*' -not -path './var/*' -not -path './bin/*' \
		-not -path '*/testdata/*' -print0 | xargs -0 -r "$$($(GO) env GOROOT)/bin/gofmt" -l); \
	if [[ -n "$$unformatted" ]]; then echo "gofmt: these files need gofmt -w:"; echo "$$unformatted"; exit 1; fi; \
	echo "gofmt: ok"
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

bench:
	@if [[ ! -d bench ]]; then echo "bench: no ./bench package yet"; exit 0; fi; \
	$(DEPS); $(PG) start; $(S3) start; \
	$(SERVICE_ENV); \
	echo "+ $(GO) test -run '^$$' -bench . -benchtime 5x ./bench/..."; \
	$(GO) test -run '^$$' -bench . -benchtime 5x ./bench/...

# Issue 17's table: signing, verifying and transfers against their peers
# (scripts/bench-signing.sh; `make bench-signing QUICK=quick` for fewer rounds).
bench-signing:
	$(DEPS); $(PG) start; $(S3) start; \
	$(SERVICE_ENV); \
	bash scripts/bench-signing.sh $(QUICK)

clean:
	rm -rf bin/

pg-stop:
	$(PG) stop

s3-stop:
	$(S3) stop

smtp-stop:
	$(SMTP) stop

stop: pg-stop s3-stop smtp-stop

# The signing helper for the signers' PCs (cmd/vanban-signer/README.md); not
# part of make test. crypto11 needs cgo, so each target needs its own C
# compiler: the native one for linux/amd64, mingw-w64 for Windows,
# aarch64-linux-gnu-gcc for linux/arm64, and for macOS a Mac's clang (or
# osxcross's o64-clang / oa64-clang). Targets whose compiler is missing are
# skipped with a note; nothing is installed.
SIGNER_DIST := bin/signer
SIGNER_VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
SIGNER_BUILD = CGO_ENABLED=1 $(GO) build -trimpath -ldflags "-s -w -X main.version=$(SIGNER_VERSION)"

.PHONY: signer-dist
signer-dist:
	@mkdir -p $(SIGNER_DIST)
	@build() { local os=$$1 arch=$$2 cc=$$3 out=$(SIGNER_DIST)/vanban-signer-$$1-$$2; \
		[[ $$os == windows ]] && out=$$out.exe; \
		if ! command -v "$$cc" >/dev/null 2>&1; then echo "signer-dist: $$cc not found: no $$os/$$arch build"; return 0; fi; \
		echo "+ $$os/$$arch (CC=$$cc) -> $$out"; \
		GOOS=$$os GOARCH=$$arch CC=$$cc $(SIGNER_BUILD) -o "$$out" ./cmd/vanban-signer; }; \
	if [[ $$(uname -s) == Darwin ]]; then \
		build darwin arm64 clang; build darwin amd64 clang; \
	else \
		if [[ $$(uname -m) == x86_64 ]]; then build linux amd64 "$${CC:-gcc}"; else build linux amd64 x86_64-linux-gnu-gcc; fi; \
		build linux arm64 aarch64-linux-gnu-gcc; \
		build windows amd64 x86_64-w64-mingw32-gcc; \
		build darwin amd64 o64-clang; build darwin arm64 oa64-clang; \
	fi; \
	ls -l $(SIGNER_DIST)
