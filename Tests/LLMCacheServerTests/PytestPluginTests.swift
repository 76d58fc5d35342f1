import LLMCacheTestSupport
import Testing

/// pytest-llmcache (`integrations/pytest`), tested by its own pytest suite — pytest's `pytester`
/// running the sample project with the official openai and anthropic SDKs against the llmcache
/// binary built beside this test and its mock upstream — so `swift test` runs it too.
/// `tools/install-deps.sh` installs pytest, pytest-xdist and the SDKs.
@Suite struct PytestPluginTests {
    @Test(.timeLimit(.minutes(10))) func thePluginsOwnSuitePasses() async throws {
        let (output, status) = try await runPython(
            [
                "-m", "pytest", "integrations/pytest/tests", "-q", "-p", "no:cacheprovider", "-p", "no:llmcache",
                "-p", "no:randomly",
            ],
            environment: [
                "LLMCACHE_BINARY": try llmcacheExecutable(), "PYTHONPATH": "integrations/pytest/src",
                "PYTHONDONTWRITEBYTECODE": "1",
            ])
        #expect(
            status == 0,
            "the plugin's suite failed (pytest, pytest-xdist, openai, anthropic: tools/install-deps.sh):\n\(output)")
        #expect(output.contains(" passed"), "\(output)")
        #expect(!output.contains(" skipped"), "nothing may be skipped: \(output)")
    }
}
