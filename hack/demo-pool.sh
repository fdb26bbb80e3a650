#!/usr/bin/env bash
# make demo-pool: the demo (docker-bake.hcl) baked over a pool of two BuildKit nodes on
# this machine, each a `kiln engine serve` with its own state directory, confined to one
# CPU when there are two (standing for two machines): node "amd64" declares linux/amd64,
# node "arm64" linux/arm64, so each two-platform target is split between them and joined
# into the one output a single node writes. Prints kiln's pool summary (target, platform,
# node, status, duration, steps cached, retries), then stops the nodes. A registry on
# 127.0.0.1 is the pool's shared cache and carries target: results between the nodes. Outputs go to
# ./dist, as `make demo`'s.
set -euo pipefail
cd "$(dirname "$0")/.."
kiln=${KILN:-bin/kiln}
work=$(mktemp -d /tmp/kiln-demo-pool.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -- "-$p" 2>/dev/null || kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

# the pool's registry on 127.0.0.1: shared cache, and target: results passed between nodes
regport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$work/registry"
cat > "$work/registry/config.yml" <<REG
version: 0.1
storage: { filesystem: { rootdirectory: $work/registry/data } }
http: { addr: 127.0.0.1:$regport }
REG
setsid docker-registry serve "$work/registry/config.yml" >"$work/registry/log" 2>&1 &
pids+=($!)

cpus=$(nproc)
serve() { # serve NAME CPU
  local name=$1 cpu=$2 pin=()
  [ "$cpus" -ge 2 ] && command -v taskset >/dev/null && pin=(taskset -c "$cpu")
  mkdir -p "$work/$name"
  printf '[registry."127.0.0.1:%s"]\n  http = true\n' "$regport" > "$work/$name/buildkitd.toml"
  KILN_ROOT="$work/$name" setsid "${pin[@]}" "$kiln" engine serve --addr "unix://$work/$name.sock" \
    >"$work/$name.log" 2>&1 &
  pids+=($!)
}
serve amd64 0
serve arm64 1
for name in amd64 arm64; do
  for _ in $(seq 300); do [ -S "$work/$name.sock" ] && break; sleep 0.1; done
  [ -S "$work/$name.sock" ] || { echo "demo-pool: node $name did not start:" >&2; cat "$work/$name.log" >&2; exit 1; }
done

cat > "$work/pool.hcl" <<POOL
cache-registry = "127.0.0.1:$regport/kiln-demo-cache"

node "amd64" {
  address   = "unix://$work/amd64.sock"
  platforms = ["linux/amd64"]
}
node "arm64" {
  address   = "unix://$work/arm64.sock"
  platforms = ["linux/arm64"]
}
POOL
"$kiln" pool ls --pool "$work/pool.hcl"
echo
# --no-skip: the outputs of `make demo` in ./dist would otherwise be up to date
"$kiln" bake --pool "$work/pool.hcl" --no-skip "$@"
