import LLMCacheCore
import NIOCore
import Synchronization
import Testing

@testable import LLMCacheStore

@Suite struct TieredCacheTests {
    let scratch = ScratchDirectory()
    let clock = ManualClock(Timestamp(secondsSinceEpoch: 1_700_000_000))

    func make() throws -> (TieredCache, DiskTier) {
        let disk = try DiskTier(configuration: .init(directory: "\(scratch.path)/store"), clock: clock)
        let cache = TieredCache(
            memory: try MemoryTier(configuration: .init(maxBytes: 1 << 20), clock: clock), disk: disk)
        return (cache, disk)
    }

    @Test func l2HitsArePromotedIntoL1() async throws {
        let (cache, disk) = try make()
        await cache.put(key(1), chatEntry(1))
        #expect(await cache.get(key(1))?.tier == .memory)
        cache.memory.remove(key(1))
        try await disk.flush()
        #expect(await cache.get(key(1))?.tier == .disk)
        #expect(await cache.get(key(1))?.tier == .memory)
        let stats = cache.stats
        #expect(stats.promotions == 1)
        #expect(stats.memory.hits == 2 && stats.disk?.hits == 1)
    }

    /// L1 keeps what a hit replays and no more: not the canonical request and its description
    /// (the lower tiers keep them, for miss explanations and export), and the body in a buffer
    /// of its own size — stored or promoted alike.
    @Test func l1KeepsALeanCopyAndTheLowerTiersTheWholeEntry() async throws {
        let (cache, disk) = try make()
        var big = ByteBuffer()
        big.reserveCapacity(64 << 10)
        big.writeString(chatBody(1))
        var entry = chatEntry(1)
        entry.body = big
        await cache.put(key(1), entry)
        let lean = try #require(cache.memory.get(key(1)))
        #expect(lean.canonicalRequest.readableBytes == 0 && lean.request == nil)
        #expect(lean.body == entry.body && lean.body.capacity < 4_096)
        #expect(lean.headers == entry.headers && lean.usage == entry.usage && lean.status == entry.status)
        #expect(lean.namespace == entry.namespace && lean.createdAt == entry.createdAt)
        try await disk.flush()
        let whole = try #require(disk.get(key(1)))
        #expect(whole.canonicalRequest == entry.canonicalRequest && whole.request == entry.request)
        // Promoted from the disk tier: lean too.
        cache.memory.remove(key(1))
        #expect(await cache.get(key(1))?.tier == .disk)
        let promoted = try #require(cache.memory.get(key(1)))
        #expect(promoted.canonicalRequest.readableBytes == 0 && promoted.request == nil)
        // Accounted for what it holds.
        #expect(cache.memory.stats.bytes == MemoryTier.accountedBytes(of: lean))
    }

    @Test func pausedPromotionsLeaveL1Alone() async throws {
        let (cache, disk) = try make()
        disk.put(key(1), chatEntry(1))
        cache.setPromotionsPaused(true)
        #expect(await cache.get(key(1))?.tier == .disk)
        #expect(await cache.get(key(1))?.tier == .disk)
        #expect(cache.stats.promotions == 0)
    }

    @Test func diskOnlyAdmissionStoresInL2AndDropsTheOldL1Copy() async throws {
        let (cache, disk) = try make()
        await cache.put(key(1), chatEntry(1))
        cache.setDiskOnlyAdmission(true)
        await cache.put(key(2), chatEntry(2))
        await cache.put(key(1), chatEntry(10))  // a newer answer for a key L1 holds
        #expect(!cache.memory.contains(key(2)))
        #expect(!cache.memory.contains(key(1)))
        #expect(await cache.get(key(1))?.entry == chatEntry(10))
        try await disk.flush()
        #expect(disk.contains(key(2)))
        cache.setDiskOnlyAdmission(false)
        await cache.put(key(3), chatEntry(3))
        #expect(cache.memory.contains(key(3)))
    }

    @Test func withoutADiskTierDiskOnlyAdmissionKeepsL1() async throws {
        let cache = TieredCache(
            memory: try MemoryTier(configuration: .init(maxBytes: 1 << 20), clock: clock), disk: nil)
        cache.setDiskOnlyAdmission(true)
        await cache.put(key(1), chatEntry(1))
        #expect(await cache.get(key(1))?.tier == .memory)
    }

    @Test func removalActsOnEveryTierAndCountsEach() async throws {
        let (cache, disk) = try make()
        for i in 0..<10 { await cache.put(key(i), chatEntry(i, namespace: i < 4 ? "x" : "y")) }
        try await disk.flush()
        #expect(await cache.remove(key(9)) == ["memory": 1, "disk": 1])
        #expect(await cache.get(key(9)) == nil)
        #expect(try await cache.removeAll(namespace: "x") == ["memory": 4, "disk": 4])
        #expect(await cache.get(key(0)) == nil)
        #expect(try await cache.removeAll() == ["memory": 5, "disk": 5])
        #expect(await cache.get(key(5)) == nil)
    }

