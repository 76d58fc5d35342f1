#!/usr/bin/env bash
# Measures the memory tier's per-entry overhead: resident growth of 1M entries held in a
# MemoryTier, minus the same entries held in a plain array, each in its own process.
# usage: tools/memory-overhead.sh [entries] [body-bytes]
set -euo pipefail
cd "$(dirname "$0")/../Benchmarks"
entries=${1:-1000000}
body=${2:-16}
swift build -c release --product MemoryOverhead >/dev/null
bin=.build/release/MemoryOverhead
plain=$($bin plain "$entries" "$body" | sed -E 's/.*: ([0-9]+) bytes.*/\1/')
echo "plain array (keys + entries): $plain bytes/entry"
for policy in w-tinylfu lru lfu; do
  tier=$($bin "$policy" "$entries" "$body" | sed -E 's/.*: ([0-9]+) bytes.*/\1/')
  echo "$policy: $tier bytes/entry in the tier, overhead $((tier - plain)) bytes/entry"
done
