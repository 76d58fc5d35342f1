import LLMCacheTestSupport
import NIOPosix
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The client our users run: the official OpenAI Python SDK, against a real proxy and mock
/// upstream (`tools/sdk/openai_roundtrip.py`; `tools/install-deps.sh` installs the SDK).
@Suite struct ProxySDKTests {
    @Test func theOpenAIPythonSDKMissesThenHits() async throws {
        try await ProxyHarness.run(store: nil) { harness in
            let output = try await runPython([
                "tools/sdk/openai_roundtrip.py", "http://127.0.0.1:\(harness.proxyPort)/v1",
            ])
            #expect(output.contains(#""plain": [{"status": "MISS""#), "\(output)")
            #expect(output.contains(#"{"status": "HIT", "content": "Echo: What does a cache do?"#), "\(output)")
            #expect(
                output.contains(#""stream": [{"status": "MISS", "content": "Echo: What does a cache do?"#), "\(output)")
            let streamPart = output.components(separatedBy: #""stream": "#).last ?? ""
            #expect(streamPart.contains(#"{"status": "HIT", "content": "Echo: What does a cache do?"#), "\(output)")
            #expect(harness.stats.requestCount == 2, "one upstream call for each kind")
        }
    }

    /// The Anthropic SDK: its model list reaches the Anthropic upstream (never the OpenAI one),
    /// messages miss then hit (with the key as `x-api-key` or as a bearer token), and a batch
    /// created twice is two batches.
    @Test func theAnthropicPythonSDKReachesAnthropicAndNeverCachesABatch() async throws {
        try await ProxyHarness.run(store: nil, separateAnthropic: true) { harness in
            let anthropicMock = try #require(harness.anthropicStats)
            let output = try await runPython([
                "tools/sdk/anthropic_roundtrip.py", "http://127.0.0.1:\(harness.proxyPort)",
            ])
            #expect(output.contains(#""models": ["mock-claude"]"#), "\(output)")
            #expect(output.contains(#""messages": [{"status": "MISS""#), "\(output)")
            #expect(output.contains(#"}, {"status": "HIT", "text": "#), "\(output)")
            #expect(output.contains(#""bearer": "HIT""#), "\(output)")
            #expect(output.contains(#""batches": [{"status": "BYPASS", "id": "obj_"#), "\(output)")
            #expect(harness.stats.requestCount == 0, "nothing reached the OpenAI-compatible upstream")
            #expect(anthropicMock.requestCount == 4, "models, one message, two batches")
        }
    }

    /// Runs python3 with `arguments` from the package root; returns its standard output. The
    /// blocking reads run on a thread of their own: on the cooperative pool or NIO's thread pool
    /// they could starve the proxy the script is talking to (seen: the suite hung).
    func runPython(_ arguments: [String]) async throws -> String {
        let command = (["python3"] + arguments).map { "'\($0)'" }.joined(separator: " ") + " 2>&1"
        let (output, status) = try await onOwnThread { () -> (String, Int32) in
            guard let pipe = popen(command, "r") else { return ("cannot start python3", -1) }
            var output = ""
            var buffer = [CChar](repeating: 0, count: 4096)
            while fgets(&buffer, 4096, pipe) != nil {
                output += buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            }
            return (output, pclose(pipe))
        }
        #expect(
            status == 0,
            "python3 failed (are the openai and anthropic packages installed? run tools/install-deps.sh): \(output)")
        return output
    }
}

extension String {
    fileprivate func components(separatedBy separator: String) -> [String] {
        split(separator: separator, omittingEmptySubsequences: false).map(String.init)
    }
}
