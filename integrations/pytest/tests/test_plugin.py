"""pytest-llmcache, tested the way a user runs it: pytest (`pytester`, in a subprocess) on the
sample suite, the official openai and anthropic SDKs, the built llmcache binary, and llmcache's
mock upstream as the provider while recording."""

import json
import os
import shutil
import textwrap

from conftest import PLUGIN, SAMPLE

RECORDINGS = "llmcache-recordings/test_assistant.py"
SECRETS = {"OPENAI_API_KEY": "sk-test-secret-openai-123", "ANTHROPIC_API_KEY": "sk-ant-test-secret-456"}
TESTS = ["test_openai_answers", "test_openai_streams", "test_openai_async", "test_anthropic_answers", "test_anthropic_streams"]


def record(suite, monkeypatch, mock, *arguments, mode="record"):
    """Runs the suite recording against the mock (what OPENAI_BASE_URL / ANTHROPIC_BASE_URL
    named before the session is where misses go), real-looking keys set."""
    with monkeypatch.context() as scope:
        scope.setenv("OPENAI_BASE_URL", mock + "/v1")
        scope.setenv("ANTHROPIC_BASE_URL", mock)
        for name, value in SECRETS.items():
            scope.setenv(name, value)
        return suite.runpytest_subprocess(*PLUGIN, f"--llmcache-mode={mode}", *arguments)


def replay(suite, *arguments):
    """Runs the suite as CI does: default mode, no key, no base URL, no upstream."""
    return suite.runpytest_subprocess(*PLUGIN, *arguments)


def files(suite):
    directory = suite.path / RECORDINGS
    return {path.name: path.read_text() for path in sorted(directory.glob("*.jsonl"))}


def test_each_test_is_recorded_then_replayed_offline_with_no_key(suite, monkeypatch, mock_upstream):
    recorded = record(suite, monkeypatch, mock_upstream)
    recorded.assert_outcomes(passed=5)
    recorded.stdout.fnmatch_lines(["mode record: 0 hits, 0 misses, 5 new, 0 unused, 0 errors*"])
    made = files(suite)
    assert sorted(made) == sorted(f"{name}.jsonl" for name in TESTS)
    for name, text in made.items():
        lines = text.splitlines()
        assert json.loads(lines[0])["format"] == "llmcache-recording"
        entries = [json.loads(line) for line in lines[1:]]
        assert len(entries) == 1, name
        assert entries[0]["namespace"] == "test_assistant.py::" + name[: -len(".jsonl")]
        assert entries[0]["request"]["tenant"] == "", "recorded with no credential scope"
        for secret in SECRETS.values():
            assert secret not in text, "a credential is never written"
    streams = json.loads(made["test_openai_streams.jsonl"].splitlines()[1])
    assert "sse" in streams["response"], "a stream is kept as its readable events"
    assert any(line[-1] == "data: [DONE]" for line in streams["response"]["sse"])

    replayed = replay(suite)
    replayed.assert_outcomes(passed=5)
    replayed.stdout.fnmatch_lines(["mode replay: 5 hits, 0 misses, 0 new, 0 unused, 0 errors*"])
    assert files(suite) == made, "replay writes nothing"


def test_the_sample_project_replays_its_committed_recordings(suite):
    """integrations/pytest/sample as committed: its pytest.ini names its recordings directory."""
    sample = os.path.dirname(SAMPLE)
    shutil.copy(os.path.join(sample, "pytest.ini"), suite.path / "pytest.ini")
    shutil.copytree(os.path.join(sample, "recordings"), suite.path / "recordings")
    result = replay(suite)
    result.assert_outcomes(passed=5)
    result.stdout.fnmatch_lines(["mode replay: 5 hits, 0 misses, 0 new, 0 unused, 0 errors (recordings: recordings)"])


def test_a_changed_prompt_fails_its_test_with_the_field_that_changed(suite, monkeypatch, mock_upstream):
    record(suite, monkeypatch, mock_upstream).assert_outcomes(passed=5)
    source = suite.path / "test_assistant.py"
    source.write_text(source.read_text().replace("Name three colours.", "Name four colours."))
    result = replay(suite)
    result.assert_outcomes(passed=4, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*test_assistant.py:*: llmcache replay miss",
            "No recording answers this request (--llmcache-mode=replay).",
            "request: POST /v1/chat/completions",
            '*"content": "Name four colours."*',
            "nearest recording: llmcache-recordings/test_assistant.py/test_openai_streams.jsonl",
            '*"content": "Name three colours."*',
            "differences:",
            '  $.messages[0].content: recorded "Name three colours.", now "Name four colours."',
            "re-record this test: pytest 'test_assistant.py::test_openai_streams' --llmcache-mode=record",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "mode replay: 4 hits, 1 misses, 0 new, 1 unused, 0 errors*",
            "missed: test_assistant.py::test_openai_streams",
            "unused: test_assistant.py::test_openai_streams: 1 recorded request(s) no longer made",
        ]
    )
    assert "_base_client.py" not in result.stdout.str(), "the SDK's traceback is replaced by the miss"


