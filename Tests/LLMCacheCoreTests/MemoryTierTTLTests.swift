import Testing

@testable import LLMCacheCore

@Suite struct MemoryTierTTLTests {
    let clock = ManualClock(Timestamp(secondsSinceEpoch: 1_000))

    func tier(_ policy: EvictionPolicy = .wTinyLFU) throws -> MemoryTier {
        try MemoryTier(configuration: .init(maxBytes: 1 << 20, policy: policy, shardCount: 1), clock: clock)
    }

    @Test(arguments: EvictionPolicy.allCases)
    func expiredEntryIsNeverReturned(policy: EvictionPolicy) throws {
        let tier = try tier(policy)
        let expiry = clock.now().adding(.seconds(60))
        tier.put(key(1), makeEntry(expiresAt: expiry))
        clock.advance(by: .seconds(59))
        #expect(tier.get(key(1)) != nil)
        clock.advance(by: .seconds(1))
        #expect(tier.get(key(1)) == nil, "an entry expires at its expiry time")
        #expect(!tier.contains(key(1)))
        let stats = tier.stats
        #expect(stats.evictions(.ttl) == 1)
        #expect(stats.entries == 0 && stats.bytes == 0)
        #expect(stats.hits == 1 && stats.misses == 1)
    }

    @Test func containsDoesNotReportExpiredEntries() throws {
        let tier = try tier()
        tier.put(key(1), makeEntry(expiresAt: clock.now().adding(.seconds(1))))
        clock.advance(by: .seconds(2))
        #expect(!tier.contains(key(1)))
    }

    @Test func alreadyExpiredEntryIsRejected() throws {
        let tier = try tier()
        #expect(!tier.put(key(1), makeEntry(expiresAt: clock.now())))
        #expect(tier.stats.rejections == 1)
        #expect(tier.stats.entries == 0)
    }

    @Test func sweepReclaimsExpiredEntriesWithoutLookups() throws {
        let tier = try tier()
        for i in 0..<100 {
            let ttl: Duration = i % 4 == 0 ? .seconds(10) : .seconds(1_000)
            tier.put(key(i), makeEntry(expiresAt: clock.now().adding(ttl)))
        }
        #expect(tier.sweepExpired() == 0)
        clock.advance(by: .seconds(11))
        #expect(
            tier.sweepExpired(limitPerShard: 40) + tier.sweepExpired(limitPerShard: 40)
                + tier.sweepExpired(limitPerShard: 40) == 25)
        let stats = tier.stats
        #expect(stats.entries == 75)
        #expect(stats.evictions(.ttl) == 25)
        #expect(stats.hits == 0 && stats.misses == 0, "sweeping is not a lookup")
    }

    @Test func entriesWithoutExpiryLiveForever() throws {
        let tier = try tier()
        tier.put(key(1), makeEntry())
        clock.advance(by: .seconds(1_000_000_000))
        #expect(tier.get(key(1)) != nil)
    }

    @Test func sweeperServiceStopsOnCancellation() async throws {
        let tier = try tier()
        tier.put(key(1), makeEntry(expiresAt: clock.now().adding(.seconds(1))))
        clock.advance(by: .seconds(5))
        let sweeper = MemoryTierSweeper(tier: tier, interval: .milliseconds(1))
        await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await sweeper.run() }
            while tier.stats.entries > 0 { await Task.yield() }
            group.cancelAll()
        }
        #expect(tier.stats.evictions(.ttl) == 1)
    }
}
