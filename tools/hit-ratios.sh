#!/usr/bin/env bash
# Hit ratios of the memory tier's policies on the public cache traces, beside the published
# W-TinyLFU values (docs/performance.md, "Hit ratios"). The traces are not part of this
# repository; give the folder that holds them:
#
#   tools/hit-ratios.sh DIR          # or: LLMCACHE_TRACES=DIR tools/hit-ratios.sh
#
# DIR may hold any of oltp.gz (ARC format), gli.gz and loop.gz (LIRS format), as distributed
# with the ARC and LIRS papers' trace sets; a missing file is skipped with a note. The Zipf
# and generated (recency, phase change) rows need no file. Builds the release binary first.
set -euo pipefail
cd "$(dirname "$0")/.."

traces=${1:-${LLMCACHE_TRACES:-}}
if [ -z "$traces" ] || [ ! -d "$traces" ]; then
  echo "usage: tools/hit-ratios.sh DIR (or LLMCACHE_TRACES=DIR): the folder holding oltp.gz, gli.gz, loop.gz" >&2
  exit 64
fi

swift build -c release --product llmcache >/dev/null
bin=.build/release/llmcache

run() {  # name format
  if [ -r "$traces/$1.gz" ]; then
    "$bin" simulate --trace "$traces/$1.gz" --format "$2" --capacity 250,1000,2000
  else
    echo "($traces/$1.gz not found: skipped)"
  fi
  echo
}
run oltp arc
run gli lirs
run loop lirs
"$bin" simulate --zipf 100000 --capacity 1000
echo
"$bin" simulate --zipf 1000000 --requests 10000000 --capacity 10000
echo
# Recency-heavy traffic (the LRU stack model), where W-TinyLFU's window must grow toward LRU,
# and a phase change (recency, then Zipf, then recency again): W-TinyLFU against LRU only.
for depth in 100 300 1000; do
  "$bin" simulate --recency "$depth" --capacity 250,1000,2000,10000 --policy w-tinylfu,lru
  echo
done
"$bin" simulate --phases --recency 300 --zipf 100000 --requests 1000000 --capacity 1000,10000 --policy w-tinylfu,lru
echo
cat <<'TABLE'
Published (Caffeine's efficiency charts; LRU and the optimum recomputed exactly on these files):
trace @ capacity   LRU     W-TinyLFU  optimal
OLTP @ 250         16.47   ~24.5      38.43
OLTP @ 1000        32.83   ~39.5      53.61
OLTP @ 2000        42.47   ~46        60.40
gli @ 250           0.91   ~16        17.64
gli @ 1000         11.21   ~50.5      53.13
gli @ 2000         57.41   ~58        57.96
TABLE
