"""A proxy and its mock upstream for the measurement scripts in tools/ (dictionary-ratio.py,
l1-entry-cost.py): `llmcache mock-upstream` and `llmcache serve` on free ports, unique chat
requests sent concurrently, `/stats` read from the admin listener."""

from __future__ import annotations

import concurrent.futures
import json
import re
import subprocess
import threading
import urllib.request
from typing import Any, List, Tuple


def start(command: List[str], pattern: str) -> Tuple[subprocess.Popen, "re.Match[str]"]:
    """Starts `command` and returns once its output matches `pattern` (its output is drained
    after that: a full pipe would stall it)."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seen = ""
    assert process.stdout is not None
    for line in process.stdout:
        seen += line
        found = re.search(pattern, seen, re.S)
        if found:
            threading.Thread(target=lambda: [None for _ in process.stdout], daemon=True).start()
            return process, found
    process.wait()
    raise SystemExit(f"{command[1]} exited ({process.returncode}) before listening:\n{seen}")


class ProxyWithMock:
    """`serve` with `arguments` (a store or --memory-only, …) in front of a fresh mock."""

    def __init__(self, binary: str, arguments: List[str]):
        self.mock, found = start([binary, "mock-upstream", "--port", "0"], r"listening on (http://\S+)")
        upstream = found.group(1)
        self.proxy, found = start(
            [binary, "serve", "--port", "0", "--admin-port", "0", "--upstream", upstream,
             "--anthropic-upstream", upstream, *arguments],
            r"listening on http://127\.0\.0\.1:(\d+)/v1.*dashboard: http://127\.0\.0\.1:(\d+)/dashboard")
        self.base = f"http://127.0.0.1:{found.group(1)}"
        self.admin = f"http://127.0.0.1:{found.group(2)}"

    def ask(self, index: int) -> int:
        """One chat request no other index makes; the answer's size."""
        body = json.dumps({"model": "gpt-4o-mini",
                           "messages": [{"role": "user", "content": f"What is the capital of country number {index}?"}]})
        request = urllib.request.Request(self.base + "/v1/chat/completions", data=body.encode(),
                                         headers={"content-type": "application/json", "authorization": "Bearer sk-x"})
        with urllib.request.urlopen(request) as response:
            return len(response.read())

    def ask_all(self, indices: range) -> List[int]:
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            return list(pool.map(self.ask, indices))

    def stats(self) -> Any:
        return json.load(urllib.request.urlopen(self.admin + "/stats"))

    def resident_anonymous_bytes(self) -> int:
        with open(f"/proc/{self.proxy.pid}/status") as status:
            for line in status:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1]) * 1024
        raise SystemExit("no RssAnon in /proc/PID/status")

    def stop(self) -> None:
        for process in (self.proxy, self.mock):
            process.terminate()
            process.wait()
