import AsyncHTTPClient
import LLMCacheCore
import LLMCacheTestSupport
import NIOCore
import Testing

/// Routes that cannot leak a credential or duplicate an action: each request goes to the
/// provider its credential belongs to, and only the providers' pure endpoints are cached.
@Suite struct RoutingTests {
    static let openAIHeaders = [("authorization", "Bearer sk-proj-test0000")]
    static let anthropicHeaders = [("x-api-key", "sk-ant-api03-test0000"), ("anthropic-version", "2023-06-01")]
    static let body = #"{"model":"mock-1","max_tokens":8,"input":"hi","messages":[{"role":"user","content":"hi"}]}"#

    /// The endpoints a test expects to be cached — written here, apart from the code's list.
    static let cached: Set<String> = [
        "openai POST /v1/chat/completions", "openai POST /v1/completions", "openai POST /v1/embeddings",
        "openai POST /v1/responses", "openai POST /v1/moderations", "anthropic POST /v1/messages",
        "anthropic POST /v1/messages/count_tokens",
    ]

    struct Endpoint: CustomStringConvertible {
        var sdk: String
        var method: String
        var path: String
        var description: String { "\(sdk) \(method) \(path)" }
    }

    /// Every endpoint the official Python SDKs call (tools/sdk-endpoints.py wrote the list).
    static let endpoints: [Endpoint] = {
        var path = #filePath
        path = String(path[..<path.lastIndex(of: "/")!])
        let text = readTextFile(path + "/Fixtures/sdk-endpoints.tsv") ?? ""
        return text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: "\t").map(String.init)
            return fields.count == 3 ? Endpoint(sdk: fields[0], method: fields[1], path: fields[2]) : nil
        }
    }()

    static func request(
        _ harness: ProxyHarness, _ method: String, _ path: String, headers: [(String, String)], body: String? = nil
    ) async throws -> ProxyHarness.Reply {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(harness.proxyPort)\(path)")
        request.method = .init(rawValue: method)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "content-type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        return try await harness.send(request)
    }

    @Test func everySDKEndpointGoesToItsProviderAndOnlyPureOnesAreCached() async throws {
        #expect(Self.endpoints.count > 300, "the SDK endpoint list is there")
        #expect(Self.endpoints.filter { Self.cached.contains($0.description) }.count == Self.cached.count)
        try await ProxyHarness.run(store: nil, separateAnthropic: true) { harness in
            let anthropicMock = try #require(harness.anthropicStats)
            for endpoint in Self.endpoints {
                let headers = endpoint.sdk == "anthropic" ? Self.anthropicHeaders : Self.openAIHeaders
                let body = ["POST", "PATCH", "PUT"].contains(endpoint.method) ? Self.body : nil
                let before = harness.stats.requestCount + anthropicMock.requestCount
                let first = try await Self.request(
                    harness, endpoint.method, endpoint.path, headers: headers, body: body)
                let second = try await Self.request(
                    harness, endpoint.method, endpoint.path, headers: headers, body: body)
                #expect(first.status == 200, "\(endpoint): \(first.text)")
                if Self.cached.contains(endpoint.description) {
                    #expect(first.header("x-llmcache-status") == "MISS", "\(endpoint)")
                    #expect(second.header("x-llmcache-status") == "HIT", "\(endpoint)")
                } else {
                    #expect(first.header("x-llmcache-status") == "BYPASS", "\(endpoint)")
                    #expect(second.header("x-llmcache-status") == "BYPASS", "\(endpoint)")
                    #expect(
                        harness.stats.requestCount + anthropicMock.requestCount == before + 2,
                        "\(endpoint): each call reaches the upstream")
                }
            }
            // Every request reached its own provider's upstream, and no other.
            let line = { (endpoint: Endpoint) in "\(endpoint.method) \(endpoint.path)" }
            let anthropicLines = Set(anthropicMock.requestsSeen)
            let openAILines = Set(harness.stats.requestsSeen)
            for endpoint in Self.endpoints {
                let own = endpoint.sdk == "anthropic" ? anthropicLines : openAILines
                #expect(own.contains(line(endpoint)), "\(endpoint) reached its provider")
            }
            #expect(!harness.stats.lastCredentialHeaders.contains { $0.contains("sk-ant-") })
            #expect(
                openAILines.allSatisfy { line in
                    Self.endpoints.contains { $0.sdk == "openai" && "\($0.method) \($0.path)" == line }
                })
        }
    }

    @Test func anAnthropicCredentialNeverReachesTheOpenAIUpstream() async throws {
        try await ProxyHarness.run(store: nil, separateAnthropic: true) { harness in
            let anthropicMock = try #require(harness.anthropicStats)
            let models = try await Self.request(harness, "GET", "/v1/models", headers: Self.anthropicHeaders)
            #expect(models.status == 200)
            #expect(models.text.contains(#""has_more":false"#), "Anthropic's model list: \(models.text)")
            // The SDK's bearer form, without anthropic-version, is still an Anthropic credential.
            let bearer = try await Self.request(
                harness, "GET", "/v1/models", headers: [("authorization", "Bearer sk-ant-api03-test0000")])
            #expect(bearer.status == 200)
            #expect(anthropicMock.requestCount == 2)
            #expect(harness.stats.requestCount == 0, "nothing reached the OpenAI upstream")
            let openAI = try await Self.request(harness, "GET", "/v1/models", headers: Self.openAIHeaders)
            #expect(openAI.text.contains(#""object":"list""#))
            #expect(harness.stats.requestCount == 1 && anthropicMock.requestCount == 2)
        }
    }

    @Test func aCredentialSentToAnotherProvidersRouteIsRefusedWithoutAnyCall() async throws {
        try await ProxyHarness.run(store: nil, separateAnthropic: true) { harness in
            let anthropicMock = try #require(harness.anthropicStats)
            let toOpenAI = try await Self.request(
                harness, "POST", "/v1/chat/completions", headers: Self.anthropicHeaders, body: Self.body)
            #expect(toOpenAI.status == 400)
            #expect(toOpenAI.text.contains("credential_provider_mismatch"))
            let toAnthropic = try await Self.request(
                harness, "POST", "/v1/messages", headers: [("authorization", "Bearer sk-proj-abc")], body: Self.body)
            #expect(toAnthropic.status == 400)
            #expect(toAnthropic.text.contains("credential_provider_mismatch"))
            #expect(harness.stats.requestCount == 0 && anthropicMock.requestCount == 0)
            // No signal at all (a self-hosted server's token): the path decides.
            let plain = try await Self.request(
                harness, "POST", "/v1/chat/completions", headers: [("authorization", "Bearer local-token")],
                body: Self.body)
            #expect(plain.status == 200)
        }
    }

    @Test func creatingABatchTwiceCreatesTwoBatches() async throws {
        try await ProxyHarness.run(store: nil) { harness in
            let batch = #"{"requests":[{"custom_id":"a","params":{"model":"m","max_tokens":8,"messages":[]}}]}"#
            let first = try await Self.request(
                harness, "POST", "/v1/messages/batches", headers: Self.anthropicHeaders, body: batch)
            let second = try await Self.request(
                harness, "POST", "/v1/messages/batches", headers: Self.anthropicHeaders, body: batch)
            #expect(first.header("x-llmcache-status") == "BYPASS" && second.header("x-llmcache-status") == "BYPASS")
            #expect(first.body != second.body)
            #expect(harness.stats.requestCount == 2)
        }
    }

    @Test func aStoreFalseAnswerNeverAnswersAStoreTrueRequest() async throws {
        try await ProxyHarness.run(store: nil) { harness in
            let notStored = #"{"model":"mock-1","input":"remember me","store":false}"#
            let stored = #"{"model":"mock-1","input":"remember me","store":true}"#
            _ = try await harness.post("/v1/responses", notStored)
            let reply = try await harness.post("/v1/responses", stored)
            #expect(reply.header("x-llmcache-status") == "MISS")
            #expect(harness.stats.requestCount == 2)
            #expect(try await harness.post("/v1/responses", stored).header("x-llmcache-status") == "HIT")
        }
    }

    @Test func oneCredentialInEitherSpellingIsOneTenant() async throws {
        try await ProxyHarness.run(store: nil) { harness in
            let body = #"{"model":"claude","max_tokens":8,"messages":[{"role":"user","content":"hello"}]}"#
            let asKey = try await harness.post(
                "/v1/messages", body, headers: [("x-api-key", "sk-ant-K1"), ("anthropic-version", "2023-06-01")])
            #expect(asKey.header("x-llmcache-status") == "MISS")
            let asBearer = try await harness.post(
                "/v1/messages", body,
                headers: [("authorization", "Bearer sk-ant-K1"), ("anthropic-version", "2023-06-01")])
            #expect(asBearer.header("x-llmcache-status") == "HIT")
            let other = try await harness.post(
                "/v1/messages", body, headers: [("x-api-key", "sk-ant-K2"), ("anthropic-version", "2023-06-01")])
            #expect(other.header("x-llmcache-status") == "MISS", "another credential never reads K1's entries")
        }
    }
}
