import Testing

@testable import LLMCacheCore

@Suite struct MemoryTierPolicyTests {
    func tier(_ policy: EvictionPolicy, entries: Int) throws -> MemoryTier {
        try MemoryTier(configuration: .entries(entries, policy: policy), clock: ManualClock())
    }

    @Test func lruEvictsTheLeastRecentlyUsed() throws {
        let tier = try tier(.lru, entries: 3)
        for i in 1...3 { tier.put(key(i), makeEntry()) }
        _ = tier.get(key(1))
        tier.put(key(4), makeEntry())
        #expect(!tier.contains(key(2)))
        #expect([1, 3, 4].allSatisfy { tier.contains(key($0)) })
        #expect(tier.stats.evictions(.capacity) == 1)
    }

    @Test func lfuEvictsTheLeastFrequentlyUsedThenTheOldest() throws {
        let tier = try tier(.lfu, entries: 3)
        for i in 1...3 { tier.put(key(i), makeEntry()) }
        _ = tier.get(key(1))
        _ = tier.get(key(1))
        _ = tier.get(key(3))
        // counts: 1→3, 2→1, 3→2
        tier.put(key(4), makeEntry())
        #expect(!tier.contains(key(2)))
        // counts: 1→3, 3→2, 4→1; key 4 is now the least frequent
        tier.put(key(5), makeEntry())
        #expect(!tier.contains(key(4)))
        #expect([1, 3, 5].allSatisfy { tier.contains(key($0)) })
    }

    /// A hot set of 80 keys requested between streams of one-hit wonders: each hot key's reuse
    /// distance (280) exceeds the capacity (100), so recency alone keeps nothing, while frequency
    /// keeps the hot set. Optimal here is 80/280 ≈ 28.6 %.
    @Test func wTinyLFUKeepsAFrequentWorkingSetThroughScans() throws {
        func hitRatio(_ policy: EvictionPolicy) throws -> (Double, Int) {
            let tier = try tier(policy, entries: 100)
            var next = 1_000
            var hits = 0
            var requests = 0
            for _ in 0..<60 {
                for i in 0..<80 {
                    requests += 1
                    if tier.get(key(i)) != nil { hits += 1 } else { tier.put(key(i), makeEntry()) }
                }
                for _ in 0..<200 {
                    requests += 1
                    if tier.get(key(next)) == nil { tier.put(key(next), makeEntry()) }
                    next += 1
                }
            }
            return (Double(hits) / Double(requests), (0..<80).filter { tier.contains(key($0)) }.count)
        }
        let (tinyLFU, survivors) = try hitRatio(.wTinyLFU)
        let (lru, _) = try hitRatio(.lru)
        #expect(tinyLFU >= 0.25, "W-TinyLFU hit ratio \(tinyLFU)")
        #expect(survivors >= 70, "\(survivors) of 80 hot keys held")
        #expect(lru < 0.01, "LRU hit ratio \(lru)")
    }

    @Test func wTinyLFUAdmitsANewlyPopularKey() throws {
        let tier = try tier(.wTinyLFU, entries: 50)
        for i in 0..<50 { tier.put(key(i), makeEntry()) }
        // Key 999 becomes popular: asked for repeatedly, re-put after each refusal.
        var held = false
        for _ in 0..<20 where !held {
            if tier.get(key(999)) == nil { tier.put(key(999), makeEntry()) }
            for i in 1_000..<1_010 where tier.get(key(i)) == nil { tier.put(key(i), makeEntry()) }
            held = tier.contains(key(999))
        }
        #expect(held)
    }
}

@Suite struct FrequencySketchTests {
    @Test func countsAndSaturatesAtFifteen() {
        var sketch = FrequencySketch(capacity: 512)
        let hash = CacheKey(identifier: 1).w1
        #expect(sketch.frequency(hash) == 0)
        for _ in 0..<5 { sketch.increment(hash) }
        #expect(sketch.frequency(hash) == 5)
        for _ in 0..<50 { sketch.increment(hash) }
        #expect(sketch.frequency(hash) == 15)
    }

    @Test func agingHalvesCounters() {
        var sketch = FrequencySketch(capacity: 16)
        let hot = CacheKey(identifier: 1).w1
        for _ in 0..<12 { sketch.increment(hot) }
        #expect(sketch.frequency(hot) == 12)
        // Fill the sample (10 × capacity) with other keys: every counter is halved once.
        var other: UInt64 = 100
        while sketch.additions != 0 && sketch.frequency(hot) == 12 {
            sketch.increment(CacheKey(identifier: other).w1)
            other += 1
        }
        #expect(sketch.frequency(hot) <= 7)
    }

