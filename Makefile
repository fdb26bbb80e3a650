# kiln: the two entry points the README names.
#   make demo   builds the top-level docker-bake.hcl on the embedded engine
#   make test   runs the whole test suite (installs what the tests need when missing)
GO ?= go
BIN := bin/kiln

.PHONY: build demo test unit deps vet

build:
	$(GO) build -o $(BIN) ./cmd/kiln

deps:
	bash hack/install-deps.sh

demo: deps build
	./$(BIN) bake

vet:
	$(GO) vet ./...

unit:
	$(GO) test ./...

test: deps vet
	bash hack/test.sh
