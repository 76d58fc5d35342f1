import LLMCacheCore
import LLMCacheTestSupport
import NIOCore
import Testing

@testable import LLMCacheServer

/// Answers that are exactly what was asked: decoded once whatever the upstream compressed,
/// replayed without another call's per-call headers, stored only when whole.
@Suite struct AnswerFidelityTests {
    @Test(arguments: [false, true])
    func aGzippedAnswerIsStoredDecodedAndServedAsIdentity(stream: Bool) async throws {
        try await ProxyHarness.run(store: nil) { harness in
            let body = chat("compress this answer please", stream: stream)
            let forced = [("x-mock-gzip", "force")]
            let first = try await harness.post("/v1/chat/completions", body, headers: forced)
            #expect(first.status == 200)
            #expect(first.header("content-encoding") == nil)
            #expect(first.header("x-llmcache-status") == "MISS")
            if stream {
                #expect(first.text.hasSuffix("data: [DONE]\n\n"))
            } else {
                #expect((try? JSONParser.parse(first.body)) != nil, "decoded JSON: \(first.text)")
            }
            let second = try await harness.post("/v1/chat/completions", body, headers: forced)
            #expect(second.header("x-llmcache-status") == "HIT", "a compressed stream is stored too")
            #expect(second.header("content-encoding") == nil)
            #expect(second.body == first.body)
            #expect(harness.stats.requestCount == 1)
            // The same answer fetched uncompressed is byte for byte what was decoded.
            let plain = try await harness.post(
                "/v1/chat/completions", body, headers: [("cache-control", "no-cache")])
            #expect(plain.body == first.body)
        }
    }

    @Test func aHitDoesNotReplayTheOriginalCallsIdsLimitsOrDate() async throws {
        try await ProxyHarness.run(store: nil) { harness in
            let body = chat("whose headers are these")
            let miss = try await harness.post("/v1/chat/completions", body)
            let id = try #require(miss.header("x-request-id"))
            #expect(miss.header("x-ratelimit-remaining-requests") != nil)
            #expect(miss.header("openai-processing-ms") != nil)
            let hit = try await harness.post("/v1/chat/completions", body)
            #expect(hit.header("x-llmcache-status") == "HIT")
            #expect(hit.header("x-request-id") == nil)
            #expect(hit.header("x-llmcache-original-x-request-id") == id)
            #expect(hit.header("openai-processing-ms") == nil)
            #expect(hit.header("x-llmcache-original-openai-processing-ms") != nil)
            #expect(hit.headers["x-ratelimit-remaining-requests"].isEmpty)
            #expect(hit.headers["set-cookie"].isEmpty)
            #expect(hit.headers["date"].count == 1, "the proxy's own date, once")
            #expect(hit.header("age") != nil)

            let claude = #"{"model":"claude","max_tokens":8,"messages":[{"role":"user","content":"hi"}]}"#
            let anthropic = [("x-api-key", "sk-ant-x"), ("anthropic-version", "2023-06-01")]
            let first = try await harness.post("/v1/messages", claude, headers: anthropic)
            let again = try await harness.post("/v1/messages", claude, headers: anthropic)
            #expect(again.header("x-llmcache-status") == "HIT")
            #expect(again.header("request-id") == nil)
            #expect(again.header("x-llmcache-original-request-id") == first.header("request-id"))
            #expect(again.headers["anthropic-ratelimit-requests-remaining"].isEmpty)
        }
    }

    @Test func the200WhoseBodyIsNotJSONIsRelayedButNeverStored() async throws {
        try await ProxyHarness.run(store: nil) { harness in
            let body = chat("break your answer")
            let broken = [("x-mock-invalid-json", "true")]
            let first = try await harness.post("/v1/chat/completions", body, headers: broken)
            #expect(first.status == 200)
            let second = try await harness.post("/v1/chat/completions", body, headers: broken)
            #expect(second.header("x-llmcache-status") == "MISS")
            #expect(harness.stats.requestCount == 2)
            #expect(harness.server.metrics.snapshot.storeRefusals["invalid_json"] == 2)
            #expect(harness.server.cache.memory.stats.entries == 0)
        }
    }

    @Test(arguments: [
        ("data: {\"x\":1}\n\ndata: [DONE]\n\n", true),
        ("data: {\"x\":1}\r\n\r\ndata: [DONE]\r\n\r\n", true),
        ("event: message_start\ndata: {}\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n", true),
        ("event: response.created\ndata: {}\n\nevent: response.completed\ndata: {}\n\n", true),
        ("data: {\"text\":\"say data: [DONE] now\"}\n\ndata: {\"x\":2}\n\n", false),
        ("event: message_start\ndata: {}\n\nevent: error\ndata: {\"type\":\"overloaded_error\"}\n\n", false),
        ("event: response.created\ndata: {}\n\nevent: response.failed\ndata: {}\n\n", false),
        ("", false),
    ])
    func aStreamIsWholeOnlyWhenItsLastEventIsTerminal(body: String, whole: Bool) {
        #expect(AnswerValidation.endsWithTerminalEvent(ByteBuffer(string: body)) == whole)
    }
}
