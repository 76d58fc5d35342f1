# Shared by the load scripts: builds the release binary ($bin), makes a scratch folder ($work)
# and kills every process whose pid is added to `pids` on exit. Source it after `cd` to the
# repository: `. tools/loadtest/common.sh NAME`.
command -v wrk >/dev/null || { echo "needs wrk: apt-get install wrk" >&2; exit 1; }
swift build -c release --product llmcache >/dev/null
bin=.build/release/llmcache
work=$(mktemp -d "/tmp/llmcache-${1:-load}-XXXXXX")
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
