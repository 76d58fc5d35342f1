#!/usr/bin/env bash
# Memory budget under a flood of unique large answers: runs the same flood twice against
# `llmcache serve` with an L1 of 256 MiB — once without a budget, once with --memory-limit —
# sampling the proxy's anonymous RSS (the governor's figure) every 0.25 s, and prints the peak
# and the governor's state. Needs wrk (apt-get install wrk).
#
# usage: tools/loadtest/memory-flood.sh [seconds per run, default 20] [budget, default 192MiB] [answer bytes, default 262144]
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-20}; budget=${2:-192MiB}; padding=${3:-262144}
. tools/loadtest/common.sh flood

upstream_port=18911; proxy_port=18912; admin_port=18913
$bin mock-upstream --port $upstream_port >"$work/mock.log" 2>&1 & pids+=($!)
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$upstream_port/" && break; sleep 0.1; done

rss_kib() { awk '/^RssAnon:/ {print $2}' "/proc/$1/status"; }

flood() { # name, extra serve arguments...
  local name=$1; shift
  rm -rf "$work/store"
  $bin serve --port $proxy_port --admin-port $admin_port --upstream http://127.0.0.1:$upstream_port \
    --store "$work/store" --memory-bytes 256MiB "$@" >"$work/proxy-$name.log" 2>&1 &
  local pid=$!
  for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$proxy_port/healthz" && break; sleep 0.1; done
  local peak=0 samples="$work/rss-$name"
  : >"$samples"
  MISS_PADDING=$padding wrk -t2 -c16 -d"${seconds}s" -s tools/loadtest/miss.lua \
    "http://127.0.0.1:$proxy_port/v1/chat/completions" >"$work/wrk-$name" 2>&1 &
  local wrk_pid=$!
  while kill -0 $wrk_pid 2>/dev/null; do rss_kib $pid >>"$samples"; sleep 0.25; done
  peak=$(sort -n "$samples" | tail -1)
  local p95; p95=$(sort -n "$samples" | awk '{a[NR]=$1} END {print a[int(NR*0.95)]}')
  local rps; rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk-$name")
  local stats; stats=$(curl -s "http://127.0.0.1:$admin_port/stats")
  local l1; l1=$(echo "$stats" | python3 -c 'import json,sys; s=json.load(sys.stdin); m=s["tiers"]["memory"]; g=s["governor"]; print("L1 %d MiB held, limit %d MiB; governor %s" % (m["bytes"]>>20, (m["byte_limit"] or 0)>>20, "off" if g is None else "%s, transitions %s, trims %d" % (g["level"], g["transitions"], g["heap_trims"])))')
  printf '%-22s %8s req/s   RSS peak %4d MiB  p95 %4d MiB   %s\n' "$name" "$rps" $((peak / 1024)) $((p95 / 1024)) "$l1"
  kill $pid; wait $pid 2>/dev/null || true
}

echo "== flood of unique $((padding / 1024)) KiB answers, wrk -t2 -c16 ${seconds}s, L1 configured 256 MiB =="
flood "no budget"
flood "budget $budget" --memory-limit "$budget"
