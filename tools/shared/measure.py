# Three real llmcache instances (ports 18080, 18090, 18100) and one mock upstream (18081):
# upstream calls for identical concurrent requests spread over the instances, and the latency
# of a miss, a shared-tier hit and a memory hit. Usage: measure.py LLMCACHE_BINARY SOCKET_DIR
# (the PostgreSQL server's socket directory), or SOCKET_DIR "-" for the same run without a
# shared tier. tools/shared/measure.sh starts a throwaway server and runs both.
import http.client, json, os, subprocess, sys, time, threading, statistics, concurrent.futures as cf
B = sys.argv[1]; SOCK = sys.argv[2]
URL = f"postgres://llmcache@/postgres?host={SOCK}&port=5432"
SHARED = ["--shared-postgres", URL] if SOCK != "-" else []
procs = []
def start(args):
    p = subprocess.Popen([B] + args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); procs.append(p); return p
def wait_up(port):
    for _ in range(300):
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=1); c.request("GET", "/healthz"); c.getresponse().read(); return
        except Exception: time.sleep(0.1)
    raise SystemExit(f"port {port} not up")
start(["mock-upstream", "--port", "18081"]); wait_up(18081)
ports = [18080, 18090, 18100]
for p in ports:
    start(["serve", "--memory-only", "--no-admin", "--port", str(p), *SHARED,
           "--upstream", "http://127.0.0.1:18081", "--anthropic-upstream", "http://127.0.0.1:18081"])
for p in ports: wait_up(p)
def mock_requests():
    c = http.client.HTTPConnection("127.0.0.1", 18081); c.request("GET", "/__stats"); return json.loads(c.getresponse().read())["requests"]
local = threading.local()
def post(port, content, headers={}):
    conns = getattr(local, "conns", None)
    if conns is None: conns = local.conns = {}
    c = conns.get(port) or http.client.HTTPConnection("127.0.0.1", port)
    conns[port] = c
    body = json.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": content}]})
    t = time.perf_counter()
    c.request("POST", "/v1/chat/completions", body, {"content-type": "application/json", "authorization": "Bearer sk-measure", **headers})
    r = c.getresponse(); r.read()
    return time.perf_counter() - t, r.getheader("x-llmcache-status"), r.getheader("x-llmcache-tier")
# 1. one upstream call per prompt across instances: 50 prompts, each asked 3x on every instance at once
before = mock_requests()
with cf.ThreadPoolExecutor(45) as pool:
    futures = [pool.submit(post, port, f"together {i}", {"x-mock-latency-ms": "300"}) for i in range(50) for port in ports for _ in range(3)]
    results = [f.result() for f in futures]
calls = mock_requests() - before
statuses = {}
for _, s, t in results: statuses[f"{s} {t}"] = statuses.get(f"{s} {t}", 0) + 1
print(f"coalescing: 50 prompts x 3 instances x 3 concurrent = {len(results)} requests, upstream calls {calls}; {statuses}")
# 2. latency: miss (mock 0 ms) on A, first hit on B (shared), second hit on B (memory)
miss, shared, memory = [], [], []
for i in range(400):
    d, s, t = post(18080, f"latency {i}"); miss.append(d)
time.sleep(0.5)  # let the write-behind queue reach the database (not a test)
for i in range(400):
    d, s, t = post(18090, f"latency {i}"); assert t == ("shared" if SHARED else "upstream"), (s, t); shared.append(d)
    d, s, t = post(18090, f"latency {i}"); assert t == "memory", (s, t); memory.append(d)
q = lambda xs: (statistics.median(xs) * 1e6, sorted(xs)[int(len(xs) * 0.99)] * 1e6)
second = "L3 shared hit (B)" if SHARED else "first request on B (a miss: no shared tier)"
for name, xs in [("miss via mock (A)", miss), (second, shared), ("L1 memory hit (B)", memory)]:
    p50, p99 = q(xs); print(f"{name}: p50 {p50:.0f} us, p99 {p99:.0f} us")
for p in procs: p.terminate()
for p in procs: p.wait()
