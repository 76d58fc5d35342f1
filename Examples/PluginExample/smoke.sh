#!/usr/bin/env bash
# Builds llmcache-plus and checks that its plugins work end to end: the example file validates
# (the echo provider and max_tokens_guard are known), the echo provider answers and its answer is
# cached, and the guard refuses a large max_tokens. Run from anywhere; exits non-zero on failure.
set -euo pipefail
cd "$(dirname "$0")"
swift build --product llmcache-plus
bin="$(swift build --show-bin-path)/llmcache-plus"
"$bin" config check example.yaml > /dev/null
if llmcache_out=$("$(swift build --show-bin-path)/llmcache-plus" config check /dev/stdin <<< 'plugins: [{name: nope}]' 2>&1); then
  echo "an unknown plugin was accepted"; exit 1
fi
store=$(mktemp -d)
log=$(mktemp)
"$bin" serve --config example.yaml --port 0 --store "$store" --no-admin > "$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$store" "$log"' EXIT
port=""
for _ in $(seq 1 100); do
  port=$(grep -o 'http://127.0.0.1:[0-9]*' "$log" | head -1 | sed 's/.*://') || true
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { cat "$log"; echo "proxy did not start"; exit 1; }
url="http://127.0.0.1:$port/echo/v1/chat/completions"
body='{"model":"m","messages":[{"role":"user","content":"hello plugin"}]}'
first=$(curl -s -D - -H 'content-type: application/json' -d "$body" "$url")
grep -q 'echo: hello plugin' <<< "$first" || { echo "$first"; echo "echo provider did not answer"; exit 1; }
grep -qi 'x-llmcache-status: MISS' <<< "$first"
sleep 0.5
second=$(curl -s -D - -H 'content-type: application/json' -d "$body" "$url")
grep -qi 'x-llmcache-status: HIT' <<< "$second" || { echo "$second"; echo "echo answer not cached"; exit 1; }
refused=$(curl -s -o /dev/null -w '%{http_code}' -H 'content-type: application/json' \
  -d '{"model":"m","max_tokens":99999,"messages":[]}' "$url")
[ "$refused" = 400 ] || { echo "max_tokens_guard did not refuse ($refused)"; exit 1; }
echo "plugin example: OK (port $port)"
