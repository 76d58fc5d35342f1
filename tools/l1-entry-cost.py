#!/usr/bin/env python3
"""What an L1 entry costs through the proxy (docs/performance.md, "Memory overhead per entry"):
starts `llmcache mock-upstream` and a memory-only `llmcache serve`, sends N unique chat requests
(each answer stored in L1), then 2N more, and prints per new entry what L1 accounts
(`/stats` tiers.memory.bytes) and how much the process's anonymous resident memory (RssAnon)
grew — the second figure is marginal, past the first N's warm-up.

Usage: tools/l1-entry-cost.py [LLMCACHE_BINARY [N]]   (default .build/release/llmcache 20000)"""
import json, re, subprocess, sys, threading, time, urllib.request, concurrent.futures as cf
B = sys.argv[1] if len(sys.argv) > 1 else ".build/release/llmcache"
N = int(sys.argv[2]) if len(sys.argv) > 2 else 20000
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
proxy, m = start([B, "serve", "--port", "0", "--admin-port", "0", "--memory-only", "--upstream", up, "--anthropic-upstream", up],
                 r"listening on http://127\.0\.0\.1:(\d+)/v1.*dashboard: http://127\.0\.0\.1:(\d+)/dashboard")
base, admin = f"http://127.0.0.1:{m.group(1)}", f"http://127.0.0.1:{m.group(2)}"
def rss():
    for line in open(f"/proc/{proxy.pid}/status"):
        if line.startswith("RssAnon:"): return int(line.split()[1]) * 1024
def ask(i):
    body = json.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": f"What is the capital of country number {i}?"}]}).encode()
    r = urllib.request.Request(base + "/v1/chat/completions", data=body, headers={"content-type": "application/json", "authorization": "Bearer sk-x"})
    with urllib.request.urlopen(r) as resp: return len(resp.read())
def mem(): return json.load(urllib.request.urlopen(admin + "/stats"))["tiers"]["memory"]
with cf.ThreadPoolExecutor(8) as ex: list(ex.map(ask, range(1000000, 1000500)))
time.sleep(1)
r0, m0 = rss(), mem()
with cf.ThreadPoolExecutor(8) as ex: sizes = list(ex.map(ask, range(N)))
time.sleep(2)
r1, m1 = rss(), mem()
n = m1["entries"] - m0["entries"]
print(f"answers {sum(sizes)/len(sizes):.0f} B; entries +{n}; accounted {(m1['bytes']-m0['bytes'])/n:.0f} B/entry; RssAnon {(r1-r0)/n:.0f} B/entry")
with cf.ThreadPoolExecutor(8) as ex: sizes = list(ex.map(ask, range(N, 3 * N)))
time.sleep(2)
r2, m2 = rss(), mem()
n2 = m2["entries"] - m1["entries"]
print(f"next {n2}: accounted {(m2['bytes']-m1['bytes'])/n2:.0f} B/entry; RssAnon {(r2-r1)/n2:.0f} B/entry (marginal)")
proxy.terminate(); mock.terminate(); proxy.wait(); mock.wait()
