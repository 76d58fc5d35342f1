#!/usr/bin/env bash
# Soak test: a steady mixed load (tools/loadtest/soak.lua: hits, misses, streams, upstream 500s,
# cut streams, slow upstreams) plus clients that disconnect mid-stream, clients that read slowly
# (small answers, and 32 MiB streams larger than what is stored),
# and connections that stall, for DURATION seconds (default 600). Every 30 s it samples the
# proxy's resident memory, open file descriptors and TCP connections; at the end it prints the
# samples, the load's error counts and whether the proxy is still answering. Ends by itself.
#
# usage: tools/loadtest/soak.sh [DURATION seconds, default 600]
set -euo pipefail
cd "$(dirname "$0")/../.."
duration=${1:-600}
. tools/loadtest/common.sh soak
command -v curl >/dev/null || { echo "needs curl" >&2; exit 1; }

upstream_port=18931; proxy_port=18932
$bin mock-upstream --port $upstream_port >"$work/mock.log" 2>&1 & pids+=($!)
$bin serve --port $proxy_port --no-admin --upstream http://127.0.0.1:$upstream_port --store "$work/store" \
  --memory-bytes 64MiB >"$work/proxy.log" 2>&1 & proxy=$!; pids+=($proxy)
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$proxy_port/healthz" && break; sleep 0.1; done
url="http://127.0.0.1:$proxy_port/v1/chat/completions"

sample() {
  local rss anon fds conns
  rss=$(awk '/VmRSS/ {print $2}' "/proc/$proxy/status")
  anon=$(awk '/RssAnon/ {print $2}' "/proc/$proxy/status")   # without the store's mapped pages
  fds=$(ls "/proc/$proxy/fd" | wc -l)
  conns=$(ss -tn state established "( sport = :$proxy_port )" 2>/dev/null | tail -n +2 | wc -l)
  printf '%6ss  rss %7d KiB (anonymous %7d)  fds %5d  client connections %5d\n' "$1" "$rss" "$anon" "$fds" "$conns"
}

# Misbehaving clients, in the background until the end.
end=$((SECONDS + duration))
(while [ $SECONDS -lt $end ]; do   # disconnect mid-stream
  curl -s -o /dev/null --max-time 0.2 -H 'content-type: application/json' -H 'x-mock-chunk-delay-ms: 100' \
    -d "{\"model\":\"m\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"leave $RANDOM\"}]}" "$url" || true
done) & pids+=($!)
(while [ $SECONDS -lt $end ]; do   # read a 32 MiB answer slowly (held back upstream, not buffered)
  curl -s -o /dev/null --max-time 5 --limit-rate 1m -H 'content-type: application/json' -H 'x-mock-bulk-bytes: 33554432' \
    -d "{\"model\":\"m\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"bulk $RANDOM\"}]}" "$url" || true
done) & pids+=($!)
(while [ $SECONDS -lt $end ]; do   # read slowly
  curl -s -o /dev/null --max-time 20 --limit-rate 2k -H 'content-type: application/json' -H 'x-mock-padding: 20000' \
    -d "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"slow reader $RANDOM\"}]}" "$url" || true
done) & pids+=($!)
(while [ $SECONDS -lt $end ]; do   # stall: a head and half a body, then silence until the idle timeout
  exec 3<>"/dev/tcp/127.0.0.1/$proxy_port"
  printf 'POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\n{"mo' >&3
  sleep 5
  exec 3>&-
done) & pids+=($!)

echo "== soak: ${duration}s of mixed load (wrk -t2 -c16) with misbehaving clients =="
sample 0
wrk -t2 -c16 -d"${duration}s" --timeout 30s -s tools/loadtest/soak.lua "$url" >"$work/wrk.txt" 2>&1 & wrkpid=$!; pids+=($wrkpid)
elapsed=0
while kill -0 $wrkpid 2>/dev/null; do
  sleep 30
  elapsed=$((elapsed + 30))
  kill -0 "$proxy" || { echo "the proxy died"; exit 1; }
  sample $elapsed
done
echo "== load =="
grep -E "Requests/sec|requests in|Non-2xx|Socket errors|Latency" "$work/wrk.txt" || true
sleep 2
sample end
status=$(curl -s -o /dev/null -w '%{http_code}' -H 'content-type: application/json' \
  -d '{"model":"m","messages":[{"role":"user","content":"still there?"}]}' "$url")
echo "after the soak the proxy answers: $status"
[ "$status" = 200 ]
