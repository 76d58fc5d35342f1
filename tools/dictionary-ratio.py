#!/usr/bin/env python3
"""How much the dictionary the server trains itself saves on small answers (docs/performance.md,
"The dictionary the server trains itself"): starts `llmcache mock-upstream` and `llmcache serve`
on a fresh store, sends 2,000 unique chat requests, waits for the trainer's next tick (30 s),
sends 3,000 more, and prints the disk tier's figures and each dictionary's ratios from /stats.

Usage: tools/dictionary-ratio.py [LLMCACHE_BINARY]   (default .build/release/llmcache)"""
import json, re, subprocess, sys, tempfile, threading, time, urllib.request, concurrent.futures as cf, os, shutil
B = sys.argv[1] if len(sys.argv) > 1 else ".build/release/llmcache"
STORE = tempfile.mkdtemp(prefix="llmcache-dictionary-") + "/store"
def start(cmd, pat):
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seen = ""
    for line in p.stdout:
        seen += line
        m = re.search(pat, seen, re.S)
        if m:
            threading.Thread(target=lambda: [None for _ in p.stdout], daemon=True).start()
            return p, m
mock, m = start([B, "mock-upstream", "--port", "0"], r"listening on (http://\S+)")
up = m.group(1)
proxy, m = start([B, "serve", "--port", "0", "--admin-port", "0", "--store", STORE, "--upstream", up, "--anthropic-upstream", up],
                 r"listening on http://127\.0\.0\.1:(\d+)/v1.*dashboard: http://127\.0\.0\.1:(\d+)/dashboard")
base, admin = f"http://127.0.0.1:{m.group(1)}", f"http://127.0.0.1:{m.group(2)}"
def ask(i):
    body = json.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": f"What is the capital of country number {i}?"}]}).encode()
    r = urllib.request.Request(base + "/v1/chat/completions", data=body, headers={"content-type": "application/json", "authorization": "Bearer sk-x"})
    with urllib.request.urlopen(r) as resp: return len(resp.read())
def stats(): return json.load(urllib.request.urlopen(admin + "/stats"))["tiers"]["disk"]
with cf.ThreadPoolExecutor(8) as ex: sizes = list(ex.map(ask, range(2000)))
print("answer bytes mean", sum(sizes) / len(sizes))
t0 = time.time()
while not any(d["id"] != 0 for d in stats()["dictionaries"]) and time.time() - t0 < 90: time.sleep(1)
print("trained after", round(time.time() - t0), "s:", [ (d["id"], d["current"]) for d in stats()["dictionaries"]])
with cf.ThreadPoolExecutor(8) as ex: list(ex.map(ask, range(2000, 5000)))
time.sleep(2)
d = stats()
print(json.dumps({k: d[k] for k in ("entries", "bytes", "raw_bytes", "file_bytes", "compression_ratio", "file_bytes_per_entry", "overhead_bytes_per_entry")}))
for x in d["dictionaries"]: print(json.dumps(x))
proxy.terminate(); mock.terminate()
proxy.wait(); mock.wait()
shutil.rmtree(os.path.dirname(STORE), ignore_errors=True)
