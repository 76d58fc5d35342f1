import LLMCacheTestSupport
import CoreMetrics
import LLMCacheCore
import LLMCacheServer
import MetricsTestKit
import Synchronization
import Testing

/// A memory figure the test sets.
final class FixedSampler: MemorySampler, Sendable {
    let bytes = Mutex(0)
    func residentBytes() throws -> Int { bytes.withLock { $0 } }
}

@Suite struct ObservabilityTests {
    let scratch = ScratchDirectory()

    func json(_ reply: ProxyHarness.Reply) throws -> JSONValue {
        try JSONParser.parse(reply.body)
    }

    @Test func statsAndMetricsAfterKnownTraffic() async throws {
        let metrics = TestMetrics()
        try await ProxyHarness.run(
            store: scratch.path + "/store",
            configure: { $0.prices = PriceTable(["gpt-4o": ModelPrice(inputPerMillion: 1, outputPerMillion: 2)]) },
            metricsFactory: metrics, metricsExposition: { Array("exposition".utf8) }
        ) { harness in
            let miss = try await harness.post("/v1/chat/completions", chat("Count me"))
            #expect(miss.header("x-llmcache-status") == "MISS")
            let usage = try #require(try json(miss)["usage"])
            let input = try #require(usage["prompt_tokens"]?.intValue)
            let output = try #require(usage["completion_tokens"]?.intValue)
            for _ in 0..<2 {
                #expect(
                    try await harness.post("/v1/chat/completions", chat("Count me")).header("x-llmcache-status")
                        == "HIT")
            }
            let bypass = try await harness.post(
                "/v1/chat/completions", chat("Count me"), headers: [("x-llmcache-mode", "passthrough")])
            #expect(bypass.header("x-llmcache-status") == "BYPASS")
            #expect(try await harness.post("/v1/chat/completions", "{not json").status == 400)

            let stats = try json(try await harness.get("/stats"))
            let requests = try #require(stats["requests"])
            #expect(requests["HIT"]?.intValue == 2)
            #expect(requests["MISS"]?.intValue == 1)
            #expect(requests["BYPASS"]?.intValue == 1)
            #expect(requests["ERROR"]?.intValue == 1)
            #expect(stats["tiers"]?["memory"]?["hits"]?.intValue == 2)
            #expect(stats["tiers"]?["memory"]?["entries"]?.intValue == 1)
            #expect(stats["tiers"]?["disk"] != nil)
            #expect(stats["upstream"]?["requests"]?.intValue == 2)
            #expect(stats["upstream"]?["errors"]?.intValue == 0)
            let saved = try #require(stats["saved"])
            #expect(saved["input_tokens"]?.intValue == 2 * input)
            #expect(saved["output_tokens"]?.intValue == 2 * output)
            // gpt-4o-mini is priced by its prefix gpt-4o: 2 × (input × $1 + output × $2) per million.
            let dollars = try #require(
                saved["dollars"].flatMap { if case .number(let text) = $0 { Double(text) } else { nil } })
            #expect(abs(dollars - 2 * Double(input + 2 * output) / 1_000_000) < 1e-9)
            #expect(stats["governor"] == .null)

