#!/usr/bin/env bash
# The dynamic symbols exported by libtznr.so must be exactly the global list of libtznr.map.
set -euo pipefail
lib=$1 map=$2
exported=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBR]$/ {print $3}' | sed 's/@.*//' | grep -v '^TZNR_' | sort -u)
listed=$(sed -n '/global:/,/local:/p' "$map" | grep -o 'tznr_[a-z0-9_]*' | sort -u)
if [ "$exported" != "$listed" ]; then
  echo "exported symbols differ from $map:"; diff <(echo "$listed") <(echo "$exported") || true
  echo "0 passed, 1 failed"; exit 1
fi
n=$(echo "$exported" | wc -l)
echo "symbols: $n exported, all listed in the version script"
echo "1 passed, 0 failed"
