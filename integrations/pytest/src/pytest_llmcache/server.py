"""One `llmcache serve` per test session (or per xdist worker), over a store of its own in a
temporary directory, plus the `import`/`export` calls that move recordings in and out."""

from __future__ import annotations

import collections
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import urllib.error
import urllib.request
from typing import Dict, List, Optional

BANNER = re.compile(r"llmcache is listening on http://[^:]+:(\d+)/v1")

# serve's modes for the plugin's modes (off starts nothing).
SERVE_MODES = {"replay": "replay", "record": "record", "new": "readwrite"}


class LLMCacheError(Exception):
    """llmcache could not be found, started, or asked."""


def find_binary(given: Optional[str]) -> str:
    """The llmcache executable: the given path, else $LLMCACHE_BINARY, else `llmcache` on PATH."""
    candidate = given or os.environ.get("LLMCACHE_BINARY") or shutil.which("llmcache")
    if not candidate:
        raise LLMCacheError(
            "llmcache was not found: put it on PATH, set LLMCACHE_BINARY, or pass --llmcache-binary PATH"
        )
    if not (os.path.isfile(candidate) and os.access(candidate, os.X_OK)):
        raise LLMCacheError(f"--llmcache-binary {candidate} is not an executable file")
    return candidate


def upstream_base(url: Optional[str], suffix: str) -> Optional[str]:
    """The upstream llmcache should send misses to, from what an SDK's base-URL variable named
    before the plugin replaced it (`http://host:8081/v1` -> `http://host:8081`)."""
    if not url:
        return None
    url = url.rstrip("/")
    if suffix and url.endswith(suffix):
        url = url[: -len(suffix)]
    return url


class Server:
    """A running `llmcache serve` and its scratch directory."""

    def __init__(self, binary: str, mode: str, upstreams: Dict[str, Optional[str]]):
        self.binary = binary
        self.mode = mode
        self.directory = tempfile.mkdtemp(prefix="pytest-llmcache-")
        self.store = os.path.join(self.directory, "store")
        self.manifest = os.path.join(self.directory, "manifest.jsonl")
        self.upstreams = upstreams
        self.port: Optional[int] = None
        self.process: Optional[subprocess.Popen] = None
        self._output: collections.deque = collections.deque(maxlen=60)
        self._manifest_offset = 0

    # -- recordings in and out ---------------------------------------------------------------

    def load(self, files: List[str]) -> None:
        """Imports recording files into the store (before `start`)."""
        if files:
            self._tool(["import", "--store", self.store, *files])

    def export(self) -> str:
        """Writes every stored entry in the reviewable form (after `stop`); the file's path."""
        path = os.path.join(self.directory, "export.jsonl")
        if os.path.exists(os.path.join(self.store, "data.mdb")):
            self._tool(["export", "--store", self.store, "--out", path, "--form", "recording"])
        else:
            open(path, "w").close()
        return path

    def _tool(self, arguments: List[str]) -> str:
        done = subprocess.run(
            [self.binary, *arguments], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        if done.returncode != 0:
            raise LLMCacheError(f"llmcache {arguments[0]} failed ({done.returncode}):\n{done.stdout}")
        return done.stdout

    # -- the server ----------------------------------------------------------------------------

    def start(self) -> None:
        command = [
            self.binary, "serve", "--host", "127.0.0.1", "--port", "0", "--store", self.store,
            "--no-admin", "--mode", SERVE_MODES[self.mode], "--share-across-credentials",
            "--manifest", self.manifest,
        ]
        if self.upstreams.get("openai"):
            command += ["--upstream", self.upstreams["openai"]]
        if self.upstreams.get("anthropic"):
            command += ["--anthropic-upstream", self.upstreams["anthropic"]]
        # The test session's own LLMCACHE_ settings must not reshape the server under it.
        environment = {k: v for k, v in os.environ.items() if not k.startswith("LLMCACHE_")}
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=environment,
            cwd=self.directory,
        )
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._output.append(line)
            found = BANNER.search(line)
            if found:
                self.port = int(found.group(1))
                break
        if self.port is None:
            self.process.wait()
            raise LLMCacheError(
                f"llmcache serve exited ({self.process.returncode}) before listening:\n" + "".join(self._output)
            )
        # Keep reading its output (a full pipe would stall the server); the tail is kept for errors.
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            self._output.append(line)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def flush_manifest(self) -> List[str]:
        """The manifest lines written since the last call (the server writes them off the request
        path; the flush endpoint answers once every earlier request's line is in the file)."""
        request = urllib.request.Request(self.base + "/__llmcache/manifest/flush", data=b"", method="POST")
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                response.read()
        except urllib.error.HTTPError as error:
            raise LLMCacheError(
                f"{self.binary} answered the manifest flush with {error.code}: it is older than this plugin "
                "(it needs POST /__llmcache/manifest/flush)"
            )
        except (urllib.error.URLError, OSError) as error:
            raise LLMCacheError(f"llmcache serve stopped answering ({error}):\n" + self.output_tail())
        return self._read_manifest()

    def _read_manifest(self) -> List[str]:
        if not os.path.exists(self.manifest):
            return []
        with open(self.manifest, "rb") as handle:
            handle.seek(self._manifest_offset)
            data = handle.read()
        end = data.rfind(b"\n") + 1
        self._manifest_offset += end
        return [line for line in data[:end].decode("utf-8").split("\n") if line]

    def stop(self) -> List[str]:
        """Stops the server gracefully; the manifest lines not read yet."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self._read_manifest()

    def output_tail(self) -> str:
        return "".join(self._output)

    def remove(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)
