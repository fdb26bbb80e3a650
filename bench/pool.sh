#!/usr/bin/env bash
# A pool of two nodes against buildx on the same two daemons, side by side in
# one run. Each node is a `kiln engine serve` confined to one CPU (taskset -c 0
# and -c 1: it stands for one machine; its RUN steps inherit the affinity).
# The plan is 8 CPU-bound single-platform targets (busybox FROM scratch and a
# shell loop), cache-busted per measurement so every run computes.
#
#   1. kiln on the 2-node pool (--builder A --builder B)
#   2. buildx bake on a remote builder of the same two daemons
#      (buildx create --driver remote A, then --append B)
#   3. kiln on one node (--builder A)
#   4. the same targets as in 1 rebuilt on two fresh nodes (empty state),
#      importing the pool cache registry 1 exported (--cache-registry):
#      the share of steps cached
#   5. kiln on the pool with node B killed (kill -9) halfway through: the
#      run completes on A; the extra time over 1
#
#   bench/pool.sh      LOOP=400000 bench/pool.sh (iterations a target)   ROUNDS=5 bench/pool.sh
#
# Needs root, runc, taskset, docker-registry (Debian's) and buildx (BUILDX,
# default /root/go/bin/buildx). The machine's load is printed: other work on
# the same CPUs slows every column alike, not the ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILDX=${BUILDX:-/root/go/bin/buildx}
LOOP=${LOOP:-1500000}
N=8
ROUNDS=${ROUNDS:-3}
[ -f testdata/demo/base/busybox-amd64 ] || { echo "need testdata/demo/base/busybox-amd64 (hack/install-deps.sh)" >&2; exit 1; }

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 -- "-$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  for m in $(awk -v w="$work" '$5 ~ "^"w { print $5 }' /proc/self/mountinfo | sort -r); do umount -l "$m" 2>/dev/null || true; done
  [ -n "${KEEP:-}" ] && { echo "kept $work" >&2; return; }
  rm -rf "$work"
}
trap cleanup EXIT
go build -o "$work/kiln" ./cmd/kiln

# registry: the pool cache for step 4
mkdir -p "$work/registry"
cat > "$work/registry/config.yml" <<EOF
version: 0.1
storage: { filesystem: { rootdirectory: $work/registry/data } }
http: { addr: 127.0.0.1:0 }
EOF
regport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
sed -i "s/127.0.0.1:0/127.0.0.1:$regport/" "$work/registry/config.yml"
setsid docker-registry serve "$work/registry/config.yml" >"$work/registry/log" 2>&1 &
pids+=($!)

# serve NAME CPU: a kiln engine serve on its own state dir, one CPU
serve() {
  local name=$1 cpu=$2 root="$work/root-$1-$RANDOM"
  mkdir -p "$root"
  printf '[registry."127.0.0.1:%s"]\n  http = true\n' "$regport" > "$root/buildkitd.toml"
  KILN_ROOT=$root setsid taskset -c "$cpu" "$work/kiln" engine serve --addr "unix://$work/$name.sock" >"$work/$name.log" 2>&1 &
  local pid=$!
  pids+=("$pid")
  eval "pid_$name=$pid"
  for _ in $(seq 300); do [ -S "$work/$name.sock" ] && return; sleep 0.1; done
  echo "node $name did not start:" >&2; cat "$work/$name.log" >&2; exit 1
}
stop() { # stop NAME
  local p
  p=$(eval echo "\$pid_$1")
  kill -9 -- "-$p" 2>/dev/null || true
  wait "$p" 2>/dev/null || true
  rm -f "$work/$1.sock"
}

# gen DIR NONCE: the plan
gen() {
  local dir=$1 nonce=$2
  mkdir -p "$dir"
  cp testdata/demo/base/busybox-amd64 "$dir/"
  {
    printf 'group "default" {\n  targets = ['
    for i in $(seq $N); do printf '"t%d",' "$i"; done
    printf ']\n}\n'
    for i in $(seq $N); do
      printf 'target "t%d" {\n  platforms = ["linux/amd64"]\n' "$i"
      printf '  dockerfile-inline = "FROM scratch\\nCOPY busybox-amd64 /bin/busybox\\nRUN [\\"/bin/busybox\\", \\"sh\\", \\"-c\\", \\"i=0; while [ $i -lt %d ]; do i=$((i+1)); done; echo %s-%d > /out\\"]\\n"\n}\n' "$LOOP" "$nonce" "$i"
    done
  } > "$dir/docker-bake.hcl"
}

secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
now() { date +%s.%N; }

# kiln_bake DIR ARGS...: prints the wall time
kiln_bake() {
  local dir=$1; shift
  local t0 t1
  t0=$(now)
  (cd "$dir" && KILN_ROOT="$work/client" XDG_CACHE_HOME="$work/cache" "$work/kiln" bake --progress=plain "$@" >"$work/last.log" 2>&1) || {
    echo "kiln bake $* failed:" >&2; tail -30 "$work/last.log" >&2; exit 1; }
  t1=$(now)
  secs "$t0" "$t1"
}

serve a 0
serve b 1
A=unix://$work/a.sock B=unix://$work/b.sock
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) CPUs)"

