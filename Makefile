# otelcol-genai — build, run and test the distribution.
#
# GOFLAGS=-trimpath everywhere: ocb always compiles with -trimpath, so `go test`
# with the same flag reuses ocb's compiled packages from the build cache (the
# contrib tree takes minutes to compile on 2 cores). See README.md and docs/.

GO          ?= go
OCB_VERSION := v0.165.0
# Versioned name: a builder of an older release already on the machine is not reused.
OCB         ?= $(shell $(GO) env GOPATH)/bin/builder-$(OCB_VERSION)
BIN         := bin/otelcol-genai
CONFIG      ?= configs/default.yaml

export GOFLAGS   := -trimpath
# Collector v0.165.0 and its ocb need Go >= 1.26.9; machines may ship an older
# Go, so the go command fetches this toolchain from the module proxy (once).
export GOTOOLCHAIN := go1.27.3
export GENAI_DATA_DIR ?= ./data

# Every package runs its unit tests under the race detector (test-race), so the
# live feed, the feed receiver and the mxin receiver's shared server are raced
# like the stores. Two kinds are not:
#   ./test/...   end-to-end tests (test-e2e): they drive the ocb-built binary,
#                which is not compiled with -race; their own code only starts
#                processes and makes requests.
#   NO_RACE      cmd/otelcol-genai, internal/components, configs: they only
#                assemble and load the contrib component set and start no
#                goroutines of their own, while -race would recompile all of
#                contrib, costing CI more than the rest of the suite. They run
#                without -race in test-unit.
NO_RACE := -e '/cmd/otelcol-genai$$' -e '/internal/components$$' -e '/configs$$'
GO_SOURCES := $(shell find . -name '*.go' -not -name '*_test.go' -not -path './build/*' -not -path './test/*' -not -path '*/node_modules/*' 2>/dev/null) \
              $(shell find internal/webui/static -type f 2>/dev/null)

.PHONY: all build run test test-unit test-race test-e2e e2e lint fmt bench tools clean prices

all: build

$(OCB):
	GOFLAGS= GOBIN=$(CURDIR)/build/tools $(GO) install go.opentelemetry.io/collector/cmd/builder@$(OCB_VERSION)
	@mkdir -p $(dir $(OCB))
	mv build/tools/builder $(OCB)

## build: assemble bin/otelcol-genai with ocb from builder-config.yaml
build: $(BIN)

$(BIN): $(OCB) builder-config.yaml go.mod go.sum $(GO_SOURCES)
	@mkdir -p build
	$(OCB) --config builder-config.yaml
	@mkdir -p bin
	# Replace, not overwrite: a running binary (an e2e test, `make run`) keeps
	# its file, and cp onto a running executable fails with "text file busy".
	cp build/ocb/otelcol-genai $(BIN).new && mv -f $(BIN).new $(BIN)
	@echo "built $(BIN)"

## run: build if needed, then run configs/default.yaml with data under ./data
run: $(BIN)
	@mkdir -p "$(GENAI_DATA_DIR)"
	./$(BIN) --config $(CONFIG)

## test: race tests, unit tests, config checks, then end-to-end tests against the built binary
test: $(BIN) test-race test-unit test-e2e

## test-unit: the packages test-race leaves out (NO_RACE), without the race detector
test-unit:
	$(GO) test -count=1 -timeout 30m $$($(GO) list ./... | grep -v '/test/' | grep $(NO_RACE))

## test-e2e: the end-to-end tests, one package at a time (one of them restarts PostgreSQL)
test-e2e: $(BIN)
	GENAI_BINARY=$(abspath $(BIN)) $(GO) test -count=1 -p 1 -timeout 30m ./test/...

## test-race: every package except the end-to-end ones and NO_RACE, under the race detector
test-race:
	$(GO) test -count=1 -race -timeout 40m $$($(GO) list ./... | grep -v -e '/test/' $(NO_RACE))

## e2e: the end-to-end tests, verbose (real SDKs from npm against the built binary)
e2e: $(BIN)
	GENAI_BINARY=$(abspath $(BIN)) $(GO) test -count=1 -p 1 -timeout 30m -v ./test/...

## lint: gofmt, go vet, and staticcheck when it installs
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	@if GOFLAGS= $(GO) install honnef.co/go/tools/cmd/staticcheck@v0.8.2 2>/dev/null; then \
		$$($(GO) env GOPATH)/bin/staticcheck ./...; else echo "staticcheck not installable here; skipped"; fi

fmt:
	gofmt -w $$(git ls-files '*.go')

## bench: every Go benchmark once, benchstat-friendly output in bench.txt
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 1 ./... | tee bench.txt

## prices: re-extract internal/pricing/data/prices.json from the pinned @pydantic/genai-prices
##         (bump the version in internal/pricing/refresh/package.json + lock first; needs node and npm)
prices:
	cd internal/pricing/refresh && npm ci --no-audit --no-fund && node extract.mjs

clean:
	rm -rf bin build
