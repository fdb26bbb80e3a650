#!/usr/bin/env bash
# Runs `kiln bake --print` and `buildx bake --print` side by side on generated
# bake files and prints wall time, CPU time (user+sys), peak RSS and the
# buildx/kiln ratios. CPU time is the steadier figure on a shared machine.
#
#   bench/run.sh [N ...]     (default: 6000 12000 targets)
#   REPEAT=3 bench/run.sh    (best of 3 runs of each tool; peak RSS is the largest)
#
# Needs /usr/bin/time (apt-get install time) and buildx (BUILDX, default
# /root/go/bin/buildx). kiln is built from ./cmd/kiln.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILDX=${BUILDX:-/root/go/bin/buildx}
REPEAT=${REPEAT:-1}
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(6000 12000)
[ -x /usr/bin/time ] || { echo "need /usr/bin/time: apt-get install -y time" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/kiln" ./cmd/kiln
go build -o "$work/gen" ./bench/gen

# best TOOL DIR: the best of REPEAT measurements
best() {
  for _ in $(seq "$REPEAT"); do measure "$@"; done |
    awk 'NR == 1 || $1 < t { t = $1 } NR == 1 || $2 < c { c = $2 } $3 > m { m = $3 } END { print t, c, m }'
}

# measure TOOL DIR: prints "wall_seconds cpu_seconds maxrss_kb"
measure() {
  local tool=$1 dir=$2
  (cd "$dir" && /usr/bin/time -v -o "$work/time.txt" "$tool" bake --print >/dev/null 2>"$work/err.txt") || {
    echo "$tool failed:" >&2; cat "$work/err.txt" >&2; exit 1; }
  awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, a, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + a[i]; t = s }
              /User time \(seconds\)/ { c += $2 }
              /System time \(seconds\)/ { c += $2 }
              /Maximum resident set size/ { m = $2 }
              END { printf "%.3f %.3f %d\n", t, c, m }' "$work/time.txt"
}

printf '%-8s %8s %9s %8s %9s %9s %10s %7s %7s %7s\n' \
  targets kiln_s buildx_s kiln_cpu buildx_cpu kiln_MiB buildx_MiB wall_x cpu_x mem_x
for n in "${sizes[@]}"; do
  dir="$work/$n"; mkdir -p "$dir"
  "$work/gen" -targets "$n" > "$dir/docker-bake.hcl"
  read -r kt kc km < <(best "$work/kiln" "$dir")
  read -r bt bc bm < <(best "$BUILDX" "$dir")
  awk -v n="$n" -v kt="$kt" -v bt="$bt" -v kc="$kc" -v bc="$bc" -v km="$km" -v bm="$bm" 'BEGIN {
    if (kt < 0.001) kt = 0.001; if (kc < 0.01) kc = 0.01
    printf "%-8s %8.2f %9.2f %8.2f %9.2f %9.1f %10.1f %6.1fx %6.1fx %6.1fx\n",
      n, kt, bt, kc, bc, km/1024, bm/1024, bt/kt, bc/kc, bm/km }'
done
