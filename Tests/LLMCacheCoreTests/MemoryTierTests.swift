import NIOCore
import Testing

@testable import LLMCacheCore

@Suite struct MemoryTierTests {
    let clock = ManualClock()

    func tier(
        maxBytes: Int? = 1 << 20, maxEntries: Int? = nil, policy: EvictionPolicy = .wTinyLFU, shards: Int = 1,
        fraction: Double = 0.5
    ) throws -> MemoryTier {
        try MemoryTier(
            configuration: .init(
                maxBytes: maxBytes, maxEntries: maxEntries, policy: policy, maxEntryFraction: fraction,
                shardCount: shards),
            clock: clock)
    }

    @Test(arguments: EvictionPolicy.allCases)
    func putThenGetReturnsTheSameEntry(policy: EvictionPolicy) throws {
        let tier = try tier(policy: policy)
        let entry = makeEntry(size: 100, marker: 7, namespace: "ns")
        #expect(tier.put(key(1), entry))
        #expect(tier.get(key(1)) == entry)
        #expect(tier.get(key(2)) == nil)
        let stats = tier.stats
        #expect(stats.hits == 1 && stats.misses == 1 && stats.insertions == 1)
        #expect(stats.entries == 1)
        #expect(stats.bytes == accountedBytes(entry))
    }

    @Test func putReplacesAndReaccounts() throws {
        let tier = try tier()
        tier.put(key(1), makeEntry(size: 100, marker: 1))
        let replacement = makeEntry(size: 300, marker: 2)
        tier.put(key(1), replacement)
        #expect(tier.get(key(1)) == replacement)
        #expect(tier.stats.bytes == accountedBytes(replacement))
        #expect(tier.stats.updates == 1)
        #expect(tier.stats.entries == 1)
    }

    @Test func removeAndRemoveAll() throws {
        let tier = try tier()
        for i in 0..<10 { tier.put(key(i), makeEntry(namespace: i % 2 == 0 ? "even" : "odd")) }
        #expect(tier.remove(key(3)))
        #expect(!tier.remove(key(3)))
        #expect(tier.get(key(3)) == nil)
        #expect(tier.removeAll(namespace: "even") == 5)
        #expect(tier.stats.entries == 4)
        #expect((0..<10).filter { tier.contains(key($0)) } == [1, 5, 7, 9])
        #expect(tier.removeAll() == 4)
        #expect(tier.stats.entries == 0 && tier.stats.bytes == 0)
        #expect(tier.stats.evictions(.explicit) == 10)
        // Still usable after a full purge.
        tier.put(key(42), makeEntry())
        #expect(tier.get(key(42)) != nil)
    }

    @Test func oversizedEntriesAreRefusedAndSupersedeTheOldValue() throws {
        let tier = try tier(maxBytes: 10_000, fraction: 0.1)
        tier.put(key(1), makeEntry(size: 100))
        #expect(!tier.put(key(1), makeEntry(size: 2_000)))
        #expect(tier.get(key(1)) == nil, "a refused replacement must not leave the stale value")
        #expect(tier.stats.rejections == 1)
        // The largest that fits the 1,000-byte limit is held.
        let largest = try #require((0..<1_000).last { accountedBytes(makeEntry(size: $0)) <= 1_000 })
        #expect(tier.put(key(2), makeEntry(size: largest)))
        #expect(!tier.put(key(3), makeEntry(size: largest + 16)))
    }

    @Test(arguments: EvictionPolicy.allCases)
    func byteBudgetIsNeverExceeded(policy: EvictionPolicy) throws {
        let budget = 50_000
        let tier = try tier(maxBytes: budget, policy: policy, fraction: 0.2)
        var generator = SplitMix64(seed: 7)
        for i in 0..<2_000 {
            tier.put(
                key(Int(generator.next() % 500)),
                makeEntry(size: Int(generator.next() % 5_000), marker: UInt8(i & 0xff)))
            #expect(tier.stats.bytes <= budget)
        }
        #expect(tier.stats.evictions(.capacity) > 0)
    }

    @Test(arguments: EvictionPolicy.allCases)
    func entryBoundHolds(policy: EvictionPolicy) throws {
        let tier = try tier(maxBytes: nil, maxEntries: 100, policy: policy)
        for i in 0..<1_000 { tier.put(key(i), makeEntry()) }
        #expect(tier.stats.entries == 100)
    }

    @Test func bothBoundsApply() throws {
        let tier = try tier(maxBytes: 1 << 20, maxEntries: 10, policy: .lru)
        for i in 0..<50 { tier.put(key(i), makeEntry()) }
        #expect(tier.stats.entries == 10)
        #expect((40..<50).allSatisfy { tier.contains(key($0)) })
    }

    @Test func shrinkEvictsWithGovernorReasonAndGrowsBack() throws {
        let tier = try tier(maxBytes: 200_000, policy: .lru, shards: 4, fraction: 0.05)
        for i in 0..<1_000 { tier.put(key(i), makeEntry(size: 500)) }
        let before = tier.stats
        #expect(before.bytes > 150_000)
        tier.shrink(toBytes: 50_000)
        let after = tier.stats
        #expect(after.bytes <= 50_000)
        #expect(after.byteLimit == 50_000)
        #expect(after.evictions(.governor) == before.entries - after.entries)
        tier.setByteLimit(10_000_000)
        #expect(tier.stats.byteLimit == 200_000, "never above the configured budget")
        for i in 1_000..<2_000 { tier.put(key(i), makeEntry(size: 500)) }
        #expect(tier.stats.bytes > 150_000, "the tier grows back after the limit is raised")
    }

    @Test(arguments: [
        MemoryTier.Configuration(maxBytes: nil, maxEntries: nil),
        MemoryTier.Configuration(maxBytes: 0),
        MemoryTier.Configuration(maxBytes: 100, maxEntries: -1),
        MemoryTier.Configuration(maxBytes: 100, maxEntryFraction: 0),
        MemoryTier.Configuration(maxBytes: 100, maxEntryFraction: 1.5),
        MemoryTier.Configuration(maxBytes: 100, shardCount: 3),
        MemoryTier.Configuration(maxBytes: 100, perEntryOverhead: -1),
    ])
    func invalidConfigurationsAreRejected(configuration: MemoryTier.Configuration) {
        #expect(throws: MemoryTierError.self) { try MemoryTier(configuration: configuration) }
    }

    @Test func automaticShardCountKeepsShardsLarge() throws {
        #expect(try MemoryTier(configuration: .init(maxBytes: 1 << 20)).shardCount == 1)
        #expect(try MemoryTier(configuration: .init(maxBytes: 16 << 20)).shardCount == 4)
        #expect(try MemoryTier(configuration: .init(maxBytes: 1 << 30)).shardCount == 16)
        #expect(try MemoryTier(configuration: .init(maxBytes: nil, maxEntries: 100)).shardCount == 1)
    }

    @Test func resetStatsKeepsContents() throws {
        let tier = try tier()
        tier.put(key(1), makeEntry())
        _ = tier.get(key(1))
        tier.resetStats()
        let stats = tier.stats
        #expect(stats.hits == 0 && stats.insertions == 0)
        #expect(stats.entries == 1)
        #expect(tier.get(key(1)) != nil)
    }
}
