import LLMCacheCore
import Testing

@testable import LLMCacheStore

@Suite struct TieredCacheTests {
    let scratch = ScratchDirectory()
    let clock = ManualClock(Timestamp(secondsSinceEpoch: 1_700_000_000))

    func make() throws -> TieredCache {
        TieredCache(
            memory: try MemoryTier(configuration: .init(maxBytes: 1 << 20), clock: clock),
            disk: try DiskTier(configuration: .init(directory: "\(scratch.path)/store"), clock: clock))
    }

    @Test func l2HitsArePromotedIntoL1() async throws {
        let cache = try make()
        cache.put(key(1), chatEntry(1))
        #expect(cache.get(key(1))?.tier == .memory)
        cache.memory.remove(key(1))
        try await cache.disk!.flush()
        #expect(cache.get(key(1))?.tier == .disk)
        #expect(cache.get(key(1))?.tier == .memory)
        let stats = cache.stats
        #expect(stats.promotions == 1)
        #expect(stats.memory.hits == 2 && stats.disk?.hits == 1)
    }

    @Test func pausedPromotionsLeaveL1Alone() throws {
        let cache = try make()
        cache.disk!.put(key(1), chatEntry(1))
        cache.setPromotionsPaused(true)
        #expect(cache.get(key(1))?.tier == .disk)
        #expect(cache.get(key(1))?.tier == .disk)
        #expect(cache.stats.promotions == 0)
    }

    @Test func diskOnlyAdmissionStoresInL2AndDropsTheOldL1Copy() async throws {
        let cache = try make()
        cache.put(key(1), chatEntry(1))
        cache.setDiskOnlyAdmission(true)
        cache.put(key(2), chatEntry(2))
        cache.put(key(1), chatEntry(10))  // a newer answer for a key L1 holds
        #expect(!cache.memory.contains(key(2)))
        #expect(!cache.memory.contains(key(1)))
        #expect(cache.get(key(1))?.entry == chatEntry(10))
        try await cache.disk!.flush()
        #expect(cache.disk!.contains(key(2)))
        cache.setDiskOnlyAdmission(false)
        cache.put(key(3), chatEntry(3))
        #expect(cache.memory.contains(key(3)))
    }

    @Test func withoutADiskTierDiskOnlyAdmissionKeepsL1() throws {
        let cache = TieredCache(
            memory: try MemoryTier(configuration: .init(maxBytes: 1 << 20), clock: clock), disk: nil)
        cache.setDiskOnlyAdmission(true)
        cache.put(key(1), chatEntry(1))
        #expect(cache.get(key(1))?.tier == .memory)
    }

    @Test func removalActsOnBothTiers() async throws {
        let cache = try make()
        for i in 0..<10 { cache.put(key(i), chatEntry(i, namespace: i < 4 ? "x" : "y")) }
        cache.remove(key(9))
        #expect(cache.get(key(9)) == nil)
        let (memory, disk) = try cache.removeAll(namespace: "x")
        #expect(memory == 4 && disk == 4)
        #expect(cache.get(key(0)) == nil)
        _ = try cache.removeAll()
        #expect(cache.get(key(5)) == nil)
    }

    @Test func aRestartServesFromDisk() async throws {
        do {
            let cache = try make()
            cache.put(key(7), streamEntry(7))
            try await cache.disk!.flush()
        }
        let cache = try make()
        let hit = try #require(cache.get(key(7)))
        #expect(hit.tier == .disk)
        #expect(hit.entry == streamEntry(7))
    }
}
