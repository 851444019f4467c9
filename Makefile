# prws — the one entry point for building, testing and measuring.
GO        ?= go
BIN       ?= bin/prws
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
PKGS      := ./...
WALFORK   := third_party/tidwall-wal
FUZZTIME  ?= 15s

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
	cd $(WALFORK) && $(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

race:
	$(GO) test -race -count=1 -timeout 20m $(PKGS)
	cd $(WALFORK) && $(GO) test -race -count=1 ./...

## bench: prws against vmagent on loopback (bench/run.sh; QUICK=1 for small sizes, BENCH_FLAGS for more), one table.
bench:
	bash bench/run.sh $(BENCH_FLAGS)

## bench-go: Go benchmarks of the hot paths (figures, not assertions).
.PHONY: bench-go
bench-go:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 2s ./router/ ./ingest/ ./queue/

## fuzz: run every fuzz target of every package for FUZZTIME (default 15s) each.
fuzz:
	@targets=$$($(GO) test -list '^Fuzz' $(PKGS) | awk '/^Fuzz/ { f[n++] = $$1; next } /^ok/ { for (i = 0; i < n; i++) print $$2 "@" f[i]; n = 0 }'); \
	[ -n "$$targets" ] || { echo "fuzz: no fuzz targets found (does the tree build?)"; exit 1; }; \
	for pt in $$targets; do \
	  pkg=$${pt%@*}; t=$${pt#*@}; \
	  echo "== $$pkg $$t ($(FUZZTIME))"; \
	  $(GO) test -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	done

## chaos: the full fault-injection suite (kill -9 loops, on-disk damage, full
## disk, failing backends, hostile input, a real Prometheus when installed);
## prints the result table, also kept in bin/chaos-table.txt.
.PHONY: chaos
chaos:
	@mkdir -p bin; rm -f bin/chaos-table.txt; \
	PRWS_CHAOS=full PRWS_CHAOS_TABLE=$(CURDIR)/bin/chaos-table.txt $(GO) test -race -count=1 -timeout 40m ./chaos/; rc=$$?; \
	echo; cat bin/chaos-table.txt 2>/dev/null; exit $$rc

clean:
	rm -rf bin
