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
            let (output, status) = try await runPython([
                "tools/sdk/openai_roundtrip.py", "http://127.0.0.1:\(harness.proxyPort)/v1",
            ])
            #expect(status == 0, "python3 failed (run tools/install-deps.sh for the SDKs): \(output)")
            #expect(output.contains(#""plain": [{"status": "MISS""#), "\(output)")
            #expect(output.contains(#"{"status": "HIT", "content": "Echo: What does a cache do?"#), "\(output)")
            #expect(
                output.contains(#""stream": [{"status": "MISS", "content": "Echo: What does a cache do?"#), "\(output)")
            let streamPart = output.components(separatedBy: #""stream": "#).last ?? ""
            #expect(streamPart.contains(#"{"status": "HIT", "content": "Echo: What does a cache do?"#), "\(output)")
            #expect(harness.stats.requestCount == 2, "one upstream call for each kind")
        }
    }

    /// Per-item embeddings as the SDK parses them (its default asks for base64 and decodes it):
    /// a 10-item batch with 7 cached gives the vectors and usage of an all-miss answer.
    @Test(arguments: ["default", "float"])
    func theOpenAIPythonSDKParsesAPartialEmbeddingBatchAsAWholeOne(encoding: String) async throws {
        try await ProxyHarness.run(store: nil) { harness in
            let (output, status) = try await runPython([
                "tools/sdk/openai_embeddings.py", "http://127.0.0.1:\(harness.proxyPort)/v1", encoding,
            ])
            #expect(status == 0, "python3 failed (run tools/install-deps.sh for the SDKs): \(output)")
            #expect(output.contains(#""statuses": ["MISS", "PARTIAL", "BYPASS"]"#), "\(output)")
            #expect(output.contains(#""items": "cached=7, fetched=3""#), "\(output)")
            #expect(
                output.contains(#""same_vectors": true, "same_order": true, "same_usage": true, "dimensions": 8"#),
                "\(output)")
            #expect(harness.stats.embeddingInputCounts == [7, 3, 10])
        }
    }

    /// The Anthropic SDK: its model list reaches the Anthropic upstream (never the OpenAI one),
    /// messages miss then hit (with the key as `x-api-key` or as a bearer token), and a batch
    /// created twice is two batches.
    @Test func theAnthropicPythonSDKReachesAnthropicAndNeverCachesABatch() async throws {
        try await ProxyHarness.run(store: nil, separateAnthropic: true) { harness in
            let anthropicMock = try #require(harness.anthropicStats)
            let (output, status) = try await runPython([
                "tools/sdk/anthropic_roundtrip.py", "http://127.0.0.1:\(harness.proxyPort)",
            ])
            #expect(status == 0, "python3 failed (run tools/install-deps.sh for the SDKs): \(output)")
            #expect(output.contains(#""models": ["mock-claude"]"#), "\(output)")
            #expect(output.contains(#""messages": [{"status": "MISS""#), "\(output)")
            #expect(output.contains(#"}, {"status": "HIT", "text": "#), "\(output)")
            #expect(output.contains(#""bearer": "HIT""#), "\(output)")
            #expect(output.contains(#""batches": [{"status": "BYPASS", "id": "obj_"#), "\(output)")
            #expect(harness.stats.requestCount == 0, "nothing reached the OpenAI-compatible upstream")
            #expect(anthropicMock.requestCount == 4, "models, one message, two batches")
        }
    }
}
