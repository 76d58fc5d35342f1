import LLMCacheCore
import Synchronization

/// L1 (memory) in front of the lower tiers (disk, and any other ``CacheTier``), fastest first.
/// A lookup tries L1, then each lower tier in order; a lower-tier hit is promoted into L1
/// (unless promotions are paused, e.g. by the memory governor) and into the lower tiers before
/// the one that had it (a shared-tier hit lands in the disk tier too, so it survives a restart). A store goes to L1 at once and
/// to every lower tier (the disk tier through its writer, never blocking). Removal and purges
/// act on every tier. Under memory pressure the governor may pause promotions and send new
/// entries to the lower tiers only.
///
/// Everything outside this type — the pipeline, the admin API, the governor — reaches the tiers
/// through ``CacheTier``; a new tier joins by being passed in `lower`.
public final class TieredCache: MemoryPressureControls, Sendable {
    /// L1: the in-process tier this cache fronts (the governor sizes it).
    public let memory: MemoryTier
    /// The tiers behind L1, in lookup order.
    public let lower: [any CacheTier]
    private let counters = TieredCacheCounters()
    private let promotionsPaused = Atomic<Bool>(false)
    private let diskOnlyAdmission = Atomic<Bool>(false)

    /// Where a hit came from: the name of the tier (``CacheTier/name``).
    public struct Tier: RawRepresentable, Hashable, Sendable {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public static let memory = Tier(rawValue: "memory")
        public static let disk = Tier(rawValue: "disk")
    }

    public init(memory: MemoryTier, lower: [any CacheTier]) {
        self.memory = memory
        self.lower = lower
    }

    /// L1 and the disk tier, if any.
    public convenience init(memory: MemoryTier, disk: DiskTier?) {
        self.init(memory: memory, lower: disk.map { [$0] } ?? [])
    }

    /// Every tier, L1 first.
    public var tiers: [any CacheTier] { [memory] + lower }

    /// The tier named `name`, if the cache has one.
    public func tier(named name: String) -> (any CacheTier)? { tiers.first { $0.name == name } }

    /// The entry for `key` and the tier that had it. A lower tier that fails is logged by the
    /// tier and skipped (a miss there), so a broken shared tier never fails a request.
    public func get(_ key: CacheKey) async -> (entry: CacheEntry, tier: Tier)? {
        if let entry = memory.get(key) { return (entry, .memory) }
        for (index, tier) in lower.enumerated() {
            guard let entry = try? await tier.lookup(key) else { continue }
            if !promotionsPaused.load(ordering: .relaxed) {
                if memory.put(key, entry) { counters.promotions.add(1, ordering: .relaxed) }
            }
            // The tiers above it missed: they keep a copy (the disk tier queues it, never blocking).
            for missed in lower[..<index] { await missed.store(key, entry) }
            return (entry, Tier(rawValue: tier.name))
        }
        return nil
    }

    /// A hit that needs no waiting: L1's, or the disk tier's when it is the first lower tier and
    /// the record is small (``DiskTier/hitIfPresent(_:)``: read and decoded on the caller's
    /// thread), counted and promoted as ``get(_:)`` would; nil counting nothing, so a ``get(_:)``
    /// that follows decides and counts the lookup once. The entry comes as L1 holds it (packed:
    /// a hit writes its bytes, rebuilding nothing); a disk hit is packed once, for the answer
    /// and its promotion alike — nil, after the disk tier counted it, only for an entry L1
    /// cannot hold (a header value past 64 KiB).
    ///
    /// `aliveAt`: an entry expired by then is not a hit here (nothing counted): the caller's
    /// full path decides what to do with it (an entry kept past its freshness, for example).
    public func hitWithoutWaiting(_ key: CacheKey, aliveAt: Timestamp? = nil) -> (entry: PackedEntry, tier: Tier)? {
        if let entry = memory.packedHitIfPresent(key, aliveAt: aliveAt) { return (entry, .memory) }
        guard let disk = lower.first as? DiskTier, let found = disk.hitIfPresent(key, aliveAt: aliveAt),
            let entry = PackedEntry.pack(found)
        else { return nil }
        memory.countMiss(key)
        if !promotionsPaused.load(ordering: .relaxed) {
            if memory.put(key, packed: entry) { counters.promotions.add(1, ordering: .relaxed) }
        }
        return (entry, .disk)
    }

