#!/usr/bin/env bash
# The whole test suite: unit, differential (goldens from buildx v0.38.2, and
# ../shared/conformance when present), fuzz seeds, and integration tests that run
# real builds on the embedded engine (root, runc, qemu, a registry on 127.0.0.1).
set -euo pipefail
cd "$(dirname "$0")/.."
go test -count=1 -timeout 25m ./...
