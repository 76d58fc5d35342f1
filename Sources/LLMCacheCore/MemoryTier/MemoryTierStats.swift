/// A snapshot of a memory tier's counters and gauges. Counters only grow (until a reset).
public struct MemoryTierStats: Sendable, Equatable {
    public var hits: Int = 0
    public var misses: Int = 0
    /// New keys stored.
    public var insertions: Int = 0
    /// Existing keys given a new value.
    public var updates: Int = 0
    /// Puts refused: larger than the per-entry limit, or already expired.
    public var rejections: Int = 0
    /// Entries removed, by reason; index with `EvictionReason.rawValue`.
    public var evictions: [Int] = Array(repeating: 0, count: EvictionReason.allCases.count)
    /// Accounted bytes now held (keys, contents and per-entry overhead).
    public var bytes: Int = 0
    /// Entries now held.
    public var entries: Int = 0
    /// The byte budget now in force (`nil`: bounded by entries only).
    public var byteLimit: Int?
    /// W-TinyLFU's admission window and the weight it is a share of, summed over the shards
    /// (``WindowTuner`` sizes it; 0 for the other policies).
    public var windowWeight: Int = 0
    public var maximumWeight: Int = 0

    public init() {}

    public func evictions(_ reason: EvictionReason) -> Int { evictions[reason.rawValue] }

    /// hits / (hits + misses), or 0 before any lookup.
    public var hitRatio: Double {
        let lookups = hits + misses
        return lookups == 0 ? 0 : Double(hits) / Double(lookups)
    }

    /// The window's share of the tier (0 without W-TinyLFU): near 0.01 when frequency decides,
    /// near 1 when recency does.
    public var windowFraction: Double {
        maximumWeight == 0 ? 0 : Double(windowWeight) / Double(maximumWeight)
    }

    mutating func add(_ other: MemoryTierStats) {
        hits += other.hits
        misses += other.misses
        insertions += other.insertions
        updates += other.updates
        rejections += other.rejections
        for index in evictions.indices { evictions[index] += other.evictions[index] }
        bytes += other.bytes
        entries += other.entries
        windowWeight += other.windowWeight
        maximumWeight += other.maximumWeight
    }
}
