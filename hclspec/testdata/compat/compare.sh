#!/usr/bin/env bash
# Compares `kiln bake` with `buildx bake` (v0.38.2) on every case here:
# --print output (JSON, key order ignored) or the first error line.
# buildx walks Go maps in places, so a few cases vary from run to run in
# buildx itself (which cycle member or which of two errors is named first);
# 34-name-null.hcl makes buildx panic where kiln reports an error.
#
#   hclspec/testdata/compat/compare.sh [path/to/kiln]
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
KILN=${1:-}
BUILDX=${BUILDX:-/root/go/bin/buildx}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ -z "$KILN" ]; then
  (cd "$here/../../.." && go build -o "$tmp/kiln" ./cmd/kiln) || exit 1
  KILN=$tmp/kiln
fi
touch /tmp/hs-compat-secret 2>/dev/null

# targets to print per case (default group otherwise)
declare -A args=(
  [04-matrix.hcl]="app tup" [15-selfref.hcl]="a" [19-complex.hcl]="a b" [21-inhref.hcl]="x"
  [23-misc.hcl]="a b" [31-name-nonstring.hcl]="a b" [43.hcl]="b-x" [45.hcl]="a" [46.hcl]="a"
  [47.hcl]="a" [48.hcl]="a b" [49.hcl]="a" [56.hcl]="a" [57.hcl]="a" [58.hcl]="x" [60-json-matrix.json]="a b" [70-global-matrix.hcl]="a" [71-exprs.hcl]="a" [50-json-vars.json]="a" [53-json-vars.json]="a"
)
# normalize: sorted keys, and groups' target lists sorted (buildx orders a
# matrix's targets by Go map iteration, differently from run to run).
normalize() {
  python3 -c '
import json, sys
d = json.load(sys.stdin)
if isinstance(d, dict):
    for g in d.get("group", {}).values():
        g["targets"] = sorted(g.get("targets") or [])
print(json.dumps(d, indent=2, sort_keys=True))'
}

same=0 differ=0
ENVS=() # KEY=VALUE for both tools
compare() { # name, then bake args
  local name=$1; shift
  env "${ENVS[@]}" "$BUILDX" bake "$@" >"$tmp/bx.out" 2>"$tmp/bx.err"; local brc=$?
  env "${ENVS[@]}" "$KILN" bake "$@" >"$tmp/kl.out" 2>"$tmp/kl.err"; local krc=$?
  local b k
  if [ $brc -ne 0 ] || [ $krc -ne 0 ]; then
    b=$(grep -a '^ERROR' "$tmp/bx.err" | sed 's/, and [0-9]* other diagnostic(s)$//')
    # kiln appends the chain of a cycle: " (variable A -> variable B -> variable A)"
    k=$(grep -a '^ERROR' "$tmp/kl.err" | head -1 | sed 's/ ([^()]* -> [^()]*)$//')
  else
    b=$(normalize <"$tmp/bx.out"); k=$(normalize <"$tmp/kl.out")
  fi
  if [ "$b" == "$k" ]; then same=$((same + 1)); echo "same    $name"
  else differ=$((differ + 1)); echo "DIFFER  $name"; diff <(echo "$b") <(echo "$k") | head -10 | sed 's/^/        /'; fi
}
cd "$here" || exit 1
for f in *.hcl *.json; do
  # shellcheck disable=SC2086
  compare "$f" -f "$f" --print ${args[$f]:-}
done
S=hello N=41 B=true L="1,2,3" ST="b,a,b" T="x,2,true" MP="a:1,b:2" OB_JSON='{"a":"z"}' TS=str compare "20-env.hcl (env)" -f 20-env.hcl --print
N=abc compare "20-env.hcl (N=abc)" -f 20-env.hcl --print
L="1,x" compare "20-env.hcl (L=1,x)" -f 20-env.hcl --print
OB=1 compare "20-env.hcl (OB=1)" -f 20-env.hcl --print
A=fromenv compare "54.hcl (A=fromenv)" -f 54.hcl --print
compare "35-list.hcl variables" -f 35-list.hcl --list type=variables,format=json
compare "multi a+b+c" -f multi/a.hcl -f multi/b.hcl -f multi/c.json --print app j
compare "multi a+b variables --var" -f multi/a.hcl -f multi/b.hcl --list type=variables,format=json --var TAG=zz
# buildx/: the bake files of buildx v0.38.2's bake/hcl_test.go and (bake_*)
# bake/bake_test.go (Apache-2.0),
# one directory per test (or per file of a test): .files lists the -f files,
# .env the environment; every target (as buildx lists them) is printed.
for d in "$here"/buildx/*/; do
  name=$(basename "$d")
  fargs=(); for f in $(cat "$d/.files"); do fargs+=(-f "$f"); done
  ENVS=(); [ -f "$d/.env" ] && while read -r e; do [ -n "$e" ] && ENVS+=("$e"); done <"$d/.env"
  cd "$d" || exit 1
  targets=$(env "${ENVS[@]}" "$BUILDX" bake "${fargs[@]}" --list type=targets,format=json 2>/dev/null |
    python3 -c 'import json, sys
try: print(" ".join(t["name"] for t in json.load(sys.stdin)))
except Exception: pass')
  # shellcheck disable=SC2086
  compare "buildx/$name" "${fargs[@]}" --print $targets
done
ENVS=()
echo "same: $same, differ: $differ"
