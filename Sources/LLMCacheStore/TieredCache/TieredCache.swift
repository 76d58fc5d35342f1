import LLMCacheCore
import Synchronization

/// L1 (memory) in front of L2 (disk). A lookup tries L1, then L2; an L2 hit is promoted into L1
/// (unless promotions are paused, e.g. by the memory governor). A store goes to L1 at once and
/// to L2 through its writer, never blocking. Removal and purges act on both tiers. Under memory
/// pressure the governor may pause promotions and send new entries to L2 only.
public final class TieredCache: MemoryPressureControls, Sendable {
    public let memory: MemoryTier
    public let disk: DiskTier?
    private let counters = TieredCacheCounters()
    private let promotionsPaused = Atomic<Bool>(false)
    private let diskOnlyAdmission = Atomic<Bool>(false)

    /// Where a hit came from.
    public enum Tier: String, Sendable {
        case memory, disk
    }

    public init(memory: MemoryTier, disk: DiskTier?) {
        self.memory = memory
        self.disk = disk
    }

    /// The entry for `key` and the tier that had it.
    public func get(_ key: CacheKey) -> (entry: CacheEntry, tier: Tier)? {
        if let entry = memory.get(key) { return (entry, .memory) }
        guard let disk, let entry = disk.get(key) else { return nil }
        if !promotionsPaused.load(ordering: .relaxed) {
            if memory.put(key, entry) { counters.promotions.add(1, ordering: .relaxed) }
        }
        return (entry, .disk)
    }

    /// Stores `entry` in both tiers (L2 asynchronously) — in L2 only while disk-only admission is
    /// on (an older L1 copy of the key is dropped, so L1 never serves a stale answer).
    public func put(_ key: CacheKey, _ entry: CacheEntry) {
        if let disk, diskOnlyAdmission.load(ordering: .relaxed) {
            memory.remove(key)
            disk.put(key, entry)
            return
        }
        memory.put(key, entry)
        disk?.put(key, entry)
    }

    public func remove(_ key: CacheKey) {
        memory.remove(key)
        disk?.remove(key)
    }

    /// Removes `namespace` from both tiers; returns how many entries each held.
    @discardableResult
    public func removeAll(namespace: String) throws -> (memory: Int, disk: Int) {
        (memory.removeAll(namespace: namespace), try disk?.removeAll(namespace: namespace) ?? 0)
    }

    @discardableResult
    public func removeAll() throws -> (memory: Int, disk: Int) {
        (memory.removeAll(), try disk?.removeAll() ?? 0)
    }

    /// Stops (or resumes) copying L2 hits into L1.
    public func setPromotionsPaused(_ paused: Bool) {
        promotionsPaused.store(paused, ordering: .relaxed)
    }

    /// Sends new entries to L2 only (no effect without a disk tier: L1 is all there is).
    public func setDiskOnlyAdmission(_ diskOnly: Bool) {
        diskOnlyAdmission.store(diskOnly, ordering: .relaxed)
    }

    public var stats: TieredCacheStats {
        TieredCacheStats(
            memory: memory.stats, disk: disk?.stats, promotions: counters.promotions.load(ordering: .relaxed))
    }

    public func resetStats() {
        memory.resetStats()
        disk?.resetStats()
        counters.promotions.store(0, ordering: .relaxed)
    }
}

/// Per-tier statistics of a ``TieredCache``.
public struct TieredCacheStats: Sendable, Equatable {
    public var memory: MemoryTierStats
    public var disk: DiskTierStats?
    /// L2 hits copied into L1.
    public var promotions: Int

    /// Hits of either tier over lookups (a lookup that misses L1 and hits L2 counts once).
    public var hitRatio: Double {
        let hits = memory.hits + (disk?.hits ?? 0)
        let lookups = memory.hits + memory.misses
        return lookups == 0 ? 0 : Double(hits) / Double(lookups)
    }
}

private final class TieredCacheCounters: Sendable {
    let promotions = Atomic<Int>(0)
}
