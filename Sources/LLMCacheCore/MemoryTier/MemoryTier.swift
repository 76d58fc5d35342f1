import Synchronization

/// The in-process L1 tier: entries under ``CacheKey``s, bounded by accounted bytes and/or entry
/// count, with per-entry expiry and a configurable eviction policy (W-TinyLFU by default).
///
/// Thread-safe and non-blocking in the async sense: the key space is split over independently
/// locked shards; every operation takes one shard's `Mutex` for a short synchronous section and
/// never across an `await`. Each shard owns an equal share of the budget, so the sum of accounted
/// bytes never exceeds the budget, however many tasks write at once.
public final class MemoryTier: Sendable {
    /// Bytes charged per entry for the tier's structures; see `Configuration.perEntryOverhead`.
    public static let defaultPerEntryOverhead = 96

    public let configuration: Configuration
    private let shards: [ShardBox]
    private let shardMask: UInt64
    private let clock: any WallClock
    /// The byte budget in force (changed by the memory governor); `nil` when bounded by entries.
    private let byteLimit: Mutex<Int?>

    /// A reference so the `Mutex` (non-copyable) can sit in an array.
    private final class ShardBox: Sendable {
        let state: Mutex<MemoryTierShard>
        init(_ shard: MemoryTierShard) { self.state = Mutex(shard) }
    }

    /// Creates an empty tier. Throws when the configuration is invalid.
    public init(configuration: Configuration = Configuration(), clock: any WallClock = SystemClock()) throws {
        try configuration.validate()
        self.configuration = configuration
        self.clock = clock
        let shardCount = configuration.effectiveShardCount
        self.shardMask = UInt64(shardCount - 1)
        self.byteLimit = Mutex(configuration.maxBytes)
        let weighsBytes = configuration.maxBytes != nil
        let maximumWeight = (configuration.maxBytes ?? configuration.maxEntries!) / shardCount
        let maximumEntries = configuration.maxEntries.map { $0 / shardCount } ?? Int.max
        let maximumEntryBytes = Self.maximumEntryBytes(configuration, byteLimit: configuration.maxBytes, shards: shardCount)
        self.shards = (0..<shardCount).map { index in
            ShardBox(
                MemoryTierShard(
                    policy: configuration.policy,
                    weighsBytes: weighsBytes,
                    maximumWeight: maximumWeight,
                    maximumEntries: maximumEntries,
                    maximumEntryBytes: maximumEntryBytes,
                    perEntryOverhead: configuration.perEntryOverhead,
                    seed: 0x5eed_0000 &+ UInt64(index)
                ))
        }
    }

    public var shardCount: Int { shards.count }

    @inline(__always)
    private func shard(_ key: CacheKey) -> ShardBox {
        shards[Int(truncatingIfNeeded: key.w2 & shardMask)]
    }

    /// The live entry for `key`, or `nil` (absent or expired). Counts a hit or a miss.
    public func get(_ key: CacheKey) -> CacheEntry? {
        let now = clock.now()
        return shard(key).state.withLock { $0.get(key, now: now) }
    }

    /// Whether a live entry exists; counts nothing and does not touch the policy.
    public func contains(_ key: CacheKey) -> Bool {
        let now = clock.now()
        return shard(key).state.withLock { $0.contains(key, now: now) }
    }

    /// Stores `entry` under `key`, replacing any older value. Returns whether the entry is held
    /// afterwards: `false` when it is too large (more than `maxEntryFraction` of the budget) or
    /// already expired — both counted as rejections — or when the policy declined to admit it.
    @discardableResult
    public func put(_ key: CacheKey, _ entry: CacheEntry) -> Bool {
        let now = clock.now()
        return shard(key).state.withLock { $0.put(key, entry, now: now) }
    }

    /// Removes `key`; returns whether it was present.
    @discardableResult
    public func remove(_ key: CacheKey) -> Bool {
        shard(key).state.withLock { $0.remove(key) }
    }

    /// Removes every entry of `namespace`; returns how many. Walks all entries.
    @discardableResult
    public func removeAll(namespace: String) -> Int {
        shards.reduce(0) { total, box in total + box.state.withLock { $0.removeAll(namespace: namespace) } }
    }

    /// Removes every entry; returns how many.
    @discardableResult
    public func removeAll() -> Int {
        shards.reduce(0) { total, box in total + box.state.withLock { $0.removeAll() } }
    }

    /// Removes expired entries, visiting at most `limitPerShard` slots of each shard per call
    /// (locks are held briefly; call repeatedly, e.g. from ``MemoryTierSweeper``). Returns how
    /// many were removed.
    @discardableResult
    public func sweepExpired(limitPerShard: Int = 4096) -> Int {
        let now = clock.now()
        return shards.reduce(0) { total, box in
            total + box.state.withLock { $0.sweepExpired(now: now, limit: limitPerShard) }
        }
    }

    /// Lowers the byte budget to `bytes`, evicting (reason `governor`) until the tier fits.
    /// For the memory governor. No effect on a tier bounded only by entries.
    public func shrink(toBytes bytes: Int) {
        setByteLimit(max(0, bytes), reason: .governor)
    }

    /// Sets the byte budget (e.g. lets the tier grow back after ``shrink(toBytes:)``); never above
    /// the configured `maxBytes`.
    public func setByteLimit(_ bytes: Int) {
        setByteLimit(bytes, reason: .governor)
    }

    private func setByteLimit(_ bytes: Int, reason: EvictionReason) {
        guard let configured = configuration.maxBytes else { return }
        let limit = min(bytes, configured)
        byteLimit.withLock { $0 = limit }
        let perShard = limit / shards.count
        let maximumEntryBytes = Self.maximumEntryBytes(configuration, byteLimit: limit, shards: shards.count)
        for box in shards {
            box.state.withLock {
                $0.maximumEntryBytes = maximumEntryBytes
                $0.setMaximumWeight(perShard, reason: reason)
            }
        }
    }

    /// Counters and gauges summed over all shards.
    public var stats: MemoryTierStats {
        var total = MemoryTierStats()
        for box in shards {
            let shardStats = box.state.withLock { shard in
                var stats = shard.stats
                stats.bytes = shard.totalBytes
                stats.entries = shard.count
                return stats
            }
            total.add(shardStats)
        }
        total.byteLimit = byteLimit.withLock { $0 }
        return total
    }

    /// Zeroes the counters (not the gauges).
    public func resetStats() {
        for box in shards { box.state.withLock { $0.stats = MemoryTierStats() } }
    }

    /// The largest accounted entry size admitted under `byteLimit`.
    private static func maximumEntryBytes(_ configuration: Configuration, byteLimit: Int?, shards: Int) -> Int {
        guard let byteLimit else { return Int(UInt32.max) }
        let byFraction = Int(Double(byteLimit) * configuration.maxEntryFraction)
        return min(byFraction, byteLimit / shards, Int(UInt32.max))
    }
}
