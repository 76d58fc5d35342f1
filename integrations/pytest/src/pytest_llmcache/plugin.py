"""The pytest plugin: one `llmcache serve` per session (per xdist worker), each test's OpenAI and
Anthropic calls under a namespace of its own, recordings one file per test.

Modes (`--llmcache-mode`, ini `llmcache_mode`):

- ``replay`` (default): answers come only from the recordings; no network, no API key needed
  (a dummy key is set when none is). A request no recording answers fails its test with the
  request, the nearest recording and the fields that differ.
- ``record``: every test that runs is recorded afresh (its file is replaced by what it made).
- ``new``: recorded answers are replayed, requests without one are recorded and added.
- ``off``: the plugin does nothing.

The SDKs find the proxy through ``OPENAI_BASE_URL`` and ``ANTHROPIC_BASE_URL``, set for each test
(clients made inside a test or a fixture see them; a client made at import time uses the
session's address and records under no test). When recording, misses go to whatever those
variables named before the session (a self-hosted or stand-in server), else the real providers.
"""

from __future__ import annotations

import json
import os
from typing import Any, Dict, List, Optional

import pytest

from . import recordings as rec
from .server import LLMCacheError, Server, find_binary, upstream_base

MODES = ("replay", "record", "new", "off")
DUMMY_KEY = "llmcache-replay-no-key"
NAMESPACE_PREFIX = "/__llmcache/ns/"
ENVIRONMENT = ("OPENAI_BASE_URL", "ANTHROPIC_BASE_URL", "OPENAI_API_KEY", "ANTHROPIC_API_KEY")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("llmcache", "record and replay LLM API calls through llmcache")
    group.addoption(
        "--llmcache-mode", choices=MODES, default=None,
        help="replay (default: recordings only, no network), record (re-record the tests run), "
        "new (replay, record what is missing) or off.",
    )
    group.addoption("--llmcache-recordings", default=None, help="Recordings directory (default llmcache-recordings).")
    group.addoption("--llmcache-binary", default=None, help="The llmcache executable (default: $LLMCACHE_BINARY or PATH).")
    group.addoption(
        "--llmcache-junit", action="store_true", default=None,
        help="Add llmcache_hits / llmcache_misses / llmcache_new properties to each test's JUnit record.",
    )
    parser.addini("llmcache_mode", "Default --llmcache-mode.", default="replay")
    parser.addini("llmcache_recordings", "Recordings directory, relative to the rootdir.", default="llmcache-recordings")
    parser.addini("llmcache_binary", "The llmcache executable.", default="")
    parser.addini("llmcache_junit", "Default --llmcache-junit.", type="bool", default=False)


def pytest_configure(config: pytest.Config) -> None:
    mode = config.getoption("llmcache_mode") or config.getini("llmcache_mode")
    if mode not in MODES:
        raise pytest.UsageError(f"llmcache_mode must be one of {', '.join(MODES)}, got {mode!r}")
    if mode == "off" or config.getoption("help", False):
        return
    if not hasattr(config, "workerinput") and getattr(config.option, "dist", "no") != "no":
        config.pluginmanager.register(Controller(config, mode), "llmcache-controller")
        return
    directory = config.getoption("llmcache_recordings") or config.getini("llmcache_recordings")
    directory = os.path.join(str(config.rootpath), directory)
    try:
        binary = find_binary(config.getoption("llmcache_binary") or config.getini("llmcache_binary") or None)
    except LLMCacheError as error:
        raise pytest.UsageError(str(error))
    junit = bool(config.getoption("llmcache_junit") or config.getini("llmcache_junit"))
    config.pluginmanager.register(Session(config, mode, directory, binary, junit), "llmcache-session")


class Tally:
    """What the requests of one test (or of the whole run) did."""

    FIELDS = ("hits", "misses", "new", "errors")

    def __init__(self) -> None:
        self.hits = self.misses = self.new = self.errors = 0
        self.keys: List[str] = []
        self.missed: List[str] = []

    def add(self, line: Dict[str, Any]) -> None:
        self.keys.append(line.get("key", ""))
        status, code = line.get("status"), int(line.get("http_status", 0))
        if status in ("HIT", "COALESCED") and code < 400:
            self.hits += 1
        elif code == 504 and line.get("tier") == "none":
            self.misses += 1
            self.missed.append(line.get("key", ""))
        elif code < 400:
            self.new += 1
        else:
            self.errors += 1

    def counts(self) -> Dict[str, int]:
        return {name: getattr(self, name) for name in self.FIELDS}


