"""Fixtures for testing the plugin with pytest's own `pytester`: a real `llmcache mock-upstream`
(the stand-in provider), the llmcache binary ($LLMCACHE_BINARY), and the official SDKs."""

import importlib.metadata
import os
import re
import subprocess

import pytest

pytest_plugins = ["pytester"]

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLE = os.path.join(HERE, "..", "sample", "test_assistant.py")
SOURCE = os.path.normpath(os.path.join(HERE, "..", "src"))


def _installed() -> bool:
    try:
        importlib.metadata.distribution("pytest-llmcache")
        return True
    except importlib.metadata.PackageNotFoundError:
        return False


# Loaded by name when it is only on PYTHONPATH; an installed plugin loads itself.
PLUGIN = [] if _installed() else ["-p", "pytest_llmcache.plugin"]


@pytest.fixture(scope="session")
def binary() -> str:
    path = os.environ.get("LLMCACHE_BINARY")
    if not path:
        pytest.fail("set LLMCACHE_BINARY to the llmcache executable (swift build; .build/debug/llmcache)")
    return path


@pytest.fixture(scope="session")
def mock_upstream(binary):
    """A running mock upstream on a free port; its base URL."""
    process = subprocess.Popen(
        [binary, "mock-upstream", "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    line = process.stdout.readline()
    found = re.search(r"listening on (http://\S+)", line)
    if not found:
        process.kill()
        pytest.fail(f"mock-upstream did not start: {line}")
    yield found.group(1)
    process.terminate()
    process.wait(timeout=30)


@pytest.fixture
def suite(pytester, binary, monkeypatch):
    """A pytester directory holding the sample suite, with llmcache's binary known and no key or
    base URL in the environment (as in CI)."""
    for name in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LLMCACHE_BINARY", binary)
    # The runs in pytester's directory import the plugin from this source tree (first on the path).
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [SOURCE, os.environ.get("PYTHONPATH")])))
    with open(SAMPLE, encoding="utf-8") as handle:
        pytester.makepyfile(test_assistant=handle.read())
    return pytester
