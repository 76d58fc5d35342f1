# Three real llmcache instances (ports 18080, 18090, 18100) and one mock upstream (18081):
# upstream calls for identical concurrent requests spread over the instances; the latency of a
# miss, a shared-tier hit, a memory hit and (instance B restarted on its store) a disk hit; and
# the database's bytes per entry for ~300 B and ~2 KiB answers. Usage: measure.py
# LLMCACHE_BINARY SOCKET_DIR (the PostgreSQL server's socket directory), or SOCKET_DIR "-" for
# the same run without a shared tier. tools/shared/measure.sh starts a throwaway server and runs both.
import http.client, json, os, subprocess, sys, tempfile, time, threading, statistics, concurrent.futures as cf
B = sys.argv[1]; SOCK = sys.argv[2]
URL = f"postgres://llmcache@/postgres?host={SOCK}&port=5432"
SHARED = ["--shared-postgres", URL] if SOCK != "-" else []
procs = []
import atexit
@atexit.register
def stop_all():  # also when an assertion fails: no server outlives the script
    for p in procs:
        if p.poll() is None: p.terminate()
    for p in procs: p.wait()
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
STORE = tempfile.mkdtemp(prefix="llmcache-measure-")  # B's disk tier (the others: memory only)
def serve(port):
    tiers = ["--store", STORE] if port == 18090 else ["--memory-only"]
    return start(["serve", *tiers, "--no-admin", "--port", str(port), *SHARED,
                  "--upstream", "http://127.0.0.1:18081", "--anthropic-upstream", "http://127.0.0.1:18081"])
servers = {p: serve(p) for p in ports}
for p in ports: wait_up(p)
def mock_requests():
    c = http.client.HTTPConnection("127.0.0.1", 18081); c.request("GET", "/__stats"); return json.loads(c.getresponse().read())["requests"]
local = threading.local()
sizes = []
def post(port, content, headers={}):
    conns = getattr(local, "conns", None)
    if conns is None: conns = local.conns = {}
    c = conns.get(port) or http.client.HTTPConnection("127.0.0.1", port)
    conns[port] = c
    body = json.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": content}]})
    t = time.perf_counter()
    c.request("POST", "/v1/chat/completions", body, {"content-type": "application/json", "authorization": "Bearer sk-measure", **headers})
    r = c.getresponse(); answer = r.read(); sizes.append(len(answer))
    return time.perf_counter() - t, r.getheader("x-llmcache-status"), r.getheader("x-llmcache-tier")
def table():
    """Rows and bytes of the shared table (with its TOAST and indexes), or None without one."""
    if not SHARED: return None
    out = subprocess.run(["psql", "-h", SOCK, "-U", "llmcache", "-d", "postgres", "-Atc",
                          "select count(*), coalesce(sum(size), 0), pg_total_relation_size('llmcache_entries') from llmcache_entries"],
                         capture_output=True, text=True, check=True).stdout.strip().split("|")
    return tuple(int(x) for x in out)
# 1. one upstream call per prompt across instances: 50 prompts, each asked 3x on every instance at once
before = mock_requests()
with cf.ThreadPoolExecutor(45) as pool:
    futures = [pool.submit(post, port, f"together {i}", {"x-mock-latency-ms": "300"}) for i in range(50) for port in ports for _ in range(3)]
    results = [f.result() for f in futures]
calls = mock_requests() - before
statuses = {}
for _, s, t in results: statuses[f"{s} {t}"] = statuses.get(f"{s} {t}", 0) + 1
print(f"coalescing: 50 prompts x 3 instances x 3 concurrent = {len(results)} requests, upstream calls {calls}; {statuses}")
# 2. latency: miss (mock 0 ms) on A, first request on B (shared hit), second on B (memory hit);
# then B restarted on its store: the same requests are disk hits
miss, shared, memory, disk = [], [], [], []
for i in range(400):
    d, s, t = post(18080, f"latency {i}"); miss.append(d)
time.sleep(0.5)  # let the write-behind queue reach the database (not a test)
for i in range(400):
    d, s, t = post(18090, f"latency {i}"); assert t == ("shared" if SHARED else "upstream"), (s, t); shared.append(d)
    d, s, t = post(18090, f"latency {i}"); assert t == "memory", (s, t); memory.append(d)
time.sleep(0.5)  # B's disk writes are write-behind too
servers[18090].terminate(); servers[18090].wait(); local.conns.pop(18090, None)
servers[18090] = serve(18090); wait_up(18090)
for i in range(400):
    d, s, t = post(18090, f"latency {i}"); assert t == "disk", (s, t); disk.append(d)
q = lambda xs: (statistics.median(xs) * 1e6, sorted(xs)[int(len(xs) * 0.99)] * 1e6)
second = "L3 shared hit (B)" if SHARED else "first request on B (a miss: no shared tier)"
for name, xs in [("miss via mock (A)", miss), (second, shared), ("L1 memory hit (B)", memory),
                 ("L2 disk hit (B restarted)", disk)]:
    p50, p99 = q(xs); print(f"{name}: p50 {p50:.0f} us, p99 {p99:.0f} us")
# 3. bytes per entry in the database: the rows so far (~300 B answers), then 400 answers of ~2 KiB
if SHARED:
    rows, record, total = table()
    small = statistics.median(sizes[-400:])
    print(f"~{small:.0f} B answers: {rows} rows, {record / rows:.0f} record bytes and {total / rows:.0f} table bytes per row")
    del sizes[:]
    for i in range(400):
        post(18080, f"bytes {i}", {"x-mock-prose": "1700"})
    time.sleep(0.5)
    rows2, record2, total2 = table()
    n = rows2 - rows
    print(f"~{statistics.median(sizes):.0f} B answers (prose): {n} rows, {(record2 - record) / n:.0f} record bytes "
          f"and {(total2 - total) / n:.0f} table bytes per row (TOAST and indexes included)")
stop_all()
subprocess.run(["rm", "-rf", STORE])