# a warm-up so that no column pays for the frontend's first start
gen "$work/warm" warm
kiln_bake "$work/warm" --builder "$A" --builder "$B" >/dev/null

printf 'node "a" {\n  address = "%s"\n}\nnode "b" {\n  address = "%s"\n}\n' "$A" "$B" > "$work/pool.hcl"
bx="$work/buildx-config"
BUILDX_CONFIG=$bx "$BUILDX" create --name bench --driver remote "$A" >/dev/null
BUILDX_CONFIG=$bx "$BUILDX" create --name bench --append --node b --driver remote "$B" >/dev/null
buildx_bake() { # buildx_bake DIR: prints the wall time
  local t0
  t0=$(now)
  (cd "$1" && BUILDX_CONFIG=$bx "$BUILDX" bake --builder bench --progress=plain >"$work/buildx.log" 2>&1) || {
    echo "buildx bake failed:" >&2; tail -30 "$work/buildx.log" >&2; exit 1; }
  secs "$t0" "$(now)"
}
# Rounds of the three, interleaved, so that the other work on the machine
# weighs on each alike; the medians are compared.
pools=() buildxs=() ones=()
for r in $(seq "$ROUNDS"); do
  gen "$work/p$r" "pool-$r-$RANDOM"
  pools+=("$(kiln_bake "$work/p$r" --pool "$work/pool.hcl")")
  cp "$work/last.log" "$work/pool.log"
  spread=$(awk '/^  TARGET/ { on = 1; next } on && NF >= 4 { n[$3]++ } END { for (k in n) printf "%s=%d ", k, n[k] }' "$work/last.log")
  gen "$work/bx$r" "buildx-$r-$RANDOM"
  buildxs+=("$(buildx_bake "$work/bx$r")")
  gen "$work/one$r" "one-$r-$RANDOM"
  ones+=("$(kiln_bake "$work/one$r" --builder "$A")")
  echo "round $r: kiln pool ${pools[-1]} s, buildx ${buildxs[-1]} s, kiln one node ${ones[-1]} s (load $(cut -d' ' -f1 /proc/loadavg))"
done
median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
pool=$(median "${pools[@]}") buildx=$(median "${buildxs[@]}") one=$(median "${ones[@]}")
# the ratio of each round (the same load for its three runs), then their median
ratios() { local -n xs=$1; for i in "${!xs[@]}"; do awk -v a="${xs[$i]}" -v b="${pools[$i]}" 'BEGIN { print a / b }'; done; }
bxratio=$(median $(ratios buildxs)) oneratio=$(median $(ratios ones))

# 4: a pool run exporting the pool cache, then the same plan on two fresh
# nodes importing it; placements forgotten, so each target may land on
# either node
gen "$work/c1" "cache-$RANDOM"
withcache=$(kiln_bake "$work/c1" --pool "$work/pool.hcl" --cache-registry "127.0.0.1:$regport/kiln-cache")
stop a; stop b
serve a 0
serve b 1
rm -rf "$work/cache"
kiln_bake "$work/c1" --pool "$work/pool.hcl" --cache-registry "127.0.0.1:$regport/kiln-cache" --no-skip >/dev/null
cached=$(awk '/^  TARGET/ { on = 1; next } on && NF >= 6 { split($6, c, "/"); h += c[1]; t += c[2] } END { printf "%d of %d", h, t }' "$work/last.log")

# 5: B killed halfway through a pool run: once every RUN step runs, after
# a quarter of the pool run (b has about half of its work left)
kn="kill-$RANDOM"
gen "$work/kill" "$kn"
half=$(awk -v p="$pool" 'BEGIN { print p / 4 }')
( for _ in $(seq 600); do [ "$(pgrep -fc "echo $kn-")" -ge $N ] && break; sleep 0.1; done
  sleep "$half"; stop b ) &
killer=$!
killed=$(kiln_bake "$work/kill" --pool "$work/pool.hcl")
wait $killer || true
retried=$(grep -c 'stopped answering)' "$work/last.log" || true)

echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '\n%d CPU-bound targets (LOOP=%d), each node on one CPU; medians of %d rounds\n' $N "$LOOP" "$ROUNDS"
printf '%-44s %8s\n' "run" "seconds"
printf '%-44s %8s   placed: %s\n' "kiln, pool of 2 nodes" "$pool" "$spread"
printf '%-44s %8s   (%.2fx the kiln pool; median of the rounds'"'"' ratios %.2fx)\n' "buildx bake, remote builder of the 2 nodes" "$buildx" "$(awk -v a="$buildx" -v b="$pool" 'BEGIN { print a / b }')" "$bxratio"
printf '%-44s %8s   (%.2fx the kiln pool; median of the rounds'"'"' ratios %.2fx)\n' "kiln, one node" "$one" "$(awk -v a="$one" -v b="$pool" 'BEGIN { print a / b }')" "$oneratio"
printf '%-44s %8s   (exporting the pool cache)\n' "kiln, pool of 2 nodes, --cache-registry" "$withcache"
printf '%-44s %8s   steps cached: %s\n' "kiln, rebuilt on 2 fresh nodes, pool cache" "-" "$cached"
printf '%-44s %8s   (+%ss over the pool run; %s target(s) moved)\n' "kiln, pool, node b killed at half time" "$killed" "$(secs "$pool" "$killed")" "$retried"
