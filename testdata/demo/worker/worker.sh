#!/bin/sh
# The demo worker: processes numbers from stdin; "thorough" also checks them.
set -eu
while read -r n; do
  case "$FLAVOUR" in
    thorough) [ "$n" -eq "$n" ] 2>/dev/null || { echo "bad input: $n" >&2; continue; } ;;
  esac
  echo $((n * n))
done
