# Libretto. `make run` and `make test` need nothing set up beforehand (SPEC §7):
# `libretto devdb` finds or starts PostgreSQL and prints its DATABASE_URL.
SHELL := /bin/bash
GO    ?= go
PORT  ?= 8080
BIN   := bin/libretto
# Packages whose tests run under the race detector. Everything else runs
# without it (2 cores, 90 minutes of CI); see docs/operations.md.
RACE_PKGS ?= ./...
TEST_TIMEOUT ?= 30m
BENCHTIME ?= 1s
# How long make test fuzzes each fuzz target (go test -fuzz runs one at a time).
FUZZTIME ?= 3s
# make lint's golangci-lint, installed from the Go module proxy when missing
# into a versioned folder of GOPATH, shared by every clone of this machine
# (a fresh clone in CI does not build it again; a binary on PATH of another
# version is not used).
GOLANGCI_LINT_VERSION ?= v2.15.0
GOLANGCI_LINT := $(shell $(GO) env GOPATH)/libretto-tools/golangci-lint-$(GOLANGCI_LINT_VERSION)/golangci-lint

# The portal engineer's target that installs Bootstrap Italia for go:embed.
-include http/portal/assets.mk
ASSETS := $(if $(wildcard http/portal/assets.mk),portal-assets)

# Every target that needs a database runs under `libretto devdb exec`: it sets
# DATABASE_URL (DATABASE_URL, else 127.0.0.1:5432 or $LIBRETTO_PG_PROBE, else a
# private cluster under .data/) and stops the private cluster afterwards when
# it started it.
WITH_DB = ./$(BIN) devdb exec --

.PHONY: all build run test test-with-db vet fmt-check bench bench-go soak lint chromium devdb devdb-stop clean

all: build

build: $(ASSETS)
	$(GO) build -o $(BIN) ./cmd/libretto

## run: the API and portal on 127.0.0.1:$(PORT), development mode, demo data on an empty database
run: build
	@PORT=$(PORT) LIBRETTO_MODE=$${LIBRETTO_MODE:-dev} LIBRETTO_SEED=$${LIBRETTO_SEED:-true} \
	$(WITH_DB) ./$(BIN) serve --migrate

## test: the lint (vet, gofmt, golangci-lint), and every test against a real PostgreSQL
test: build chromium lint
	@$(WITH_DB) $(MAKE) --no-print-directory test-with-db

# test-with-db expects DATABASE_URL; make test has run the lint before it.
test-with-db:
	@echo "make: go test -race -count=1 $(RACE_PKGS)"
	@LIBRETTO_BIN=$(CURDIR)/$(BIN) $(GO) test -race -count=1 -timeout $(TEST_TIMEOUT) $(RACE_PKGS)
	@echo "make: fuzz each target for $(FUZZTIME)"
	@$(GO) test -run '^$$' -fuzz '^FuzzParseCF$$' -fuzztime $(FUZZTIME) ./domain
	@$(GO) test -run '^$$' -fuzz '^FuzzParseIBAN$$' -fuzztime $(FUZZTIME) ./domain
	@$(GO) test -run '^$$' -fuzz '^FuzzDecodeBody$$' -fuzztime $(FUZZTIME) ./http/api

vet:
	@echo "make: go vet ./..." && $(GO) vet ./...

fmt-check:
	@files=$$(gofmt -l $$($(GO) list -f '{{.Dir}}' ./...)); \
	if [ -n "$$files" ]; then echo "make: gofmt needed on:"; echo "$$files"; exit 1; fi

## bench: the one-run measurement of issue 5 (pgbench beside commands over HTTP, lag, rebuild, RSS); last line JSON
bench: build
	@LIBRETTO_BIN=$(CURDIR)/$(BIN) $(WITH_DB) $(GO) run ./cmd/libretto-bench

## bench-go: every Go benchmark, against a real PostgreSQL
bench-go: build
	@$(WITH_DB) $(GO) test -run '^$$' -bench . -benchtime $(BENCHTIME) -benchmem ./...

## soak: kill -9 the server under load for $(SOAK_SECONDS) s; every acknowledged command must survive (make test runs a 4 s form);
## and 10,000 random and mutated requests against the API (make test sends 1,500)
SOAK_SECONDS ?= 300
soak: build
	@LIBRETTO_SOAK_SECONDS=$(SOAK_SECONDS) LIBRETTO_PROPERTY_REQUESTS=10000 LIBRETTO_BIN=$(CURDIR)/$(BIN) \
	$(WITH_DB) $(GO) test -run 'Kill9|TestRandomRequestsNeverFailTheServer' -count=1 -v -timeout 60m ./cmd/libretto-bench ./http/api

## lint: go vet, gofmt, and golangci-lint (.golangci.yml: the standard linters and depguard's import rules)
lint: vet fmt-check $(GOLANGCI_LINT)
	@echo "make: golangci-lint run ./..."
	@$(GOLANGCI_LINT) run ./...

$(GOLANGCI_LINT):
	@echo "make: installing golangci-lint $(GOLANGCI_LINT_VERSION) into $(@D)" >&2
	@GOBIN=$(@D) $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)

# The browser tests drive Debian's chromium; install it when missing and we are root.
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "make: installing Debian's chromium for the browser tests" >&2; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium >/dev/null; \
	  else \
	    echo "make: /usr/bin/chromium is missing and we are not root: the browser tests need Debian's chromium" >&2; \
	  fi; \
	fi

## devdb: print the DATABASE_URL make would use (starting a private cluster if needed)
devdb: build
	@./$(BIN) devdb

## devdb-stop: stop the private cluster under .data/ (never the system PostgreSQL)
devdb-stop: build
	@./$(BIN) devdb stop

clean:
	rm -rf bin
