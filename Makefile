# gisiaas — every set-up step a newcomer needs is a target here.
SHELL := /bin/bash
GO ?= go
BIN := $(CURDIR)/bin
export PATH := $(BIN):$(PATH)
STATICCHECK_VERSION := v0.8.2

.PHONY: all build test test-race bench lint proto tools clean run

all: build

build:
	$(GO) build -o $(BIN)/ ./cmd/...

## test: everything CI runs — lint, then the race-enabled test suite.
test: lint build
	@if [ -n "$$CI" ] && [ -z "$$OS_CLOUD$$OS_AUTH_URL" ]; then \
	  echo "CI is set but no OpenStack is (OS_CLOUD or OS_AUTH_URL): CI never skips the OpenStack driver's tests; run scripts/openstack-up.sh"; exit 1; fi
	$(GO) test -race -count=1 -timeout 60m ./...

## bench: Go benchmarks with allocation counts, then the whole stack over HTTP with wrk
## (installed from Debian's packages if missing); results go in docs/benchmarks.md.
bench: build
	$(GO) test -run '^$$' -bench . -benchmem -count=1 ./...
	bash scripts/bench-http.sh

## lint: gofmt, go vet and staticcheck must be clean.
lint: tools
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(BIN)/staticcheck ./...

tools: $(BIN)/staticcheck

$(BIN)/staticcheck:
	GOBIN=$(BIN) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

## proto: regenerate the plugin protocol's Go code with pinned tool versions.
proto:
	bash scripts/gen-proto.sh

## run: serve the API on 127.0.0.1:8080 from the embedded default (SQLite in ./var, two simulated datacenters).
## It builds only the server and the simulator's plugin: the libvirt driver's cgo binding needs
## libvirt-dev, which the embedded default does not use.
run:
	$(GO) build -o $(BIN)/ ./cmd/gisiaas ./cmd/gisiaas-driver-sim
	$(BIN)/gisiaas serve

clean:
	rm -rf $(BIN)
