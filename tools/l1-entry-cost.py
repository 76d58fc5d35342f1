#!/usr/bin/env python3
"""What an L1 entry costs through the proxy (docs/performance.md, "Memory overhead per entry"):
starts `llmcache mock-upstream` and a memory-only `llmcache serve`, sends N unique chat requests
(each answer stored in L1), then 2N more, and prints per new entry what L1 accounts
(`/stats` tiers.memory.bytes), how much the C heap's bytes in use grew (`/stats`
process.heap_bytes_in_use: live data) and how much the process's anonymous resident memory
(RssAnon) grew — the second line is marginal, past the first N's warm-up.

Usage: tools/l1-entry-cost.py [LLMCACHE_BINARY [N]]   (default .build/release/llmcache 20000)"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from measure_proxy import ProxyWithMock  # noqa: E402

binary = sys.argv[1] if len(sys.argv) > 1 else ".build/release/llmcache"
count = int(sys.argv[2]) if len(sys.argv) > 2 else 20000
proxy = ProxyWithMock(binary, ["--memory-only"])
try:
    proxy.ask_all(range(10_000_000, 10_000_500))  # warm-up: connections, first allocations

    def sample():
        time.sleep(1)  # the last fetches' stores
        stats = proxy.stats()
        return proxy.resident_anonymous_bytes(), stats["process"]["heap_bytes_in_use"], stats["tiers"]["memory"]

    resident, heap, memory = sample()
    sizes = []
    for label, indices in (("first", range(count)), ("next", range(count, 3 * count))):
        sizes += proxy.ask_all(indices)
        now_resident, now_heap, now_memory = sample()
        added = now_memory["entries"] - memory["entries"]
        print(f"{label} {added} entries: L1 accounts {(now_memory['bytes'] - memory['bytes']) / added:.0f} B/entry, "
              f"heap in use grew {(now_heap - heap) / added:.0f} B/entry, "
              f"RssAnon grew {(now_resident - resident) / added:.0f} B/entry")
        resident, heap, memory = now_resident, now_heap, now_memory
    print(f"answers: {sum(sizes) / len(sizes):.0f} bytes on average")
finally:
    proxy.stop()
