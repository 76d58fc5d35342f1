# Shared by the load scripts: builds the release binary ($bin; LLMCACHE_BIN=PATH measures that
# binary instead), makes a scratch folder ($work) and, on exit, kills every process whose pid is
# added to `pids` and an nginx started with its pid file in $work. Source it after `cd` to the
# repository: `. tools/loadtest/common.sh NAME`.
command -v wrk >/dev/null || { echo "needs wrk: apt-get install wrk" >&2; exit 1; }
bin=${LLMCACHE_BIN:-}
if [ -z "$bin" ]; then
  swift build -c release --product llmcache >/dev/null
  bin=.build/release/llmcache
fi
work=$(mktemp -d "/tmp/llmcache-${1:-load}-XXXXXX")
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
