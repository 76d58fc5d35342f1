#!/usr/bin/env bash
# The cost of plugins on the hit path, and of a reload: the same hit load against two proxies —
# one without a configuration file, one whose file enables access_log, key_rules and
# header_rules — run alternately (A B A B) so that drift hits both. Then a SIGHUP reload of the
# second while it serves, with its duration from the log. Everything on 127.0.0.1.
#
# usage: tools/loadtest/plugins.sh [seconds per run, default 10]
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-10}
. tools/loadtest/common.sh plugins

upstream_port=18911; plain_port=18912; plugins_port=18913
cat > "$work/plugins.yaml" <<YAML
listen: {port: $plugins_port}
store: {path: $work/store-plugins}
admin: {enabled: false}
upstreams:
  openai: {url: "http://127.0.0.1:$upstream_port"}
plugins:
  - name: access_log
    settings: {path: $work/access.jsonl}
  - name: key_rules
    settings:
      rules: [{pattern: '\d{4}-\d{2}-\d{2}', replace: '<date>'}]
  - name: header_rules
    settings: {remove: [x-debug], key: [x-tenant]}
YAML
$bin mock-upstream --port $upstream_port >"$work/mock.log" 2>&1 & pids+=($!)
$bin serve --port $plain_port --no-admin --upstream http://127.0.0.1:$upstream_port --store "$work/store-plain" >"$work/plain.log" 2>&1 & pids+=($!)
$bin serve --config "$work/plugins.yaml" >"$work/plugins.log" 2>&1 & plugins_pid=$!; pids+=($plugins_pid)
for port in $upstream_port $plain_port $plugins_port; do
  for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
done
hit_body='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"What is a cache? Answer in one paragraph."}]}'
for port in $plain_port $plugins_port; do
  for _ in 1 2; do curl -s -o /dev/null -H 'content-type: application/json' -d "$hit_body" "http://127.0.0.1:$port/v1/chat/completions"; done
  echo "port $port: $(curl -s -D - -o /dev/null -H 'content-type: application/json' -d "$hit_body" http://127.0.0.1:$port/v1/chat/completions | grep -i x-llmcache-status | tr -d '\r')"
done

run() { # url threads connections name
  local out rps p50 p99
  out=$(wrk -t"$2" -c"$3" -d"${seconds}s" --latency -s tools/loadtest/hit.lua "$1" 2>&1)
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p50=$(echo "$out" | awk '$1=="50%" {print $2}')
  p99=$(echo "$out" | awk '$1=="99%" {print $2}')
  printf '%-40s %10s req/s   p50 %8s   p99 %8s\n' "$4" "$rps" "$p50" "$p99"
}
plain=http://127.0.0.1:$plain_port/v1/chat/completions
with=http://127.0.0.1:$plugins_port/v1/chat/completions
wrk -t2 -c64 -d"${seconds}s" -s tools/loadtest/hit.lua "$plain" >/dev/null 2>&1   # warm-up
wrk -t2 -c64 -d"${seconds}s" -s tools/loadtest/hit.lua "$with" >/dev/null 2>&1
echo
echo "== L1 hit throughput (wrk -t2 -c64, ${seconds}s), alternating =="
for round in 1 2; do
  run "$plain" 2 64 "no plugins (round $round)"
  run "$with" 2 64 "access_log+key_rules+header_rules ($round)"
done
echo
echo "== L1 hit latency (wrk -t1 -c4) =="
run "$plain" 1 4 "no plugins"
run "$with" 1 4 "access_log+key_rules+header_rules"
echo
echo "access log lines: $(wc -l < "$work/access.jsonl")"
echo
echo "== reload under load (SIGHUP while wrk -t1 -c4 runs) =="
sed -i 's/replace: .<date>./replace: "<day>"/' "$work/plugins.yaml"
wrk -t1 -c4 -d4s -s tools/loadtest/hit.lua "$with" > "$work/reload-wrk.txt" 2>&1 &
wrk_pid=$!
sleep 1; kill -HUP $plugins_pid; sleep 1; kill -HUP $plugins_pid
wait $wrk_pid
grep 'configuration reloaded' "$work/plugins.log" | grep -o 'duration=[0-9.e-]* seconds' | sed 's/^/reload /'
grep -E 'Non-2xx|Socket errors' "$work/reload-wrk.txt" || echo "no failed requests during the reloads ($(awk '/requests in/ {print $1}' "$work/reload-wrk.txt") served)"