    @Test func estimatesAreNeverBelowTheTrueCount() {
        var sketch = FrequencySketch(capacity: 1024)
        var generator = SplitMix64(seed: 3)
        var truth: [UInt64: Int] = [:]
        for _ in 0..<5_000 {
            let hash = CacheKey(identifier: generator.next() % 2_000).w1
            sketch.increment(hash)
            truth[hash, default: 0] += 1
        }
        // 5,000 < sample size 10,240: no aging yet, so count-min never underestimates.
        for (hash, count) in truth { #expect(sketch.frequency(hash) >= min(count, 15)) }
    }
}

@Suite struct MemoryTierByteBudgetPolicyTests {
    /// With a byte budget (weights in bytes, a sketch that starts small and grows with the entry
    /// count) W-TinyLFU must still show its advantage over LRU on a skewed workload.
    @Test func wTinyLFUUnderAByteBudgetBeatsLRUOnZipf() throws {
        let keys = ZipfKeys.make(keySpace: 20_000, requests: 200_000, exponent: 1.0, seed: 5)
        let entry = makeEntry(size: 100)
        func hitRatio(_ policy: EvictionPolicy) throws -> Double {
            // Room for 2,000 entries (10 % of the keys), one shard.
            let tier = try MemoryTier(
                configuration: .init(
                    maxBytes: 2_000 * accountedBytes(entry), policy: policy, maxEntryFraction: 1, shardCount: 1),
                clock: ManualClock())
            var hits = 0
            for identifier in keys {
                let key = CacheKey(identifier: identifier)
                if tier.get(key) != nil { hits += 1 } else { tier.put(key, entry) }
            }
            return Double(hits) / Double(keys.count)
        }
        let tinyLFU = try hitRatio(.wTinyLFU)
        let lru = try hitRatio(.lru)
        #expect(tinyLFU >= lru + 0.05, "W-TinyLFU \(tinyLFU) vs LRU \(lru)")
    }
}

/// W-TinyLFU's window is sized by miniature simulations (``WindowTuner``): it grows toward LRU
/// when recency decides and shrinks back when frequency does.
@Suite struct WindowTunerTests {
    /// Replays `keys` (a hit, or a miss then a put) and returns the window's share afterwards.
    func windowAfter(_ keys: [UInt64], on tier: MemoryTier) -> Double {
        let entry = CacheEntry(createdAt: ManualClock().now())
        for identifier in keys {
            let key = CacheKey(identifier: identifier)
            if tier.get(key) == nil { tier.put(key, entry) }
        }
        return tier.stats.windowFraction
    }

    @Test func theWindowFollowsTheWorkloadThroughPhaseChanges() throws {
        let tier = try MemoryTier(configuration: .entries(1_000, policy: .wTinyLFU), clock: ManualClock())
        #expect(tier.stats.windowFraction == 0.01, "Caffeine's starting point")
        let recency = RecencyKeys.make(requests: 60_000, meanDepth: 300, seed: 1)
        let frequency = ZipfKeys.make(keySpace: 50_000, requests: 60_000, exponent: 1.0, seed: 2).map { $0 + 1 << 40 }
        let recencyAgain = RecencyKeys.make(requests: 60_000, meanDepth: 300, seed: 3, firstKey: 1 << 50)
        let first = windowAfter(recency, on: tier)
        #expect(first >= 0.5, "recency: the window grew to \(first)")
        let second = windowAfter(frequency, on: tier)
        #expect(second <= 0.2, "frequency: the window shrank to \(second)")
        let third = windowAfter(recencyAgain, on: tier)
        #expect(third >= 0.5, "recency again: the window grew to \(third)")
    }

    @Test func lruAndLFUHaveNoWindow() throws {
        for policy in [EvictionPolicy.lru, .lfu] {
            let tier = try MemoryTier(configuration: .entries(1_000, policy: policy), clock: ManualClock())
            #expect(windowAfter(RecencyKeys.make(requests: 5_000, meanDepth: 100, seed: 1), on: tier) == 0)
        }
    }