    /// Stores `entry` in every tier — in the lower tiers only while lower-only admission is on
    /// (an older L1 copy of the key is dropped, so L1 never serves a stale answer).
    public func put(_ key: CacheKey, _ entry: CacheEntry) async {
        if !lower.isEmpty, diskOnlyAdmission.load(ordering: .relaxed) {
            memory.remove(key)
        } else {
            memory.put(key, entry)
        }
        for tier in lower { await tier.store(key, entry) }
    }

    /// Removes `key` from every tier; how many entries each held, by tier name.
    @discardableResult
    public func remove(_ key: CacheKey) async -> [String: Int] {
        var removed: [String: Int] = [:]
        for tier in tiers { removed[tier.name] = await tier.evict(key) ? 1 : 0 }
        return removed
    }

    /// Removes `namespace` from every tier; how many entries each held, by tier name.
    @discardableResult
    public func removeAll(namespace: String) async throws -> [String: Int] {
        var removed: [String: Int] = [:]
        for tier in tiers { removed[tier.name] = try await tier.purge(namespace: namespace) }
        return removed
    }

    /// Removes everything from every tier; how many entries each held, by tier name.
    @discardableResult
    public func removeAll() async throws -> [String: Int] {
        var removed: [String: Int] = [:]
        for tier in tiers { removed[tier.name] = try await tier.purgeAll() }
        return removed
    }

    /// Stops (or resumes) copying lower-tier hits into L1.
    public func setPromotionsPaused(_ paused: Bool) {
        promotionsPaused.store(paused, ordering: .relaxed)
    }

    /// Sends new entries to the lower tiers only (no effect without one: L1 is all there is).
    public func setDiskOnlyAdmission(_ diskOnly: Bool) {
        diskOnlyAdmission.store(diskOnly, ordering: .relaxed)
    }

    public var stats: TieredCacheStats {
        var disk: DiskTierStats?
        var others: [String: TierCounts] = [:]
        for tier in lower {
            if let tier = tier as? DiskTier, disk == nil { disk = tier.stats } else { others[tier.name] = tier.counts }
        }
        return TieredCacheStats(
            memory: memory.stats, disk: disk, others: others, promotions: counters.promotions.load(ordering: .relaxed))
    }

    public func resetStats() {
        for tier in tiers { tier.resetStats() }
        counters.promotions.store(0, ordering: .relaxed)
    }
}

/// Per-tier statistics of a ``TieredCache``.
public struct TieredCacheStats: Sendable, Equatable {
    public var memory: MemoryTierStats
    public var disk: DiskTierStats?
    /// Tiers other than memory and disk (a shared tier), by name.
    public var others: [String: TierCounts]
    /// Lower-tier hits copied into L1.
    public var promotions: Int

    public init(memory: MemoryTierStats, disk: DiskTierStats?, others: [String: TierCounts] = [:], promotions: Int) {
        self.memory = memory
        self.disk = disk
        self.others = others
        self.promotions = promotions
    }

    /// Hits of any tier over lookups (a lookup that misses L1 and hits a lower tier counts once).
    public var hitRatio: Double {
        let hits = memory.hits + (disk?.hits ?? 0) + others.values.reduce(0) { $0 + $1.hits }
        let lookups = memory.hits + memory.misses
        return lookups == 0 ? 0 : Double(hits) / Double(lookups)
    }
}

private final class TieredCacheCounters: Sendable {
    let promotions = Atomic<Int>(0)
}
