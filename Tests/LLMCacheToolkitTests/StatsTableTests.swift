import LLMCacheCore
import LLMCacheStore
import Testing

@testable import LLMCacheToolkit

@Suite struct StatsTableTests {
    let scratch = ScratchDirectory()

    @Test func rendersAStatsDocument() throws {
        let document = #"""
            {"coalesced":3,"governor":{"budget_bytes":1073741824,"level":"soft","memory_tier_limit":268435456,"resident_bytes":943718400,"transitions":{"hard":0,"normal":0,"soft":1}},
             "hit_ratio":0.75,"promotions":2,"requests":{"HIT":3,"MISS":1,"ERROR":0},
             "saved":{"dollars":0.123456,"input_tokens":300,"output_tokens":120,"unpriced_hits":1},
             "tiers":{"memory":{"hits":3,"misses":1,"hit_ratio":0.75,"entries":5,"bytes":2048,"evictions":{"capacity":4,"ttl":0}},
                      "disk":{"hits":1,"misses":0,"hit_ratio":1,"entries":9,"bytes":4096,"evictions":{}}},
             "provider_cache":{"calls":2,"read_tokens":1024,"write_tokens":512,"discount_dollars":0.5,"premium_dollars":0.25,"net_dollars":0.25,"unpriced_calls":0},
             "upstream":{"errors":1,"requests":2},"uptime_seconds":42}
            """#
        let text = try StatsTable.render(stats: try JSONParser.parse(Array(document.utf8)))
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines[0].hasPrefix("tier"))
        #expect(
            lines[1].split(separator: " ", omittingEmptySubsequences: true) == [
                "memory", "3", "1", "75.0", "%", "5", "2", "KiB", "capacity", "4",
            ])
        #expect(lines[2].hasPrefix("disk"))
        #expect(text.contains("overall hit rate  75.0 %"))
        #expect(text.contains("requests          HIT 3, MISS 1"))
        #expect(
            text.contains("saved             300 input + 120 output tokens, $0.12 (1 hits of models without a price)"))
        #expect(text.contains("memory governor   soft: 900 MiB of 1 GiB budget, L1 limit 256 MiB"))
        #expect(text.contains("upstream calls    2 (errors 1)"))
        #expect(
            text.contains(
                "provider cache    1024 tokens read, 512 written on 2 calls, net $0.25 discount (not counted in saved)")
        )
    }

    /// Without calls that met the provider's prompt cache, the line is left out.
    @Test func leavesOutAnUnusedProviderCache() throws {
        let document = #"{"tiers":{"memory":{}},"provider_cache":{"calls":0,"read_tokens":0}}"#
        let text = try StatsTable.render(stats: try JSONParser.parse(Array(document.utf8)))
        #expect(!text.contains("provider cache"))
    }

    @Test(arguments: ["{}", "[]", #"{"tiers":{}}"#, #"{"error":{"message":"unauthorized"}}"#])
    func refusesWhatIsNotStats(_ text: String) throws {
        #expect(throws: ToolkitError.self) { try StatsTable.render(stats: try JSONParser.parse(Array(text.utf8))) }
    }

    @Test func rendersAStoreAtRest() async throws {
        let (store, _) = try makeStore(scratch.path + "/store", count: 3, namespace: "team")
        try await store.flush()
        let text = try StatsTable.render(store: store)
        #expect(text.contains("disk  3"))
        #expect(text.contains("team       3"))
        #expect(text.contains("gpt-4o-mini  3"))
        #expect(text.contains("hit rates are counted by a running proxy"))
    }
}

/// `llmcache stats --watch`: a frame's last-interval line comes from two `/stats` documents.
@Suite struct StatsWatchTests {
    func stats(hits: Int, misses: Int, disk: Int, upstream: Int, tokens: Int) throws -> JSONValue {
        try JSONParser.parse(
            Array(
                #"""
                {"hit_ratio":0.5,"requests":{"HIT":\#(hits + disk),"MISS":\#(misses - disk),"ERROR":0},
                 "tiers":{"memory":{"hits":\#(hits),"misses":\#(misses),"hit_ratio":0.5,"entries":1,"bytes":1,"evictions":{}},
                          "disk":{"hits":\#(disk),"misses":\#(misses - disk),"hit_ratio":0.5,"entries":1,"bytes":1,"evictions":{}}},
                 "upstream":{"errors":0,"requests":\#(upstream)},"saved":{"input_tokens":\#(tokens),"output_tokens":0,"dollars":0},
                 "uptime_seconds":9,
                 "recent_misses":[{"time":"2026-12-04T10:00:00Z","method":"POST","path":"/v1/chat/completions","model":"m",
                   "explanation":"nearest stored request 00 differs in $.temperature"}]}
                """#.utf8))
    }

    @Test func theIntervalLineHasRatesAndItsOwnHitRatio() throws {
        let before = try stats(hits: 10, misses: 10, disk: 0, upstream: 10, tokens: 100)
        let after = try stats(hits: 16, misses: 12, disk: 1, upstream: 11, tokens: 160)
        let text = try StatsWatch.frame(previous: before, current: after, seconds: 2, every: 2, source: "http://x")
        #expect(text.hasPrefix("llmcache http://x — every 2 s, Ctrl-C to stop"))
        #expect(text.contains("last 2 s          HIT 3.5/s, MISS 0.5/s"), "\(text)")
        // 6 memory + 1 disk hits over 8 lookups.
        #expect(text.contains("hit rate 87.5 %, upstream 0.5/s, saved 60 tokens"), "\(text)")
        #expect(text.contains("overall hit rate  50.0 %"))
        #expect(text.contains("differs in $.temperature"))
        let first = try StatsWatch.frame(previous: nil, current: after, seconds: 0, every: 2, source: "http://x")
        #expect(first.contains("(after the next refresh)"))
        // A counter that went down (a reset) counts from zero.
        let reset = try StatsWatch.frame(previous: after, current: before, seconds: 1, every: 2, source: "http://x")
        #expect(reset.contains("HIT 10/s, MISS 10/s"), "\(reset)")
    }
}
