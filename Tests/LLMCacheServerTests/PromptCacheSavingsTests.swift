import LLMCacheCore
import LLMCacheServer
import LLMCacheTestSupport
import MetricsTestKit
import NIOCore
import Testing

/// The proxy's savings and the provider's own prompt-cache discount are counted apart, priced
/// from the same table (issue: honest savings).
@Suite struct PromptCacheSavingsTests {
    let scratch = ScratchDirectory()

    private func dollars(_ value: JSONValue?) -> Double? {
        if case .number(let text)? = value { Double(text) } else { nil }
    }

    @Test func providerDiscountIsCountedApartFromTheCachesSavings() async throws {
        let metrics = TestMetrics()
        let prices = PriceTable([
            "gpt-4o": ModelPrice(inputPerMillion: 2, outputPerMillion: 8, cachedInputPerMillion: 1),
            "claude": ModelPrice(
                inputPerMillion: 3, outputPerMillion: 15, cachedInputPerMillion: 0.3, cacheWritePerMillion: 3.75),
        ])
        try await ProxyHarness.run(
            store: scratch.path + "/store", configure: { $0.prices = prices }, metricsFactory: metrics
        ) { harness in
            // OpenAI: 1,000 of the prompt's tokens came from the provider's cache.
            let cached = [("x-mock-cached-tokens", "1000")]
            let miss = try await harness.post("/v1/chat/completions", chat("long system prompt"), headers: cached)
            #expect(miss.header("x-llmcache-status") == "MISS")
            let usage = try #require(try JSONParser.parse(miss.body)["usage"])
            let input = try #require(usage["prompt_tokens"]?.intValue)
            let output = try #require(usage["completion_tokens"]?.intValue)
            #expect(usage["prompt_tokens_details"]?["cached_tokens"]?.intValue == 1000 && input == 1007)
            let hit = try await harness.post("/v1/chat/completions", chat("long system prompt"), headers: cached)
            #expect(hit.header("x-llmcache-status") == "HIT")

            // Anthropic: 2,000 read from its cache and 500 written to it; then a stream reading 100.
            let anthropic = [
                ("x-api-key", "sk-ant-x"), ("anthropic-version", "2023-06-01"), ("x-mock-cached-tokens", "2000"),
                ("x-mock-cache-write-tokens", "500"),
            ]
            let claude = #"{"model":"claude-x","max_tokens":8,"messages":[{"role":"user","content":"hi"}]}"#
            #expect(
                try await harness.post("/v1/messages", claude, headers: anthropic).header("x-llmcache-status") == "MISS"
            )
            let stream =
                #"{"model":"claude-x","max_tokens":8,"stream":true,"messages":[{"role":"user","content":"yo"}]}"#
            let streamed = try await harness.post(
                "/v1/messages", stream,
                headers: [
                    ("x-api-key", "sk-ant-x"), ("anthropic-version", "2023-06-01"), ("x-mock-cached-tokens", "100"),
                ])
            #expect(streamed.header("x-llmcache-status") == "MISS" && streamed.text.contains("message_stop"))
            // A model without a cached-input price: its reads are counted, not priced.
            let unpriced = #"{"model":"other-model","messages":[{"role":"user","content":"x"}]}"#
            _ = try await harness.post("/v1/chat/completions", unpriced, headers: [("x-mock-cached-tokens", "10")])
            // A call whose provider cached nothing still counts as a call.
            _ = try await harness.post("/v1/chat/completions", chat("short"))

            let stats = try JSONParser.parse(try await harness.get("/stats").body)
            // The proxy's cache: the one hit, at the full price of its tokens.
            let saved = try #require(stats["saved"])
            #expect(saved["input_tokens"]?.intValue == input && saved["output_tokens"]?.intValue == output)
            let savedDollars = try #require(dollars(saved["dollars"]))
            #expect(abs(savedDollars - Double(input * 2 + output * 8) / 1_000_000) < 1e-12)

            // The provider's cache, on the five calls that went upstream.
            let provider = try #require(stats["provider_cache"])
            #expect(provider["calls"]?.intValue == 5)
            #expect(provider["read_tokens"]?.intValue == 1000 + 2000 + 100 + 10)
            #expect(provider["write_tokens"]?.intValue == 500)
            let discount = try #require(dollars(provider["discount_dollars"]))
            let openAIDiscount: Double = 1000 * (2 - 1)
            let anthropicDiscount: Double = 2100 * (3 - 0.3)
            let expectedDiscount = (openAIDiscount + anthropicDiscount) / 1_000_000
            #expect(abs(discount - expectedDiscount) < 1e-12)
            let premium = try #require(dollars(provider["premium_dollars"]))
            #expect(abs(premium - 500 * (3.75 - 3) / 1_000_000) < 1e-12)
            #expect(abs((dollars(provider["net_dollars"]) ?? .nan) - (expectedDiscount - premium)) < 1e-12)
            #expect(provider["unpriced_calls"]?.intValue == 1)
            let byModel = try #require(provider["by_model"])
            #expect(byModel["gpt-4o-mini"]?["calls"]?.intValue == 2)
            #expect(byModel["gpt-4o-mini"]?["read_tokens"]?.intValue == 1000)
            #expect(byModel["claude-x"]?["write_tokens"]?.intValue == 500)
            #expect(byModel["other-model"]?["unpriced_calls"]?.intValue == 1)

            #expect(
                metrics.counterTotal(label: "llmcache_provider_cache_tokens_total", dimensions: [("kind", "read")])
                    == 3110)
            #expect(
                metrics.counterTotal(label: "llmcache_provider_cache_tokens_total", dimensions: [("kind", "write")])
                    == 500)
        }
    }

    @Test func readsEachProvidersFields() {
        func usage(_ body: String) -> PromptCacheUsage? { PromptCacheUsage.extract(from: ByteBuffer(string: body)) }
        #expect(
            usage(
                #"{"usage":{"prompt_tokens":1200,"completion_tokens":5,"prompt_tokens_details":{"cached_tokens":1024}}}"#
            )
                == PromptCacheUsage(readTokens: 1024, writeTokens: 0))
        #expect(
            usage(#"{"usage":{"input_tokens":1200,"output_tokens":5,"input_tokens_details":{"cached_tokens":512}}}"#)
                == PromptCacheUsage(readTokens: 512, writeTokens: 0))
        #expect(
            usage(
                #"{"usage":{"input_tokens":7,"cache_creation_input_tokens":300,"cache_read_input_tokens":40,"output_tokens":2}}"#
            ) == PromptCacheUsage(readTokens: 40, writeTokens: 300))
        // A stream: message_start carries the cache figures, message_delta a running output total.
        let events =
            #"event: message_start\#ndata: {"message":{"usage":{"input_tokens":7,"cache_read_input_tokens":90,"output_tokens":1}}}\#n\#n"#
            + #"event: message_delta\#ndata: {"usage":{"output_tokens":12}}\#n\#n"#
        #expect(usage(events) == PromptCacheUsage(readTokens: 90, writeTokens: 0))
        #expect(usage(#"{"usage":{"prompt_tokens":3}}"#) == PromptCacheUsage(readTokens: 0, writeTokens: 0))
        #expect(usage(#"{"choices":[]}"#) == nil)
        #expect(usage(#"{"usage":{"cache_read_input_tokens":-5}}"#) == PromptCacheUsage(readTokens: 0, writeTokens: 0))
    }

    @Test func pricesTakeOptionalPromptCacheRates() throws {
        let two = try PriceTable.parseEntry("gpt-4o=2.5,10")
        #expect(two.price == ModelPrice(inputPerMillion: 2.5, outputPerMillion: 10))
        let three = try PriceTable.parseEntry("gpt-4o=2.5,10,1.25")
        #expect(three.price.cachedInputPerMillion == 1.25 && three.price.cacheWritePerMillion == nil)
        let four = try PriceTable.parseEntry("claude=3,15,0.3,3.75")
        #expect(four.price.cacheWritePerMillion == 3.75)
        for bad in ["gpt=1", "gpt=1,2,3,4,5", "gpt=1,2,-1", "gpt=1,2,x", "gpt=1,2,", "=1,2"] {
            #expect(throws: PriceTableError.self, "\(bad)") { try PriceTable.parseEntry(bad) }
        }
        // Reads and writes priced only when the rate is there.
        let dollars = two.price.promptCacheDollars(PromptCacheUsage(readTokens: 1000, writeTokens: 0))
        #expect(dollars.discount == nil && dollars.premium == 0)
        let priced = four.price.promptCacheDollars(PromptCacheUsage(readTokens: 1_000_000, writeTokens: 1_000_000))
        #expect(abs((priced.discount ?? 0) - 2.7) < 1e-9 && abs((priced.premium ?? 0) - 0.75) < 1e-9)
    }
}