class Session:
    """The plugin in a process that runs tests."""

    def __init__(self, config: pytest.Config, mode: str, directory: str, binary: str, junit: bool):
        self.config = config
        self.mode = mode
        self.directory = directory
        self.binary = binary
        self.junit = junit
        self.server: Optional[Server] = None
        self.saved: Dict[str, Optional[str]] = {name: os.environ.get(name) for name in ENVIRONMENT}
        self.before: Dict[str, rec.Recording] = {}
        self.tests: Dict[str, Tally] = {}  # node id -> its requests
        self.outside = Tally()  # requests under no test's namespace
        self.by_namespace: Dict[str, str] = {}  # namespace -> node id
        self.known: set = set()  # node ids collected (deselected ones too)
        self.summary: Dict[str, Any] = {}

    # -- session -------------------------------------------------------------------------------

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        if self.config.option.collectonly:
            return
        self.before = rec.read_all(rec.all_files(self.directory))
        upstreams = {
            "openai": upstream_base(self.saved["OPENAI_BASE_URL"], "/v1"),
            "anthropic": upstream_base(self.saved["ANTHROPIC_BASE_URL"], ""),
        }
        server = Server(self.binary, self.mode, upstreams)
        try:
            if self.mode != "record":
                server.load(sorted(self.before))
            server.start()
        except LLMCacheError as error:
            server.stop()
            server.remove()
            raise pytest.UsageError(f"pytest-llmcache: {error}")
        self.server = server
        self._point_sdks("")
        if self.mode == "replay":
            os.environ.setdefault("OPENAI_API_KEY", DUMMY_KEY)
            os.environ.setdefault("ANTHROPIC_API_KEY", DUMMY_KEY)

    def _point_sdks(self, namespace: str) -> None:
        assert self.server is not None
        base = self.server.base
        if namespace:
            from urllib.parse import quote

            base += NAMESPACE_PREFIX + quote(namespace, safe="")
        os.environ["OPENAI_BASE_URL"] = base + "/v1"
        os.environ["ANTHROPIC_BASE_URL"] = base

    def pytest_collection_modifyitems(self, items: List[pytest.Item]) -> None:
        self.known.update(item.nodeid for item in items)

    def pytest_deselected(self, items: List[pytest.Item]) -> None:
        self.known.update(item.nodeid for item in items)

    # -- each test -----------------------------------------------------------------------------

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        if self.server is None:
            return
        namespace = rec.namespace(item.nodeid)
        self.by_namespace[namespace] = item.nodeid
        self.tests.setdefault(item.nodeid, Tally())
        self._point_sdks(namespace)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):
        outcome = yield
        report = outcome.get_result()
        if self.server is None or call.when != "call":
            return
        item.stash[CALL_FAILED] = report.failed
        if report.failed and call.excinfo is not None:
            miss = cache_miss(call.excinfo.value)
            if miss is not None:
                # The SDK's traceback says nothing a reader needs; the miss, explained, does.
                where = "{}:{}".format(item.location[0], (item.location[1] or 0) + 1)
                report.longrepr = f"{where}: llmcache replay miss\n\n" + self._describe_miss(item, *miss)

    @pytest.hookimpl(trylast=True)
    def pytest_runtest_teardown(self, item: pytest.Item) -> None:
        if self.server is None:
            return
        self._tally(self.server.flush_manifest())
        self._point_sdks("")
        tally = self.tests.get(item.nodeid, Tally())
        if self.junit:
            item.user_properties += [(f"llmcache_{name}", value) for name, value in tally.counts().items()]
        if tally.misses and not item.stash.get(CALL_FAILED, True):
            # The test caught the error itself; a replay miss still fails it.
            raise ReplayMiss(
                f"{tally.misses} request(s) of this test have no recording (keys {', '.join(tally.missed)}); "
                f"re-record it: pytest '{item.nodeid}' --llmcache-mode=record"
            )

    def _tally(self, lines: List[str]) -> None:
        for text in lines:
            try:
                line = json.loads(text)
            except ValueError:
                continue
            nodeid = self.by_namespace.get(line.get("namespace", ""))
            (self.tests.setdefault(nodeid, Tally()) if nodeid else self.outside).add(line)

    def _describe_miss(self, item: pytest.Item, request: Any, error: Dict[str, Any]) -> str:
        explanation = error.get("explanation") or {}
        lines = [f"No recording answers this request (--llmcache-mode={self.mode})."]
        if request is not None:
            path = request.url.path
            if path.startswith(NAMESPACE_PREFIX):
                path = "/" + path[len(NAMESPACE_PREFIX):].partition("/")[2]
            lines.append(f"request: {request.method} {path}")
            lines.append("  " + _compact(request.content))
        nearest = explanation.get("nearest")
        path = rec.path_for(self.directory, item.nodeid)
        if nearest:
            recorded = self.before.get(path).entry(nearest.get("key", "")) if path in self.before else None
            lines.append(f"nearest recording: {os.path.relpath(path, str(self.config.rootpath))}")
            if recorded:
                lines.append("  " + json.dumps(recorded.get("request", {}).get("body"), ensure_ascii=False))
            lines.append("differences:")
            for difference in nearest.get("differences", []):
                stored = json.dumps(difference.get("stored"), ensure_ascii=False) if "stored" in difference else "(absent)"
                now = json.dumps(difference.get("request"), ensure_ascii=False) if "request" in difference else "(absent)"
                lines.append(f"  {difference.get('path')}: recorded {stored}, now {now}")
        else:
            lines.append(explanation.get("summary") or error.get("message", ""))
            if path not in self.before:
                lines.append(f"(this test has no recording yet: {os.path.relpath(path, str(self.config.rootpath))})")
        lines.append(f"re-record this test: pytest '{item.nodeid}' --llmcache-mode=record")
        return "\n".join(lines)

    # -- the end ------------------------------------------------------------------------------

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.server is None:
            return
        for name, value in self.saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        try:
            self._tally(self.server.stop())
            self.summary = self._finish()
        finally:
            self.server.remove()
            self.server = None
        if hasattr(self.config, "workeroutput"):
            self.config.workeroutput["llmcache"] = self.summary

    def _finish(self) -> Dict[str, Any]:
        assert self.server is not None
        written, removed, unused = [], [], {}
        made: Dict[str, rec.Recording] = {}
        if self.mode in ("record", "new"):
            made = rec.Recording.read(self.server.export()).split()
        for nodeid, tally in self.tests.items():
            path = rec.path_for(self.directory, nodeid)
            namespace = rec.namespace(nodeid)
            old = self.before.get(path)
            if self.mode in ("record", "new"):
                new = made.get(namespace)
                if new is not None and new.entries:
                    if old is None or old.entries != new.entries or old.header != new.header:
                        new.write(path)
                        written.append(path)
                elif self.mode == "record" and old is not None:
                    os.remove(path)
                    removed.append(path)
            if old is not None and self.mode != "record":
                requested = set(tally.keys)
                left = [key for ns, key, _ in old.entries if ns == namespace and key not in requested]
                if left:
                    unused[nodeid] = left
        return {
            "mode": self.mode,
            "directory": self.directory,
            "counts": {name: sum(getattr(t, name) for t in self.tests.values()) for name in Tally.FIELDS},
            "outside": self.outside.counts(),
            "missed": sorted(nodeid for nodeid, tally in self.tests.items() if tally.misses),
            "unused": unused,
            "orphans": self._orphans(),
            "written": sorted(written),
            "removed": sorted(removed),
        }

    def _orphans(self) -> List[str]:
        """Recording files of tests that no longer exist: in a test file this run collected whole
        (or a test file that is gone), under a name no collected test has. A test file named with
        `::` on the command line was collected only in part: its other recordings are not judged."""
        root = str(self.config.rootpath)
        expected = {rec.path_for(self.directory, nodeid) for nodeid in self.known}
        modules = {os.path.dirname(path) for path in expected}
        partial = {
            os.path.dirname(rec.path_for(self.directory, os.path.relpath(os.path.abspath(arg.split("::")[0]), root) + "::x"))
            for arg in self.config.args
            if "::" in arg
        }
        orphans = []
        for path in self.before:
            directory = os.path.dirname(path)
            if path in expected or directory in partial:
                continue
            module = os.path.relpath(directory, self.directory)
            if directory in modules or not os.path.exists(os.path.join(root, module)):
                orphans.append(path)
        return sorted(orphans)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not hasattr(self.config, "workerinput") and self.summary:
            report(terminalreporter, [self.summary], str(self.config.rootpath))


