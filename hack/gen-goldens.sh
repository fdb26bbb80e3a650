#!/usr/bin/env bash
# Regenerates the goldens of testdata/bake/<case>/ with real buildx v0.38.2.
#
# A case folder holds bake files, "args" (the arguments after `bake`, one a
# line), optionally "env" (KEY=VALUE lines: the only environment besides PATH
# and HOME) and "stdin" (fed to standard input). This script writes:
#   expected.json  what `buildx bake --print ...` printed, or
#   expected.txt   what `buildx bake --list ...` printed, or
#   expected.err   buildx's error when it rejected the case (kiln must too).
# usage: hack/gen-goldens.sh [CASE...]   (BUILDX=path overrides the binary)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILDX=${BUILDX:-$(go env GOPATH)/bin/buildx}
[ -x "$BUILDX" ] || { echo "need buildx v0.38.2 at $BUILDX (go install github.com/docker/buildx/cmd/buildx@v0.38.2)" >&2; exit 1; }
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
cases=("$@")
if [ ${#cases[@]} -eq 0 ]; then
	cases=(testdata/bake/*/)
else
	cases=("${cases[@]/#/testdata/bake/}")
fi
for dir in "${cases[@]}"; do
	dir=${dir%/}
	name=$(basename "$dir")
	mapfile -t args < <(grep -v '^$' "$dir/args" || true)
	envs=(PATH="$PATH" HOME="$home" BUILDX_CONFIG="$home/.buildx" DOCKER_CONFIG="$home/.docker")
	if [ -f "$dir/env" ]; then
		mapfile -t extra < <(grep -v '^$' "$dir/env")
		envs+=("${extra[@]}")
	fi
	stdin=/dev/null
	[ -f "$dir/stdin" ] && stdin=$(realpath "$dir/stdin")
	rm -f "$dir/expected.json" "$dir/expected.txt" "$dir/expected.err"
	out=$(mktemp) err=$(mktemp)
	if (cd "$dir" && env -i "${envs[@]}" "$BUILDX" bake --progress=quiet "${args[@]}" <"$stdin" >"$out" 2>"$err"); then
		if printf '%s\n' "${args[@]}" | grep -q -- '^--list'; then
			cp "$out" "$dir/expected.txt"
		else
			cp "$out" "$dir/expected.json"
		fi
		echo "ok       $name"
	else
		grep -v '^#' "$err" | sed "s|$home|\$HOME|g" >"$dir/expected.err" || true
		echo "rejected $name: $(tail -n1 "$dir/expected.err")"
	fi
	rm -f "$out" "$err"
done