    @Test func aRestartServesFromDisk() async throws {
        do {
            let (cache, disk) = try make()
            await cache.put(key(7), streamEntry(7))
            try await disk.flush()
        }
        let (cache, _) = try make()
        let hit = try #require(await cache.get(key(7)))
        #expect(hit.tier == .disk)
        #expect(hit.entry == streamEntry(7))
    }

    /// A record too large to decode on the cooperative pool comes back whole through the
    /// offloaded path (random bytes: zstd cannot shrink them under the threshold).
    @Test func aLargeDiskRecordIsDecodedOffThePoolAndComesBackWhole() async throws {
        let (_, disk) = try make()
        var random = SplitMix64(seed: 7)
        let bytes = (0..<(DiskTier.offloadedDecodeBytes * 3)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        var entry = chatEntry(1)
        entry.body = ByteBuffer(bytes: bytes)
        disk.put(key(1), entry)
        try await disk.flush()
        #expect(try await disk.lookup(key(1)) == entry)
        #expect(try await disk.lookup(key(2)) == nil)
    }

    /// A third tier joins by being passed in: lookups fall through to it and promote, stores and
    /// purges reach it, its counts appear in the stats; one that fails is a miss, not an error.
    @Test func anotherTierJoinsWithoutChangesToTheCache() async throws {
        let shared = DictionaryTier(name: "shared")
        let cache = TieredCache(
            memory: try MemoryTier(configuration: .init(maxBytes: 1 << 20), clock: clock), lower: [shared])
        await shared.store(key(1), chatEntry(1))
        #expect(await cache.get(key(1))?.tier == TieredCache.Tier(rawValue: "shared"))
        #expect(await cache.get(key(1))?.tier == .memory)
        await cache.put(key(2), chatEntry(2))
        #expect(try await shared.lookup(key(2)) == chatEntry(2))
        #expect(cache.stats.others["shared"]?.hits == 2)
        #expect(try await cache.removeAll() == ["memory": 2, "shared": 2])
        shared.failing = true
        await shared.store(key(3), chatEntry(3))
        cache.memory.remove(key(3))
        #expect(await cache.get(key(3)) == nil)
    }
}

extension TieredCacheTests {
    /// A hit in the third tier is copied into L1 and into the second tier, which missed: after L1
    /// forgets it (a restart), the second tier answers.
    @Test func aHitBelowIsPromotedIntoEveryTierAbove() async throws {
        let disk = DictionaryTier(name: "disk")
        let shared = DictionaryTier(name: "shared")
        let cache = TieredCache(
            memory: try MemoryTier(configuration: .init(maxBytes: 1 << 20), clock: clock), lower: [disk, shared])
        await shared.store(key(1), chatEntry(1))
        #expect(await cache.get(key(1))?.tier == TieredCache.Tier(rawValue: "shared"))
        #expect(try await disk.lookup(key(1)) == chatEntry(1))
        cache.memory.remove(key(1))
        #expect(await cache.get(key(1))?.tier == .disk)
        // A second-tier hit does not write the tier below it.
        await disk.store(key(2), chatEntry(2))
        #expect(await cache.get(key(2))?.tier == .disk)
        #expect(!(await shared.holds(key(2))))
    }
}

/// A complete in-process ``CacheTier`` over a dictionary, standing for a network tier.
final class DictionaryTier: CacheTier {
    struct Unavailable: Error {}
    let name: String
    private let entries = Mutex<[CacheKey: CacheEntry]>([:])
    private let hits = Atomic<Int>(0)
    private let misses = Atomic<Int>(0)
    private let fails = Atomic<Bool>(false)
    var failing: Bool {
        get { fails.load(ordering: .relaxed) }
        set { fails.store(newValue, ordering: .relaxed) }
    }

    init(name: String) { self.name = name }

    func lookup(_ key: CacheKey) async throws -> CacheEntry? {
        if failing { throw Unavailable() }
        let entry = entries.withLock { $0[key] }
        if entry == nil { misses.add(1, ordering: .relaxed) } else { hits.add(1, ordering: .relaxed) }
        return entry
    }
    func store(_ key: CacheKey, _ entry: CacheEntry) async -> Bool {
        entries.withLock { $0[key] = entry }
        return true
    }
    func holds(_ key: CacheKey) async -> Bool { entries.withLock { $0[key] != nil } }
    func evict(_ key: CacheKey) async -> Bool { entries.withLock { $0.removeValue(forKey: key) != nil } }
    func purge(namespace: String) async throws -> Int {
        entries.withLock { entries in
            let matching = entries.filter { $0.value.namespace == namespace }.map(\.key)
            for key in matching { entries[key] = nil }
            return matching.count
        }
    }
    func purgeAll() async throws -> Int {
        entries.withLock { entries in
            defer { entries = [:] }
            return entries.count
        }
    }
    var counts: TierCounts {
        TierCounts(
            hits: hits.load(ordering: .relaxed), misses: misses.load(ordering: .relaxed),
            entries: entries.withLock { $0.count },
            bytes: entries.withLock { $0.values.reduce(0) { $0 + $1.body.readableBytes } })
    }
    func resetStats() {
        hits.store(0, ordering: .relaxed)
        misses.store(0, ordering: .relaxed)
    }
}