class Controller:
    """The plugin in an xdist controller: each worker runs its own llmcache; their summaries are
    added up here."""

    def __init__(self, config: pytest.Config, mode: str):
        self.config = config
        self.summaries: List[Dict[str, Any]] = []

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        summary = getattr(node, "workeroutput", {}).get("llmcache")
        if summary:
            self.summaries.append(summary)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.summaries:
            report(terminalreporter, self.summaries, str(self.config.rootpath))


def report(terminal: Any, summaries: List[Dict[str, Any]], root: str) -> None:
    """The end-of-run summary: hits, misses, new, unused; which tests missed; which files changed."""
    first = summaries[0]
    counts = {name: sum(s["counts"][name] for s in summaries) for name in Tally.FIELDS}
    outside = {name: sum(s["outside"][name] for s in summaries) for name in Tally.FIELDS}
    unused: Dict[str, List[str]] = {}
    for s in summaries:
        unused.update(s["unused"])
    orphans = sorted({path for s in summaries for path in s["orphans"]})
    missed = sorted({nodeid for s in summaries for nodeid in s["missed"]})
    written = sorted({path for s in summaries for path in s["written"]})
    removed = sorted({path for s in summaries for path in s["removed"]})
    unused_entries = sum(len(keys) for keys in unused.values())
    terminal.write_sep("=", "llmcache")
    terminal.write_line(
        f"mode {first['mode']}: {counts['hits']} hits, {counts['misses']} misses, {counts['new']} new, "
        f"{unused_entries} unused, {counts['errors']} errors "
        f"(recordings: {os.path.relpath(first['directory'], root)})"
    )
    if sum(outside.values()):
        terminal.write_line(
            f"{sum(outside.values())} requests were made outside any test (a client created at import time?)"
        )
    for nodeid in missed:
        terminal.write_line(f"missed: {nodeid}")
    for nodeid, keys in sorted(unused.items()):
        terminal.write_line(f"unused: {nodeid}: {len(keys)} recorded request(s) no longer made")
    for path in orphans:
        terminal.write_line(f"unused: {os.path.relpath(path, root)}: no test of that name is collected")
    for path in written:
        terminal.write_line(f"recorded: {os.path.relpath(path, root)}")
    for path in removed:
        terminal.write_line(f"removed: {os.path.relpath(path, root)} (the test made no requests)")


class ReplayMiss(Exception):
    """A request of the test had no recording (in replay mode)."""


CALL_FAILED = pytest.StashKey[bool]()


def cache_miss(error: BaseException) -> Optional[tuple]:
    """(request, error object) when `error` (or what caused it) is llmcache's replay miss as an
    SDK reports it (an APIStatusError with a 504 `cache_miss` body)."""
    seen = set()
    current: Optional[BaseException] = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        response = getattr(current, "response", None)
        if response is not None and getattr(response, "status_code", None) == 504:
            try:
                body = response.json()
            except Exception:
                body = None
            if isinstance(body, dict) and isinstance(body.get("error"), dict) and body["error"].get("type") == "cache_miss":
                return getattr(current, "request", None), body["error"]
        current = current.__cause__ or current.__context__
    return None


def _compact(content: Optional[bytes]) -> str:
    if not content:
        return "(no body)"
    try:
        return json.dumps(json.loads(content), ensure_ascii=False)
    except ValueError:
        return content.decode("utf-8", "replace")
