#!/usr/bin/env bash
# llmcache against nginx proxy_cache, one table with ratios, everything on 127.0.0.1 in one run:
# L1 (memory) hits, disk-tier hits (3,000 stored answers, a 1 MiB memory tier holding about a
# third of them), hits on a cached ~21 KiB stream (109 events), and misses (against mock-upstream called directly: the cost
# llmcache adds to a miss, memory-only and with the disk tier). Each cell: a warm-up as long as the run, then the measured run.
# Needs wrk and nginx (apt-get install wrk nginx-light).
#
# Loads: -t1 -c1, -t1 -c4 (misses only), -t1 -c32, -t2 -c64.
#
# usage: tools/loadtest/compare.sh [seconds per run, default 5]
#   LLMCACHE_BIN=PATH   measure that binary instead of building this tree's release binary
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-5}
command -v nginx >/dev/null || { echo "needs nginx: apt-get install nginx-light" >&2; exit 1; }
. tools/loadtest/common.sh compare
chmod 755 "$work"   # nginx workers (www-data) must reach their cache and temp folders

# Ports picked by the kernel: bind port 0, read what it gave, release it.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
mock=$(free_port); memory=$(free_port); disk=$(free_port); ngx=$(free_port)
$bin mock-upstream --port "$mock" >"$work/mock.log" 2>&1 & pids+=($!)
$bin serve --port "$memory" --no-admin --memory-only --upstream "http://127.0.0.1:$mock" >"$work/memory.log" 2>&1 & pids+=($!)
$bin serve --port "$disk" --no-admin --store "$work/store" --memory-bytes 1MiB --upstream "http://127.0.0.1:$mock" \
  >"$work/disk.log" 2>&1 & pids+=($!)
sed -e "s#__DIR__#$work#g" -e "s#__UPSTREAM_PORT__#$mock#" -e "s#__NGINX_PORT__#$ngx#" tools/loadtest/nginx.conf >"$work/nginx.conf"
mkdir -p "$work/cache"
nginx -c "$work/nginx.conf" -g 'daemon on;'
for port in "$mock" "$memory" "$disk" "$ngx"; do
  for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
done

# Warm every cache and check it answers from where the row says.
url() { echo "http://127.0.0.1:$1/v1/chat/completions"; }
probe() { # port lua-fixture header-to-print
  local body headers=(-H 'content-type: application/json')
  body=$(sed -n "s/^wrk.body = '\(.*\)'$/\1/p" "tools/loadtest/$2")
  grep -q x-mock-padding "tools/loadtest/$2" && headers+=(-H 'x-mock-padding: 600')
  for _ in 1 2 3; do curl -s -o /dev/null "${headers[@]}" -d "$body" "$(url "$1")"; done
  curl -s -D - -o "$work/probe.body" "${headers[@]}" -d "$body" "$(url "$1")" | grep -i "$3" | tr -d '\r' | tr '\n' ' '
  echo "$(wc -c <"$work/probe.body") bytes"
}
echo "checks: memory $(probe "$memory" hit.lua x-llmcache-tier)"
wrk -t1 -c32 -d"$(( seconds > 4 ? seconds : 4 ))s" -s tools/loadtest/disk-hit.lua "$(url "$disk")" >/dev/null   # store every key
wrk -t1 -c32 -d"$(( seconds > 4 ? seconds : 4 ))s" -s tools/loadtest/disk-hit.lua "$(url "$ngx")" >/dev/null
echo "        stream $(probe "$memory" stream-hit.lua x-llmcache-tier)"
echo "        nginx  $(probe "$ngx" hit.lua x-cache-status)/ stream $(probe "$ngx" stream-hit.lua x-cache-status)"

measure() { # url script threads connections -> "rps p50 p99"
  wrk -t"$3" -c"$4" -d"${seconds}s" -s "tools/loadtest/$2" "$1" >/dev/null 2>&1
  wrk -t"$3" -c"$4" -d"${seconds}s" --latency -s "tools/loadtest/$2" "$1" 2>&1 \
    | awk '/Requests\/sec/ {r=$2} $1=="50%" {p50=$2} $1=="99%" {p99=$2} END {print r, p50, p99}'
}
echo
printf '%-8s %-8s %12s %12s %7s %10s %10s %10s %10s\n' scenario wrk reference llmcache ratio "ref p50" "p50" "ref p99" "p99"
for load in "1 1" "1 4" "1 32" "2 64"; do
  set -- $load
  rows=("L1-hit:$ngx:$memory:hit.lua" "disk-hit:$ngx:$disk:disk-hit.lua" "stream:$ngx:$memory:stream-hit.lua")
  if [ "$2" = 4 ]; then rows=(); fi   # -c4: the misses only (issue 19's miss target)
  for row in "${rows[@]}" "miss:$mock:$memory:miss.lua" "miss-L2:$mock:$disk:miss.lua"; do
    IFS=: read -r name ref ours script <<<"$row"
    read -r rps_ref p50_ref p99_ref <<<"$(measure "$(url "$ref")" "$script" "$1" "$2")"
    read -r rps p50 p99 <<<"$(measure "$(url "$ours")" "$script" "$1" "$2")"
    ratio=$(awk -v a="$rps" -v b="$rps_ref" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
    printf '%-8s %-8s %12s %12s %7s %10s %10s %10s %10s\n' "$name" "-t$1 -c$2" "$rps_ref" "$rps" "$ratio" \
      "$p50_ref" "$p50" "$p99_ref" "$p99"
  done
done
echo
echo "reference: nginx proxy_cache for hits; mock-upstream called directly for misses (llmcache: miss + store;"
echo "miss: the memory-only instance; miss-L2: the instance with a disk tier, each miss also written to it)."
curl -s "http://127.0.0.1:$disk/stats" | python3 -c 'import json,sys; t=json.load(sys.stdin)["tiers"]; print("disk-hit instance: memory hits", t["memory"]["hits"], "disk hits", t["disk"]["hits"])' 
