#!/usr/bin/env bash
# Measures the shared tier: three llmcache instances on a throwaway PostgreSQL server (Unix
# socket only, in a temporary folder), then the same run without a shared tier. Needs the
# release binary (swift build -c release --product llmcache) and Debian's postgresql. Uses
# ports 18080, 18081, 18090 and 18100.
set -euo pipefail
cd "$(dirname "$0")/../.."
binary=${1:-$PWD/.build/release/llmcache}
bin=$(pg_config --bindir 2>/dev/null || ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
dir=$(mktemp -d)
run() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
mkdir -p "$dir/sock"
[ "$(id -u)" = 0 ] && chown -R postgres "$dir"
run "$bin/initdb" -D "$dir/data" -U llmcache --auth=trust --no-sync -E UTF8 >/dev/null
run "$bin/pg_ctl" -D "$dir/data" -w -l "$dir/log" -o "-c listen_addresses='' -k $dir/sock -p 5432" start >/dev/null
trap 'run "$bin/pg_ctl" -D "$dir/data" -w -m fast stop >/dev/null; rm -rf "$dir"' EXIT
export PATH="$bin:$PATH"
echo "== with the shared tier"
python3 tools/shared/measure.py "$binary" "$dir/sock"
"$bin/psql" -h "$dir/sock" -U llmcache -d postgres -Atc \
  "select 'rows ' || count(*) || ', record bytes ' || sum(size) || ', table+index bytes ' || pg_total_relation_size('llmcache_entries') from llmcache_entries"
echo "== without (each instance alone)"
python3 tools/shared/measure.py "$binary" -