def test_rerecording_one_test_rewrites_only_its_file(suite, monkeypatch, mock_upstream):
    record(suite, monkeypatch, mock_upstream).assert_outcomes(passed=5)
    before = files(suite)
    source = suite.path / "test_assistant.py"
    source.write_text(source.read_text().replace("Name three colours.", "Name four colours."))
    again = record(suite, monkeypatch, mock_upstream, "-k", "test_openai_streams")
    again.assert_outcomes(passed=1, deselected=4)
    again.stdout.fnmatch_lines(["recorded: llmcache-recordings/test_assistant.py/test_openai_streams.jsonl"])
    after = files(suite)
    changed = [name for name in before if before[name] != after[name]]
    assert changed == ["test_openai_streams.jsonl"]
    assert "Name four colours." in after["test_openai_streams.jsonl"]
    assert "Name three colours." not in after["test_openai_streams.jsonl"], "record mode drops what the test no longer asks"
    assert "unused:" not in again.stdout.str(), "deselected tests are not unused"
    replay(suite).assert_outcomes(passed=5)
    # By node id, as the miss report says: the test file's other tests are not collected, nor unused.
    alone = replay(suite, "test_assistant.py::test_openai_streams")
    alone.assert_outcomes(passed=1)
    assert "unused:" not in alone.stdout.str(), alone.stdout.str()


def test_recordings_no_test_uses_are_reported(suite, monkeypatch, mock_upstream):
    suite.makepyfile(
        test_two=textwrap.dedent(
            """
            import os
            import openai

            def test_two_calls():
                client = openai.OpenAI()
                for question in os.environ.get("QUESTIONS", "one,two").split(","):
                    client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": question}])
            """
        )
    )
    record(suite, monkeypatch, mock_upstream).assert_outcomes(passed=6)
    source = suite.path / "test_assistant.py"
    text = source.read_text()
    start, end = text.index("def test_openai_async"), text.index("def test_anthropic_answers")
    source.write_text(text[:start] + text[end:])
    monkeypatch.setenv("QUESTIONS", "one")
    result = replay(suite)
    result.assert_outcomes(passed=5)
    result.stdout.fnmatch_lines(
        [
            "mode replay: 5 hits, 0 misses, 0 new, 1 unused, 0 errors*",
            "unused: test_two.py::test_two_calls: 1 recorded request(s) no longer made",
            "unused: llmcache-recordings/test_assistant.py/test_openai_async.jsonl: no test of that name is collected",
        ]
    )


def test_new_mode_replays_what_is_recorded_and_records_what_is_not(suite, monkeypatch, mock_upstream):
    record(suite, monkeypatch, mock_upstream, "-k", "not anthropic").assert_outcomes(passed=3, deselected=2)
    kept = files(suite)
    result = record(suite, monkeypatch, mock_upstream, mode="new")
    result.assert_outcomes(passed=5)
    result.stdout.fnmatch_lines(["mode new: 3 hits, 0 misses, 2 new, 0 unused, 0 errors*"])
    now = files(suite)
    assert len(now) == 5
    assert all(now[name] == text for name, text in kept.items()), "recorded files are left as they were"
    replay(suite).assert_outcomes(passed=5)


def test_xdist_workers_each_replay_and_the_summary_adds_them_up(suite, monkeypatch, mock_upstream):
    recorded = record(suite, monkeypatch, mock_upstream, "-n", "2")
    recorded.assert_outcomes(passed=5)
    assert len(files(suite)) == 5, "each worker writes the recordings of the tests it ran"
    result = replay(suite, "-n", "2")
    result.assert_outcomes(passed=5)
    result.stdout.fnmatch_lines(["mode replay: 5 hits, 0 misses, 0 new, 0 unused, 0 errors*"])


def test_a_miss_the_test_catches_still_fails_it(suite):
    suite.makepyfile(
        test_careless=textwrap.dedent(
            """
            import openai

            def test_swallows_errors():
                try:
                    openai.OpenAI().chat.completions.create(
                        model="gpt-4o-mini", messages=[{"role": "user", "content": "never recorded"}])
                except Exception:
                    pass
            """
        )
    )
    result = replay(suite, "test_careless.py")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        ["*ReplayMiss: 1 request(s) of this test have no recording*--llmcache-mode=record*"]
    )


def test_junit_gets_a_property_per_test(suite, monkeypatch, mock_upstream):
    record(suite, monkeypatch, mock_upstream).assert_outcomes(passed=5)
    replay(suite, "--junitxml=report.xml", "--llmcache-junit").assert_outcomes(passed=5)
    report = (suite.path / "report.xml").read_text()
    assert report.count('<property name="llmcache_hits" value="1" />') == 5
    assert report.count('<property name="llmcache_misses" value="0" />') == 5


def test_off_leaves_the_sdks_alone(suite, monkeypatch, mock_upstream):
    result = record(suite, monkeypatch, mock_upstream, mode="off")
    result.assert_outcomes(passed=5)
    assert "= llmcache =" not in result.stdout.str(), "no summary: the plugin did nothing"
    assert not (suite.path / "llmcache-recordings").exists()


def test_a_missing_binary_is_named(suite, monkeypatch):
    monkeypatch.setenv("LLMCACHE_BINARY", "/nonexistent/llmcache")
    result = replay(suite)
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*llmcache-binary /nonexistent/llmcache is not an executable file*"])


def test_a_damaged_recording_is_named(suite, monkeypatch, mock_upstream):
    record(suite, monkeypatch, mock_upstream).assert_outcomes(passed=5)
    damaged = suite.path / RECORDINGS / "test_openai_answers.jsonl"
    damaged.write_text(damaged.read_text() + "{not json\n")
    result = replay(suite)
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*llmcache import failed*", "*test_openai_answers.jsonl line 3: not a recording line*"])
    assert os.path.exists(damaged), "nothing is lost"
