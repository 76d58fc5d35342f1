#!/usr/bin/env bash
# Load test: llmcache against nginx proxy_cache (hit throughput), hit latency at moderate load,
# and the miss-path overhead against calling mock-upstream directly. Everything on 127.0.0.1,
# bounded in time. Needs wrk and nginx (apt-get install wrk nginx-light).
#
# usage: tools/loadtest/run.sh [seconds per run, default 10]
#   LLMCACHE_BIN=PATH   measure that binary instead of building this tree's release binary
#                       (to compare two builds in one sitting: run the script once with each)
#   LLMCACHE_MOCK_BIN=PATH  run mock-upstream from that binary (default: the measured one), so that
#                       two builds are measured against the same upstream answers
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-10}
command -v wrk >/dev/null && command -v nginx >/dev/null || { echo "needs wrk and nginx: apt-get install wrk nginx-light" >&2; exit 1; }

bin=${LLMCACHE_BIN:-}
if [ -z "$bin" ]; then
  swift build -c release --product llmcache >/dev/null
  bin=.build/release/llmcache
fi
work=$(mktemp -d /tmp/llmcache-load-XXXXXX)
chmod 755 "$work"   # nginx workers (www-data) must reach their cache and temp folders
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

upstream_port=18901; proxy_port=18902; nginx_port=18903
${LLMCACHE_MOCK_BIN:-$bin} mock-upstream --port $upstream_port >"$work/mock.log" 2>&1 & pids+=($!)
$bin serve --port $proxy_port --no-admin --upstream http://127.0.0.1:$upstream_port --store "$work/store" >"$work/proxy.log" 2>&1 & pids+=($!)
sed -e "s#__DIR__#$work#g" -e "s#__UPSTREAM_PORT__#$upstream_port#" -e "s#__NGINX_PORT__#$nginx_port#" \
  tools/loadtest/nginx.conf >"$work/nginx.conf"
mkdir -p "$work/cache"
nginx -c "$work/nginx.conf" -g 'daemon on;'
for port in $upstream_port $proxy_port $nginx_port; do
  for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
done

hit_body='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"What is a cache? Answer in one paragraph."}]}'
for port in $proxy_port $nginx_port; do   # warm both caches, check they hit
  for _ in 1 2; do curl -s -o /dev/null -H 'content-type: application/json' -d "$hit_body" "http://127.0.0.1:$port/v1/chat/completions"; done
done
echo "llmcache: $(curl -s -D - -o /dev/null -H 'content-type: application/json' -d "$hit_body" http://127.0.0.1:$proxy_port/v1/chat/completions | grep -i x-llmcache-status | tr -d '\r')"
echo "nginx:    $(curl -s -D - -o /dev/null -H 'content-type: application/json' -d "$hit_body" http://127.0.0.1:$nginx_port/v1/chat/completions | grep -i x-cache-status | tr -d '\r')"

run() { # url script threads connections name — a warm-up as long as the run, then the measured run
  wrk -t"$3" -c"$4" -d"${seconds}s" -s "tools/loadtest/$2" "$1" >/dev/null 2>&1
  local out
  out=$(wrk -t"$3" -c"$4" -d"${seconds}s" --latency -s "tools/loadtest/$2" "$1" 2>&1)
  local rps p50 p99
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p50=$(echo "$out" | awk '$1=="50%" {print $2}')
  p99=$(echo "$out" | awk '$1=="99%" {print $2}')
  printf '%-34s %10s req/s   p50 %8s   p99 %8s\n' "$5" "$rps" "$p50" "$p99"
}

echo
echo "== hit throughput (wrk -t2 -c64, ${seconds}s, same machine, same settings) =="
run "http://127.0.0.1:$nginx_port/v1/chat/completions" hit.lua 2 64 "nginx proxy_cache hit"
run "http://127.0.0.1:$proxy_port/v1/chat/completions" hit.lua 2 64 "llmcache L1 hit"
echo
echo "== hit latency at moderate load (wrk -t1 -c4) =="
run "http://127.0.0.1:$nginx_port/v1/chat/completions" hit.lua 1 4 "nginx proxy_cache hit"
run "http://127.0.0.1:$proxy_port/v1/chat/completions" hit.lua 1 4 "llmcache L1 hit"
echo
echo "== miss path (wrk -t1 -c4, every request unique) =="
run "http://127.0.0.1:$upstream_port/v1/chat/completions" miss.lua 1 4 "mock-upstream directly"
run "http://127.0.0.1:$proxy_port/v1/chat/completions" miss.lua 1 4 "through llmcache (miss + store)"
echo
curl -s "http://127.0.0.1:$upstream_port/__stats"; echo