    /// Small caches are simulated whole; larger ones sample keys so that a miniature holds about
    /// a thousand entries; a byte budget samples at least one key in eight.
    @Test func miniaturesAreScaledToTheSample() {
        func tuner(_ weight: Int, bytes: Bool = false) -> WindowTuner {
            WindowTuner(
                maximumWeight: weight, weighsBytes: bytes, maximumEntries: 1 << 30, maximumEntryBytes: 1 << 20,
                perEntryOverhead: 64, seed: 1)
        }
        #expect(tuner(250).sampleMask == 0 && tuner(1_000).sampleMask == 0)
        #expect(tuner(2_000).sampleMask == 1)
        #expect(tuner(10_000).sampleMask == 15)
        #expect(tuner(16 << 20, bytes: true).sampleMask == 7)
        #expect(tuner(256 << 20, bytes: true).sampleMask == 63)
        #expect(tuner(10_000).miniatures.count == WindowTuner.windowFractions.count)
        #expect(tuner(10_000).miniatures.allSatisfy { $0.maximumWeight == 625 })
    }

    /// A near-tie never moves the window: only a miniature that hits clearly more does.
    @Test func aPeriodOfEqualHitsKeepsTheWindow() {
        var tuner = WindowTuner(
            maximumWeight: 100, weighsBytes: false, maximumEntries: 100, maximumEntryBytes: 1 << 20,
            perEntryOverhead: 64, seed: 1)
        // One key over and over: every miniature hits it alike.
        var switched: [Int] = []
        for _ in 0..<5_000 {
            if let fraction = tuner.record(CacheKey(identifier: 7), bytes: 100) { switched.append(fraction) }
        }
        #expect(switched.isEmpty)
    }
}

extension WindowTunerTests {
    /// A window set larger takes main's oldest entries a thousand at once, and the rest on the
    /// evictions that follow — not one by one, as new entries happen to win their duels.
    @Test func aGrownWindowReachesItsSizeWithinAFewEvictions() {
        var shard = MemoryTierShard(
            policy: .wTinyLFU, weighsBytes: false, maximumWeight: 5_000, maximumEntries: 5_000,
            maximumEntryBytes: 1, perEntryOverhead: 0, seed: 1, miniatureWindow: 0.01)
        // Full, and past it by one: the first eviction leaves the window at its 1 %.
        for identifier in 0...5_000 { _ = shard.simulateRequest(CacheKey(identifier: UInt64(identifier)), bytes: 1) }
        #expect(shard.weight(.window) == 50 && shard.count == 5_000)

        shard.setWindow(fraction: 0.99)
        #expect(shard.weight(.window) == 50 + MemoryTierShard.queueTransferThreshold)
        // 4,950 − 1,050 = 3,900 still to move, 64 per eviction (less the one a duel may take
        // from the window): 70 new keys are enough; entering one by one, they would move 70.
        for identifier in 10_000..<10_070 {
            _ = shard.simulateRequest(CacheKey(identifier: UInt64(identifier)), bytes: 1)
        }
        // At its size, less the entry the last duel may have taken from it.
        let (window, count) = (shard.weight(.window), shard.count)
        #expect(window >= 4_949, "window \(window)")
        #expect(count == 5_000)
        shard.checkInvariants()
    }

    /// The proxy's configuration: a byte budget over several shards. One shard tunes, every
    /// shard follows.
    @Test func everyShardOfAByteBudgetFollowsTheTunedWindow() throws {
        let entry = makeEntry(size: 100)
        let tier = try MemoryTier(
            configuration: .init(
                maxBytes: 4_000 * accountedBytes(entry), policy: .wTinyLFU, maxEntryFraction: 1, shardCount: 4),
            clock: ManualClock())
        func replay(_ keys: [UInt64]) {
            for identifier in keys {
                let key = CacheKey(identifier: identifier)
                if tier.get(key) == nil { tier.put(key, entry) }
            }
        }
        replay(RecencyKeys.make(requests: 300_000, meanDepth: 1_000, seed: 4))
        let recency = tier.stats
        #expect(recency.windowFraction >= 0.5, "recency: \(recency.windowFraction)")
        replay(ZipfKeys.make(keySpace: 200_000, requests: 300_000, exponent: 1.0, seed: 5).map { $0 + 1 << 40 })
        let frequency = tier.stats
        #expect(frequency.windowFraction <= 0.2, "frequency: \(frequency.windowFraction)")
    }
}
