#!/usr/bin/env bash
# The up-to-date skip check, side by side in one run: `buildx bake` on an
# upstream buildkitd (remote driver), kiln on its embedded engine, and kiln
# with skipping off (--no-skip), on two workloads:
#
#   demo      the top-level docker-bake.hcl (6 targets, 2 platforms)
#   monorepo  20 targets, each its own service directory plus one shared
#             named context of 2,000 files, 100 MB (50 KiB each)
#
# and three cases: a warm no-op, one service's file edited, the shared
# directory edited (one file). Each figure is the median of REPEAT runs
# (default 3), each run after its own edit, wall seconds.
#
#   bench/skip.sh                 (both workloads)
#   REPEAT=5 bench/skip.sh monorepo
#   SETUP_ONLY=/tmp/mono bench/skip.sh monorepo   (only write the workload there)
#
# Needs root, runc, buildx (BUILDX, default /root/go/bin/buildx) and the
# demo's busybox binaries (testdata/demo/base). buildkitd v0.34.2 is built
# from the module cache into /tmp/bk/buildkitd unless BUILDKITD names one.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
BUILDX=${BUILDX:-/root/go/bin/buildx}
BUILDKITD=${BUILDKITD:-/tmp/bk/buildkitd}
REPEAT=${REPEAT:-3}
workloads=("$@")
[ ${#workloads[@]} -gt 0 ] || workloads=(demo monorepo)

work=$(mktemp -d /tmp/kiln-bench-skip.XXXXXX)
bkpid=""
cleanup() {
  if [ -n "$bkpid" ]; then kill "$bkpid" 2>/dev/null; wait "$bkpid" 2>/dev/null || true; fi
  "$BUILDX" rm kiln-bench-skip >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
if [ -n "${SETUP_ONLY:-}" ]; then :; else
go build -o "$work/kiln" ./cmd/kiln
[ -x "$BUILDKITD" ] || go build -o "$BUILDKITD" github.com/moby/buildkit/cmd/buildkitd
"$BUILDKITD" --version >&2

# upstream buildkitd on its own root, and a buildx remote builder for it
"$BUILDKITD" --root "$work/bk-root" --addr "unix://$work/bk.sock" >"$work/bk.log" 2>&1 &
bkpid=$!
for _ in $(seq 100); do [ -S "$work/bk.sock" ] && break; sleep 0.1; done
"$BUILDX" rm kiln-bench-skip >/dev/null 2>&1 || true
"$BUILDX" create --name kiln-bench-skip --driver remote "unix://$work/bk.sock" >/dev/null
fi
export KILN_ROOT=$work/kiln-root XDG_STATE_HOME=$work/state

# now: seconds since the epoch, with nanoseconds
now() { date +%s.%N; }

# run TOOL DIR ARGS...: one bake, its wall time on stdout
run() {
  local tool=$1 dir=$2; shift 2
  local t0 t1
  t0=$(now)
  case $tool in
    buildx) (cd "$dir" && "$BUILDX" bake --builder kiln-bench-skip --progress=quiet "$@" >/dev/null 2>"$work/err.txt") ;;
    kiln) (cd "$dir" && "$work/kiln" bake --progress=quiet "$@" >/dev/null 2>"$work/err.txt") ;;
    kiln-noskip) (cd "$dir" && "$work/kiln" bake --progress=quiet --no-skip "$@" >/dev/null 2>"$work/err.txt") ;;
  esac || { echo "$tool bake $* failed in $dir:" >&2; cat "$work/err.txt" >&2; exit 1; }
  t1=$(now)
  echo "$t1 - $t0" | bc
}

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

# measure TOOL DIR MUTATE ARGS...: the median of REPEAT runs, each after MUTATE
measure() {
  local tool=$1 dir=$2 mutate=$3; shift 3
  for i in $(seq "$REPEAT"); do
    $mutate "$dir" "$tool-$i"
    run "$tool" "$dir" "$@"
  done | median
}

nothing() { :; }
edit_service() { echo "$2" > "$1/services/svc0/edit.txt"; }
edit_shared() { echo "$2" > "$1/shared/f0000.txt"; }
edit_demo_service() { echo "<!-- $2 -->" >> "$1/testdata/demo/web/src/index.html"; }

setup_demo() {
  local d=$1
  mkdir -p "$d/testdata"
  cp "$repo/docker-bake.hcl" "$d/"
  cp -r "$repo/testdata/demo" "$d/testdata/"
}

setup_monorepo() {
  local d=$1
  mkdir -p "$d/shared" "$d/base"
  cp "$repo"/testdata/demo/base/Dockerfile "$repo"/testdata/demo/base/busybox-amd64 "$d/base/"
  # 2,000 files of 50 KiB: 100 MB
  for i in $(seq -f %04g 0 1999); do head -c 51200 /dev/urandom > "$d/shared/f$i.txt"; done
  {
    echo 'target "base" {'
    echo '  context   = "base"'
    echo '  platforms = ["linux/amd64"]'
    echo '}'
    printf 'group "default" {\n  targets = [%s]\n}\n' "$(seq -s, -f '"svc%g"' 0 19)"
    for i in $(seq 0 19); do
      mkdir -p "$d/services/svc$i"
      echo "service $i" > "$d/services/svc$i/main.txt"
      cat > "$d/services/svc$i/Dockerfile" <<DF
FROM base
RUN --mount=from=shared,target=/shared cat /shared/*.txt | sha256sum > /shared.sum
COPY . /svc/
DF
      cat <<HCL
target "svc$i" {
  context   = "services/svc$i"
  contexts  = { base = "target:base", shared = "shared" }
  platforms = ["linux/amd64"]
  output    = ["type=local,dest=out/svc$i"]
}
HCL
    done
  } > "$d/docker-bake.hcl"
}

# SETUP_ONLY=DIR: only write the workload into DIR
if [ "${SETUP_ONLY:-}" != "" ]; then
  mkdir -p "$SETUP_ONLY"
  "setup_${workloads[0]}" "$SETUP_ONLY"
  exit 0
fi

printf '%-9s %-20s %9s %9s %12s %8s %8s\n' workload case buildx_s kiln_s kiln_noskip_s kiln/bx noskip/bx
for w in "${workloads[@]}"; do
  dir=$work/$w
  mkdir -p "$dir"
  "setup_$w" "$dir"
  allow=()
  [ "$w" = demo ] && allow=(--allow "fs.read=$dir")
  # warm up every tool twice (the first fills the caches)
  for tool in buildx kiln kiln-noskip; do run "$tool" "$dir" "${allow[@]}" >/dev/null; run "$tool" "$dir" "${allow[@]}" >/dev/null; done
  if [ "$w" = demo ]; then
    cases=("warm no-op:nothing" "one service edited:edit_demo_service")
  else
    cases=("warm no-op:nothing" "one service edited:edit_service" "shared dir edited:edit_shared")
  fi
  for c in "${cases[@]}"; do
    name=${c%%:*} mutate=${c#*:}
    # kiln runs after buildx on the same edit sequence: each tool sees
    # its own edit before each of its runs
    bx=$(measure buildx "$dir" "$mutate" "${allow[@]}")
    kn=$(measure kiln "$dir" "$mutate" "${allow[@]}")
    ns=$(measure kiln-noskip "$dir" "$mutate" "${allow[@]}")
    awk -v w="$w" -v c="$name" -v bx="$bx" -v kn="$kn" -v ns="$ns" 'BEGIN {
      printf "%-9s %-20s %9.3f %9.3f %12.3f %7.2fx %7.2fx\n", w, c, bx, kn, ns, kn/bx, ns/bx }'
  done
done
