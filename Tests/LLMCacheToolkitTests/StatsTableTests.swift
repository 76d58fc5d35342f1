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
