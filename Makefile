# kiln: the two entry points the README names.
#   make demo   installs what is missing, builds kiln, builds the top-level docker-bake.hcl
#   make test   installs what is missing, runs the whole test suite (hack/test.sh)
# Go is looked up in /usr/local/go/bin first (hack/install-deps.sh installs it there).
export PATH := /usr/local/go/bin:$(PATH)
GO ?= go
BIN := bin/kiln
BAKE_FLAGS ?=

.PHONY: build demo demo-pool demo-print test unit vet deps clean

build:
	$(GO) build -o $(BIN) ./cmd/kiln

deps:
	bash hack/install-deps.sh

# The demo: every target of docker-bake.hcl, for linux/amd64 and linux/arm64, into ./dist.
demo: deps build
	./$(BIN) bake $(BAKE_FLAGS)
	@echo "demo outputs:" && ls -1 dist

# The demo on a pool of two local nodes (kiln engine serve, one CPU each), split by platform.
demo-pool: deps build
	bash hack/demo-pool.sh $(BAKE_FLAGS)

demo-print: build
	./$(BIN) bake --print

vet:
	$(GO) vet ./...

# go test -short: the cmd/kiln integration tests skip (builder/engine tests still run as root).
unit:
	$(GO) test -short ./...

# Everything, as CI runs it (deps --test also fetches what only the tests need).
test:
	bash hack/install-deps.sh --test
	bash hack/test.sh

clean:
	rm -rf bin dist
