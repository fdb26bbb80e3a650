#!/usr/bin/env bash
# The whole test suite: formatting and vet, unit, differential (goldens from buildx
# v0.38.2, and ../shared/conformance when present), fuzz seeds, and the integration
# tests in cmd/kiln (integration_*_test.go) that run real builds on the embedded engine
# and on `kiln engine serve` (root, runc, qemu, a docker-registry on 127.0.0.1).
# Set KILN_TEST_VERBOSE=1 to see every test's name and time.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"

step() { printf '\n== %s (%s)\n' "$*" "$(date -u +%H:%M:%S)"; }

step "gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './bench/out/*'))
if [ -n "$unformatted" ]; then
  echo "not gofmt-ed:"; echo "$unformatted"; exit 1
fi

step "go vet"
go vet ./...

skipping=""
if [ "$(id -u)" -ne 0 ]; then
  skipping="NOTE: not root: the integration tests (cmd/kiln/integration_*_test.go) SKIP; run as root to include them"
  echo "$skipping"
fi

step "go test"
v=()
[ "${KILN_TEST_VERBOSE:-}" = 1 ] && v=(-v)
# Integration tests (cmd/kiln) run real builds; the rest are fast.
go test "${v[@]}" -count=1 -timeout 28m ./...
[ -z "$skipping" ] || echo "$skipping"
step "done"