            // The swift-metrics side, in the in-memory factory.
            #expect(
                try metrics.expectTimer("llmcache_request_duration_seconds", [("cache_status", "HIT")]).values.count
                    == 2)
            #expect(
                try metrics.expectTimer("llmcache_request_duration_seconds", [("cache_status", "MISS")]).values.count
                    == 1)
            #expect(
                try metrics.expectTimer("llmcache_request_duration_seconds", [("cache_status", "ERROR")]).values.count
                    == 1)
            #expect(
                metrics.counterTotal(label: "llmcache_upstream_requests_total", dimensions: [("upstream", "openai")])
                    == 2)
            #expect(try metrics.expectTimer("llmcache_upstream_duration_seconds").values.count == 2)
            #expect(
                metrics.counterTotal(label: "llmcache_tokens_saved_total", dimensions: [("kind", "input")])
                    == Int64(2 * input))

            // Tier counters reach the backend when /metrics is scraped.
            let scrape = try await harness.get("/metrics")
            #expect(scrape.status == 200 && scrape.text == "exposition")
            #expect(metrics.counterTotal(label: "llmcache_cache_hits_total", dimensions: [("tier", "memory")]) == 2)
            #expect(try metrics.expectGauge("llmcache_cache_entries", [("tier", "memory")]).lastValue == 1)
            _ = try await harness.post("/v1/chat/completions", chat("Count me"))
            _ = try await harness.get("/metrics")
            #expect(metrics.counterTotal(label: "llmcache_cache_hits_total", dimensions: [("tier", "memory")]) == 3)
            // A stats reset zeroes /stats; the exported counter keeps counting up.
            harness.server.resetStats()
            _ = try await harness.post("/v1/chat/completions", chat("Count me"))
            _ = try await harness.get("/metrics")
            #expect(metrics.counterTotal(label: "llmcache_cache_hits_total", dimensions: [("tier", "memory")]) == 4)
            let afterReset = try json(try await harness.get("/stats"))
            #expect(afterReset["requests"]?["HIT"]?.intValue == 1)
            #expect(afterReset["tiers"]?["memory"]?["hits"]?.intValue == 1)
        }
    }

    @Test func healthReadinessAndMethods() async throws {
        try await ProxyHarness.run(store: nil) { harness in
            let health = try await harness.get("/healthz")
            #expect(health.status == 200 && health.text == #"{"status":"ok"}"#)
            #expect(try await harness.get("/readyz").status == 200)
            #expect(try await harness.post("/stats", "{}").status == 405)
            let metrics = try await harness.get("/metrics")
            #expect(metrics.status == 404, "no metrics backend in this server")
            harness.server.readiness.markDraining()
            #expect(try await harness.get("/readyz").status == 503)
        }
    }

    @Test func hardMemoryPressureStoresInL2OnlyAndSkipsLargeAnswers() async throws {
        let sampler = FixedSampler()
        try await ProxyHarness.run(
            store: scratch.path + "/pressure",
            configure: {
                $0.memoryLimit = 1 << 30
                $0.maximumStoredResponseBytesUnderPressure = 64
            },
            memorySampler: sampler
        ) { harness in
            let governor = try #require(harness.server.governor)
            sampler.bytes.withLock { $0 = 1 << 30 }  // at the budget: over the hard mark
            governor.tick()
            #expect(governor.level == .hard)
            // The mock's answers are a few hundred bytes: over the 64-byte limit under pressure.
            _ = try await harness.post("/v1/chat/completions", chat("Large under pressure"))
            #expect(
                try await harness.post("/v1/chat/completions", chat("Large under pressure")).header("x-llmcache-status")
                    == "MISS")

            sampler.bytes.withLock { $0 = 100 << 20 }
            governor.tick()
            #expect(governor.level == .normal)
            _ = try await harness.post("/v1/chat/completions", chat("Relaxed"))
            #expect(
                try await harness.post("/v1/chat/completions", chat("Relaxed")).header("x-llmcache-tier") == "memory")
            let stats = try json(try await harness.get("/stats"))
            #expect(stats["governor"]?["transitions"]?["hard"]?.intValue == 1)
            #expect(stats["governor"]?["level"]?.stringValue == "normal")
        }
    }

    @Test func diskOnlyAdmissionUnderHardPressure() async throws {
        let sampler = FixedSampler()
        try await ProxyHarness.run(
            store: scratch.path + "/diskonly", configure: { $0.memoryLimit = 1 << 30 }, memorySampler: sampler
        ) { harness in
            let governor = try #require(harness.server.governor)
            sampler.bytes.withLock { $0 = 1 << 30 }
            governor.tick()
            _ = try await harness.post("/v1/chat/completions", chat("To disk"))
            let again = try await harness.post("/v1/chat/completions", chat("To disk"))
            #expect(again.header("x-llmcache-status") == "HIT")
            #expect(again.header("x-llmcache-tier") == "disk")
            // Promotions are paused too: still from disk.
            #expect(try await harness.post("/v1/chat/completions", chat("To disk")).header("x-llmcache-tier") == "disk")
        }
    }
}
