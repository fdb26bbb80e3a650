#!/usr/bin/env bash
# Regenerates testdata/entitlements/<case>/expected.stderr with real buildx
# v0.38.2: what `buildx bake` prints when it refuses the case's privileges.
#
# A case folder holds work/ (the working directory, with the bake file),
# the paths it reaches out to beside it, and "args" (arguments after
# `bake`, one a line). buildx checks entitlements before it dials its
# builder, so a remote builder whose socket nobody listens on is enough:
# no daemon is needed. "$BUILDX bake" in the full-command line is written
# as "kiln bake" (TestEntitlementGoldens compares kiln's report to it).
# usage: hack/gen-entitlement-goldens.sh [CASE...]   (BUILDX=path overrides)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILDX=${BUILDX:-$(go env GOPATH)/bin/buildx}
[ -x "$BUILDX" ] || { echo "need buildx v0.38.2 at $BUILDX" >&2; exit 1; }
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
envs=(PATH="$PATH" HOME="$home" BUILDX_CONFIG="$home/.buildx" DOCKER_CONFIG="$home/.docker" BUILDX_BUILDER=nodaemon)
env -i "${envs[@]}" "$BUILDX" create --name nodaemon --driver remote "unix://$home/nobody-listens.sock" >/dev/null
cases=("$@")
[ ${#cases[@]} -eq 0 ] && cases=($(cd testdata/entitlements && ls -d */))
for name in "${cases[@]}"; do
	dir=testdata/entitlements/${name%/}
	mapfile -t args < <(grep -v '^$' "$dir/args" || true)
	err=$(mktemp)
	if (cd "$dir/work" && env -i "${envs[@]}" "$BUILDX" bake --progress=quiet "${args[@]}" </dev/null >/dev/null 2>"$err"); then
		echo "accepted ${name%/}: not a refusal case" >&2
		exit 1
	fi
	sed "s|^$BUILDX bake|kiln bake|" "$err" >"$dir/expected.stderr"
	rm -f "$err"
	echo "refused  ${name%/}: $(tail -n1 "$dir/expected.stderr")"
done
