#!/usr/bin/env python3
"""How much the dictionary the server trains itself saves on small answers (docs/performance.md,
"The dictionary the server trains itself"): starts `llmcache mock-upstream` and `llmcache serve`
on a fresh store, sends 2,000 unique chat requests, waits for the trainer's next tick (30 s),
sends 3,000 more, and prints the disk tier's figures and each dictionary's ratios from /stats.

Usage: tools/dictionary-ratio.py [LLMCACHE_BINARY]   (default .build/release/llmcache)"""
import json
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from measure_proxy import ProxyWithMock  # noqa: E402

binary = sys.argv[1] if len(sys.argv) > 1 else ".build/release/llmcache"
folder = tempfile.mkdtemp(prefix="llmcache-dictionary-")
proxy = ProxyWithMock(binary, ["--store", folder + "/store"])
try:
    sizes = proxy.ask_all(range(2000))
    print(f"answers: {sum(sizes) / len(sizes):.0f} bytes on average")
    started = time.time()
    # The trainer runs every 30 s; its result is in /stats once it has run.
    while not any(d["id"] != 0 for d in proxy.stats()["tiers"]["disk"]["dictionaries"]):
        if time.time() - started > 90:
            raise SystemExit("no dictionary trained within 90 s")
        time.sleep(1)
    print(f"trained after {time.time() - started:.0f} s")
    proxy.ask_all(range(2000, 5000))
    time.sleep(2)  # the disk writer's commit
    disk = proxy.stats()["tiers"]["disk"]
    print(json.dumps({k: disk[k] for k in ("entries", "bytes", "raw_bytes", "file_bytes", "compression_ratio",
                                           "file_bytes_per_entry", "overhead_bytes_per_entry")}))
    for dictionary in disk["dictionaries"]:
        print(json.dumps(dictionary))
finally:
    proxy.stop()
    shutil.rmtree(folder, ignore_errors=True)
