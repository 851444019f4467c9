# prws — the one entry point for building, testing and measuring.
GO        ?= go
BIN       ?= bin/prws
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
PKGS      := ./...
FUZZTIME  ?= 20s

.PHONY: all build demo run test vet race fmt-check bench fuzz clean

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) .

## demo: start two Prometheus backends, a Prometheus agent sending through prws, and prws itself.
demo: build
	bash scripts/demo.sh

## run: run prws in the foreground against PROMES (comma-separated remote-write URLs).
run: build
	$(BIN) --promes "$(PROMES)" --data-dir ./data

## test: vet, gofmt check and the race-enabled test suite (real-backend tests skip when the servers are not installed).
test: vet fmt-check race

vet:
	$(GO) vet $(PKGS)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

race:
	$(GO) test -race -count=1 -timeout 20m $(PKGS)

## bench: prws against vmagent on loopback (bench/run.sh; QUICK=1 for small sizes, BENCH_FLAGS for more), one table.
bench:
	bash bench/run.sh $(BENCH_FLAGS)

## bench-go: Go benchmarks of the hot paths (figures, not assertions).
.PHONY: bench-go
bench-go:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 2s ./router/ ./ingest/ ./queue/

## fuzz: run every fuzz target for FUZZTIME each.
fuzz:
	@for pkg in router ingest queue; do \
	  for t in $$($(GO) test -list '^Fuzz' ./$$pkg/ | grep '^Fuzz'); do \
	    echo "== $$pkg $$t"; $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) ./$$pkg/ || exit 1; \
	  done; \
	done

clean:
	rm -rf bin
