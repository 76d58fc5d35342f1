"""Checks the admin dashboard in a real browser (headless Chromium over the DevTools protocol):

1. starts `llmcache mock-upstream` and `llmcache serve` (a store, a memory budget, an admin
   token), sends known traffic (misses, hits, a changed temperature, an Anthropic message);
2. without the token: /dashboard is a 401 holding no numbers, /stats?view=dashboard a 401;
3. opens /dashboard, which asks for the token; gives it through the page's own form; once the
   page is live, reads every number it shows (`data-field` / `data-value`) and compares it with
   /stats asked at that moment, and with the traffic sent; the recent misses name
   `$.temperature` and show no prompt; the token is in no address and nowhere in the page;
4. writes a screenshot;
5. stops the proxy: the page says it is disconnected; starts it again on the same admin port:
   the page recovers by itself.

Usage: dashboard_check.py LLMCACHE_BINARY SCREENSHOT.png   (prints CHECKED and a summary on
success; exits 1 with the reason otherwise)."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import urllib.error
import urllib.request
from typing import Any, Dict, List, Optional, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cdp import Browser  # noqa: E402

TOKEN = "dashboard-test-token-5f2c"
SECRET_PROMPT = "PROMPT-TEXT-NEVER-SHOWN"
# Numbers that move on their own between the page's request and ours.
VOLATILE = {("governor", "resident_bytes"), ("governor", "memory_tier_limit"), ("governor", "level"),
            ("governor", "heap_trims"), ("governor", "samples")}


class CheckFailed(Exception):
    pass


def check(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


def start(command: List[str], pattern: str, environment: Optional[Dict[str, str]] = None) -> Tuple[subprocess.Popen, re.Match]:
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env=environment)
    seen: List[str] = []
    assert process.stdout is not None
    for line in process.stdout:
        seen.append(line)
        found = re.search(pattern, "".join(seen[-12:]), re.S)
        if found:
            # Keep reading: a full pipe would stall it.
            threading.Thread(target=lambda: [None for _ in process.stdout], daemon=True).start()
            return process, found
    process.wait()
    raise CheckFailed(f"{command[1]} exited ({process.returncode}) before listening:\n" + "".join(seen))


def request(url: str, body: Optional[Dict[str, Any]] = None, headers: Optional[Dict[str, str]] = None) -> Tuple[int, Dict[str, str], bytes]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers=headers or {}, method="POST" if data else "GET")
    if data:
        req.add_header("content-type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def at(stats: Any, path: List[Any]) -> Any:
    for part in path:
        if isinstance(stats, list) and isinstance(part, int) and 0 <= part < len(stats):
            stats = stats[part]
        elif isinstance(stats, dict) and part in stats:
            stats = stats[part]
        else:
            return None
    return stats


def main() -> int:
    binary, screenshot = sys.argv[1], sys.argv[2]
    work = tempfile.mkdtemp(prefix="llmcache-dashboard-")
    processes: List[subprocess.Popen] = []
    browser: Optional[Browser] = None
    try:
        mock, found = start([binary, "mock-upstream", "--port", "0"], r"listening on (http://\S+)")
        processes.append(mock)
        upstream = found.group(1)
        environment = dict(os.environ, LLMCACHE_TEST_ADMIN_TOKEN=TOKEN)
        environment = {k: v for k, v in environment.items() if not k.startswith("LLMCACHE_") or k == "LLMCACHE_TEST_ADMIN_TOKEN"}

        def serve(admin_port: int) -> Tuple[subprocess.Popen, int, int]:
            process, found = start(
                [binary, "serve", "--host", "127.0.0.1", "--port", "0", "--store", os.path.join(work, "store"),
                 "--upstream", upstream, "--anthropic-upstream", upstream, "--admin-port", str(admin_port),
                 "--admin-token-env", "LLMCACHE_TEST_ADMIN_TOKEN", "--memory-limit", "512MiB"],
                r"listening on http://127\.0\.0\.1:(\d+)/v1.*dashboard: http://127\.0\.0\.1:(\d+)/dashboard",
                environment)
            return process, int(found.group(1)), int(found.group(2))

        proxy, port, admin = serve(0)
        processes.append(proxy)
        base, admin_base = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{admin}"
        auth = {"authorization": "Bearer sk-test-dashboard"}

        def chat(content: str, temperature: float = 0) -> str:
            body = {"model": "gpt-4o-mini", "temperature": temperature,
                    "messages": [{"role": "user", "content": content}]}
            status, headers, _ = request(base + "/v1/chat/completions", body, auth)
            check(status == 200, f"chat answered {status}")
            return {k.lower(): v for k, v in headers.items()}["x-llmcache-status"]

        statuses = [chat(SECRET_PROMPT + " one"), chat(SECRET_PROMPT + " one"), chat(SECRET_PROMPT + " two"),
                    chat(SECRET_PROMPT + " two"), chat(SECRET_PROMPT + " two"), chat(SECRET_PROMPT + " one", 0.7)]
        check(statuses == ["MISS", "HIT", "MISS", "HIT", "HIT", "MISS"], f"statuses {statuses}")
        status, _, _ = request(base + "/v1/messages",
                               {"model": "mock-claude", "max_tokens": 16,
                                "messages": [{"role": "user", "content": SECRET_PROMPT + " three"}]},
                               {"x-api-key": "sk-ant-test", "anthropic-version": "2023-06-01"})
        check(status == 200, f"messages answered {status}")

        # Without the token: the page (a 401 that holds no number), and no data.
        status, headers, page = request(admin_base + "/dashboard")
        check(status == 401, f"/dashboard without a token answered {status}")
        check(b"llmcacheDashboard" in page and b"gpt-4o-mini" not in page, "the 401 page is the empty shell")
        status, _, _ = request(admin_base + "/stats?view=dashboard")
        check(status == 401, f"/stats?view=dashboard without a token answered {status}")
        status, _, _ = request(admin_base + "/stats?view=dashboard", headers={"authorization": "Bearer wrong"})
        check(status == 401, f"a wrong token answered {status}")

        browser = Browser()
        browser.navigate(admin_base + "/dashboard#refresh=250")
        check(browser.evaluate("window.llmcacheDashboard.when('locked').then(() => 'locked')") == "locked",
              "the page asks for the token")
        browser.evaluate(
            f"document.getElementById('token').value = {json.dumps(TOKEN)};"
            "document.getElementById('token-form').requestSubmit(); true")
        browser.evaluate("window.llmcacheDashboard.when('live')")
        shown = browser.evaluate(
            "JSON.stringify([...document.querySelectorAll('[data-field]')].map(n => [JSON.parse(n.dataset.field), JSON.parse(n.dataset.value)]))")
        fields = json.loads(shown)
        status, _, body = request(admin_base + "/stats?view=dashboard", headers={"authorization": "Bearer " + TOKEN})
        check(status == 200, f"/stats?view=dashboard with the token answered {status}")
        stats = json.loads(body)
        compared = 0
        for path, value in fields:
            if tuple(path) in VOLATILE:
                continue
            expected = (at(stats, ["requests", "HIT"]) or 0) + (at(stats, ["requests", "COALESCED"]) or 0) \
                if path == ["avoided"] else at(stats, path)
            check(value == expected, f"the page shows {path} = {value!r}, /stats says {expected!r}")
            compared += 1
        by_path = {json.dumps(p): v for p, v in fields}
        known = {'["requests", "HIT"]': 3, '["requests", "MISS"]': 4, '["avoided"]': 3,
                 '["misses", "by_model", "gpt-4o-mini"]': 3, '["misses", "by_model", "mock-claude"]': 1,
                 '["misses", "by_route", "POST /v1/chat/completions"]': 3,
                 '["saved", "by_model", "gpt-4o-mini", "hits"]': 3}
        for path, value in known.items():
            check(by_path.get(path) == value, f"the page shows {path} = {by_path.get(path)!r}, the traffic says {value}")
        for path in ('["hit_ratio"]', '["tiers", "memory", "hit_ratio"]', '["tiers", "disk", "hit_ratio"]',
                     '["saved", "dollars"]', '["governor", "budget_bytes"]', '["tiers", "disk", "entries"]',
                     '["provider_cache", "net_dollars"]', '["provider_cache", "read_tokens"]'):
            check(path in by_path, f"the page does not show {path}")
        text = browser.evaluate("document.body.innerText")
        html = browser.evaluate("document.documentElement.outerHTML")
        check("$.temperature" in text, "a recent miss names $.temperature:\n" + text)
        check(SECRET_PROMPT not in html, "the page shows a prompt")
        check(TOKEN not in html and TOKEN not in browser.evaluate("location.href"), "the token is in the page or its address")
        check("share_across_credentials:" in text and "listen:" in text, "the running configuration is shown")
        browser.screenshot(screenshot)

        # Stopped: the page says so; started again on the same admin port: it recovers.
        proxy.send_signal(signal.SIGTERM)
        proxy.wait(timeout=60)
        processes.remove(proxy)
        check(browser.evaluate("window.llmcacheDashboard.when('disconnected').then(() => document.getElementById('state').textContent)") == "disconnected",
              "the page shows that it is disconnected")
        before = browser.evaluate("window.llmcacheDashboard.renders")
        proxy, _, again = serve(admin)
        processes.append(proxy)
        check(again == admin, f"restarted on admin port {again}, not {admin}")
        after = browser.evaluate("window.llmcacheDashboard.when('live')")
        check(after > before, "the page rendered again after the restart")
        check(browser.evaluate("document.querySelector('[data-field=\\'[\"requests\",\"HIT\"]\\']').dataset.value") == "0",
              "the restarted proxy's counters are shown")
        print("CHECKED", json.dumps({"fields_compared": compared, "renders": after, "screenshot": screenshot}))
        return 0
    except CheckFailed as failure:
        print("FAILED:", failure)
        return 1
    finally:
        if browser:
            browser.close()
        for process in processes:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
