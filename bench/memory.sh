#!/usr/bin/env bash
# Builds N small targets for real and prints wall time and peak RSS: kiln on
# its embedded engine, and (with BUILDKITD) buildx bake with the remote
# driver on a buildkitd, whose peak RSS is buildx's and buildkitd's added.
# Each target is `FROM base` + one RUN, exported as an OCI tar (the case
# that grew by ~8 MB a target); base is the demo's busybox image.
#
#   bench/memory.sh [N ...]              (default: 100 300 600)
#   JOBS=8 bench/memory.sh 300           (kiln -j 8; default: no -j)
#   BUILDKITD=/tmp/buildkitd bench/memory.sh
#   ONLY=buildx BUILDKITD=/tmp/buildkitd bench/memory.sh 300   (skip kiln)
#
# buildkitd for the comparison: `go build -o /tmp/buildkitd
# github.com/moby/buildkit/cmd/buildkitd` (v0.34.2) in a scratch module; it
# listens on a unix socket in the work directory only. Needs root, runc,
# /usr/bin/time and buildx (BUILDX, default /root/go/bin/buildx). Every run
# starts from an empty state directory, so nothing is cached.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILDX=${BUILDX:-/root/go/bin/buildx}
BUILDKITD=${BUILDKITD:-}
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(100 300 600)
[ -x /usr/bin/time ] || { echo "need /usr/bin/time: apt-get install -y time" >&2; exit 1; }
[ -f testdata/demo/base/busybox-amd64 ] || { echo "need testdata/demo/base/busybox-amd64 (hack/install-deps.sh)" >&2; exit 1; }

work=$(mktemp -d)
bkpid=
cleanup() {
  [ -z "$bkpid" ] || { kill "$bkpid" 2>/dev/null; wait "$bkpid" 2>/dev/null || true; }
  rm -rf "$work"
}
trap cleanup EXIT
go build -o "$work/kiln" ./cmd/kiln

# gen N DIR: the bake file of N targets and the base image's context.
gen() {
  local n=$1 dir=$2
  mkdir -p "$dir"
  cp testdata/demo/base/Dockerfile testdata/demo/base/busybox-amd64 "$dir/"
  {
    printf 'target "base" {\n  context = "."\n  platforms = ["linux/amd64"]\n}\n'
    printf 'group "default" {\n  targets = ['
    for i in $(seq "$n"); do printf '"t%d",' "$i"; done
    printf ']\n}\n'
    for i in $(seq "$n"); do
      printf 'target "t%d" {\n  contexts = { base = "target:base" }\n' "$i"
      printf '  dockerfile-inline = "FROM base\\nRUN echo %d > /n\\n"\n' "$i"
      printf '  platforms = ["linux/amd64"]\n  output = ["type=oci,dest=out/t%d.tar"]\n}\n' "$i"
    done
  } > "$dir/docker-bake.hcl"
}

# elapsed and peak RSS (KiB) from a /usr/bin/time -v report
timed() {
  awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, a, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + a[i]; t = s }
              /Maximum resident set size/ { m = $2 }
              END { printf "%.1f %d\n", t, m }' "$1"
}

kiln_run() {
  local n=$1 dir="$work/kiln-$1"
  gen "$n" "$dir"
  (cd "$dir" && KILN_ROOT="$work/kiln-root-$n" /usr/bin/time -v -o "$work/time.txt" \
    "$work/kiln" bake --progress=quiet ${JOBS:+-j "$JOBS"} >/dev/null 2>"$work/err.txt") || {
    echo "kiln failed at $n targets:" >&2; tail -20 "$work/err.txt" >&2; exit 1; }
  rm -rf "$work/kiln-root-$n" "$dir"
  timed "$work/time.txt"
}

# buildx_run N: buildx bake on a fresh buildkitd; buildkitd's peak RSS
# is its cgroup-free VmHWM, read just before it is stopped.
buildx_run() {
  local n=$1 dir="$work/buildx-$1" sock="$work/bk-$1.sock"
  gen "$n" "$dir"
  "$BUILDKITD" --root "$work/bk-root-$n" --addr "unix://$sock" >"$work/bk.log" 2>&1 &
  bkpid=$!
  for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
  local bx="$work/buildx-config"
  BUILDX_CONFIG=$bx "$BUILDX" create --name bench --driver remote "unix://$sock" >/dev/null
  (cd "$dir" && BUILDX_CONFIG=$bx /usr/bin/time -v -o "$work/time.txt" \
    "$BUILDX" bake --builder bench --progress=quiet >/dev/null 2>"$work/err.txt") || {
    echo "buildx failed at $n targets:" >&2; tail -20 "$work/err.txt" >&2; exit 1; }
  local bkhwm
  bkhwm=$(awk '/VmHWM/ { print $2 }' "/proc/$bkpid/status")
  kill "$bkpid"; wait "$bkpid" 2>/dev/null || true; bkpid=
  BUILDX_CONFIG=$bx "$BUILDX" rm bench >/dev/null 2>&1 || true
  rm -rf "$work/bk-root-$n" "$dir"
  read -r t m < <(timed "$work/time.txt")
  echo "$t $((m + bkhwm))"
}

printf '%-8s %8s %9s %10s %11s\n' targets kiln_s kiln_MiB buildx_s buildx_MiB
for n in "${sizes[@]}"; do
  kt=- km=0
  [ "${ONLY:-}" = buildx ] || read -r kt km < <(kiln_run "$n")
  bt=- bm=-
  if [ -n "$BUILDKITD" ]; then
    read -r bt bmk < <(buildx_run "$n")
    bm=$(awk -v m="$bmk" 'BEGIN { printf "%.0f", m/1024 }')
  fi
  printf '%-8s %8s %9.0f %10s %11s\n' "$n" "$kt" "$(awk -v m="$km" 'BEGIN { print m/1024 }')" "$bt" "$bm"
done
