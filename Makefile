# inboxctl: `make demo` shows the main job on a throw-away sandbox; `make test` runs the tests.
GO       ?= go
BIN      := bin/inboxctl
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT   ?= $(shell git rev-parse HEAD 2>/dev/null)
LDFLAGS  := -X main.version=$(VERSION) -X main.commit=$(COMMIT)
PKGS     := ./...

.PHONY: all build test test-short bench lint fmt demo demo-curl fuzz clean

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/inboxctl

# The whole suite: vet, then every test with the race detector.
test: lint
	$(GO) test -race -count=1 -timeout 10m $(PKGS)

test-short:
	$(GO) test -short -count=1 $(PKGS)

# Benchmarks; the figures they print are recorded in docs/performance.md.
bench:
	$(GO) test -run '^$$' -bench . -benchmem -timeout 30m $(PKGS)

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

fmt:
	gofmt -w $$(git ls-files '*.go')

demo: build
	INBOXCTL_BIN=$(BIN) ./scripts/demo.sh

# The admin API by hand: a sandbox and the curl flow of examples/curl.
demo-curl: build
	INBOXCTL_BIN=$(BIN) ./scripts/demo-curl.sh

# Fuzz the state file loader for a while (regressions are kept in spec/testdata/fuzz).
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzLoad -fuzztime 2m ./spec/

clean:
	rm -rf bin
