#!/usr/bin/env bash
# Three llmcache instances on one throwaway PostgreSQL server, behind nginx as a round-robin
# load balancer (no cache in nginx); wrk sends 10,000 requests over 1,000 prompts (each prompt 10
# times in a row; the mock upstream answers in 50 ms). Prints upstream calls (1,000 is one per
# prompt) and each instance's hits, then the same without the shared tier.
# Needs the release binary, wrk, nginx and postgresql. Ports 18201-18206.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${LLMCACHE_BIN:-$PWD/.build/release/llmcache}
pgbin=$(pg_config --bindir 2>/dev/null || ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
work=$(mktemp -d /tmp/llmcache-shared-XXXXXX)
chmod 755 "$work"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
mkdir -p "$work/sock"; [ "$(id -u)" = 0 ] && chown postgres "$work/sock"
pids=()
stop_all() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true; pids=()
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid" 2>/dev/null)" 2>/dev/null || true
}
cleanup() { stop_all; as_pg "$pgbin/pg_ctl" -D "$work/data" -w -m fast stop >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
[ "$(id -u)" = 0 ] && chown postgres "$work"
as_pg "$pgbin/initdb" -D "$work/data" -U llmcache --auth=trust --no-sync -E UTF8 >/dev/null
as_pg "$pgbin/pg_ctl" -D "$work/data" -w -l "$work/pg.log" -o "-c listen_addresses='' -k $work/sock -p 5432 -c log_min_duration_statement=50" start >/dev/null
url="postgres://llmcache@/postgres?host=$work/sock&port=5432"
mock=18201; lb=18205

wait_port() { for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$1/healthz" && return; sleep 0.1; done; echo "port $1 not up" >&2; exit 1; }
run() { # label, extra serve arguments...
  local label=$1; shift
  "$bin" mock-upstream --port $mock >/dev/null 2>&1 & pids+=($!)
  for port in 18202 18203 18204; do
    "$bin" serve --memory-only --no-admin --port $port --upstream http://127.0.0.1:$mock "$@" >"$work/$port.log" 2>&1 & pids+=($!)
  done
  for port in $mock 18202 18203 18204; do wait_port $port; done
  cat >"$work/nginx.conf" <<CONF
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx-error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/body; proxy_temp_path $work/proxy_temp; fastcgi_temp_path $work/f;
  uwsgi_temp_path $work/u; scgi_temp_path $work/s;
  upstream instances { server 127.0.0.1:18202; server 127.0.0.1:18203; server 127.0.0.1:18204; keepalive 32; }
  server { listen 127.0.0.1:$lb; location / { proxy_pass http://instances; proxy_http_version 1.1; proxy_set_header Connection ""; } }
}
CONF
  nginx -c "$work/nginx.conf" -g 'daemon on;'
  wait_port $lb
  calls() { curl -s http://127.0.0.1:$mock/__stats | sed -E 's/.*"requests":([0-9]+).*/\1/'; }
  local before; before=$(calls)
  # wrk stops its thread after 10,000 answers but reports over the whole -d: its req/s is not
  # the rate.
  local out; out=$(wrk -t1 -c30 -d60s --latency -s tools/shared/bursts.lua "http://127.0.0.1:$lb" 2>&1)
  echo "== $label"
  echo "$out" | awk '/requests in/ {print "  " $1 " requests"} $1=="50%" || $1=="99%" {print "  latency " $0}'
  echo "  upstream calls: $(( $(calls) - before ))"
  for port in 18202 18203 18204; do
    echo "  instance $port: $(curl -s http://127.0.0.1:$port/stats | python3 -c '
import json,sys; s=json.load(sys.stdin); r=s["requests"]; t=s["tiers"].get("shared")
extra = "" if t is None else ", shared tier: %d errors, %d lease waits, %d skipped, last error %s" % (
    t["errors"], t["lease_waits"], t["skipped"], t["last_error"])
print("requests", {k:v for k,v in r.items() if v}, "hit ratio %.3f" % s["hit_ratio"] + extra)')"
  done
  stop_all
}
run "three instances, one shared tier" --shared-postgres "$url"
# What the database was slow at (statements over 50 ms, from its log).
echo "  database statements over 50 ms: $(grep -c 'duration:' "$work/pg.log" || true)"
grep 'duration:' "$work/pg.log" | sed -E 's/.*duration: ([0-9.]+) ms +(execute [^:]*|statement)?:? *(.{0,70}).*/    \1 ms  \3/' | sort -rn | head -5 || true
run "three instances, each alone"
