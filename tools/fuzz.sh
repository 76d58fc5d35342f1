#!/usr/bin/env bash
# Fuzzes llmcache's input decoders with libFuzzer: the JSON parser and canonicalizer, the stream
# validator, the record decoder, the export-line decoder and the configuration loader
# (Sources/llmcache-fuzz). Builds once with -sanitize=fuzzer into .build-fuzz, then runs each
# target for SECONDS from its seed corpus (Fuzz/corpus/TARGET). Exits non-zero on the first crash,
# leaving the input in Fuzz/crashes/TARGET/ — replay it with a plain build:
#   swift build --product llmcache-fuzz && .build/debug/llmcache-fuzz TARGET FILE
# and keep it as a regression input in Fuzz/corpus/TARGET (the test suite replays every one).
#
# usage: tools/fuzz.sh [seconds per target, default 30] [target ...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(json sse record export-line recording-line yaml)

swift build --scratch-path .build-fuzz --product llmcache-fuzz \
  -Xswiftc -sanitize=fuzzer -Xswiftc -DLLMCACHE_FUZZ >/dev/null
binary=.build-fuzz/debug/llmcache-fuzz
work=$(mktemp -d /tmp/llmcache-fuzz-XXXXXX)
trap 'rm -rf "$work"' EXIT

for target in "${targets[@]}"; do
  mkdir -p "$work/$target" "Fuzz/crashes/$target"
  if ! LLMCACHE_FUZZ_TARGET=$target "$binary" "$work/$target" "Fuzz/corpus/$target" \
      -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
      -artifact_prefix="Fuzz/crashes/$target/" -print_final_stats=1 >"$work/$target.log" 2>&1; then
    tail -40 "$work/$target.log"
    echo "fuzz: $target crashed; input kept in Fuzz/crashes/$target/" >&2
    exit 1
  fi
  runs=$(awk '/stat::number_of_executed_units/ {print $2}' "$work/$target.log")
  echo "fuzz: $target — $runs inputs in ${seconds}s, no crash"
done
