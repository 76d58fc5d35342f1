import Synchronization

/// The in-process L1 tier: entries under ``CacheKey``s, bounded by accounted bytes and/or entry
/// count, with per-entry expiry and a configurable eviction policy (W-TinyLFU by default).
///
/// Thread-safe and non-blocking in the async sense: the key space is split over independently
/// locked shards; every operation takes one shard's `Mutex` for a short synchronous section and
/// never across an `await`. Each shard owns an equal share of the budget, so the sum of accounted
/// bytes never exceeds the budget, however many tasks write at once.
public final class MemoryTier: @unchecked Sendable {
    // Unchecked: `shards` is a raw buffer (so that reaching a shard costs no reference counting,
    // which bounces cache lines between cores); it is written only in init/deinit and every
    // shard in it is a `Mutex`.
    /// Bytes charged per entry for the tier's structures; see `Configuration.perEntryOverhead`.
    public static let defaultPerEntryOverhead = 96

    /// The bytes the tier charges for holding `entry`: its packed allocation (fields, namespace,
    /// headers, chunk table, body) plus `perEntryOverhead`; `Int.max` for an entry it cannot hold.
    public static func accountedBytes(of entry: CacheEntry, perEntryOverhead: Int = defaultPerEntryOverhead) -> Int {
        PackedEntry.allocatedBytes(of: entry).map { $0 + perEntryOverhead } ?? .max
    }

    public let configuration: Configuration
    private let shards: UnsafeMutablePointer<Mutex<MemoryTierShard>>
    public let shardCount: Int
    private let shardMask: UInt64
    private let clock: any WallClock
    /// The byte budget in force (changed by the memory governor); `nil` when bounded by entries.
    private let byteLimit: Mutex<Int?>
    /// The configured size (changed by a configuration reload); the governor's limit stays under it.
    private let configuredBytes: Mutex<Int?>

    /// Creates an empty tier. Throws when the configuration is invalid.
    public init(configuration: Configuration = Configuration(), clock: any WallClock = SystemClock()) throws {
        try configuration.validate()
        self.configuration = configuration
        self.clock = clock
        let shardCount = configuration.effectiveShardCount
        self.shardMask = UInt64(shardCount - 1)
        self.byteLimit = Mutex(configuration.maxBytes)
        self.configuredBytes = Mutex(configuration.maxBytes)
        let weighsBytes = configuration.maxBytes != nil
        let maximumWeight = (configuration.maxBytes ?? configuration.maxEntries!) / shardCount
        let maximumEntries = configuration.maxEntries.map { $0 / shardCount } ?? Int.max
        let maximumEntryBytes = Self.maximumEntryBytes(
            configuration, byteLimit: configuration.maxBytes, shards: shardCount)
        self.shardCount = shardCount
        self.shards = .allocate(capacity: shardCount)
        // The first shard tunes W-TinyLFU's window for all (its keys are a sample by hash).
        let windowChoice = WindowChoice()
        for index in 0..<shardCount {
            (shards + index).initialize(
                to: Mutex(
                    MemoryTierShard(
                        policy: configuration.policy,
                        weighsBytes: weighsBytes,
                        maximumWeight: maximumWeight,
                        maximumEntries: maximumEntries,
                        maximumEntryBytes: maximumEntryBytes,
                        perEntryOverhead: configuration.perEntryOverhead,
                        seed: 0x5eed_0000 &+ UInt64(index),
                        windowChoice: windowChoice,
                        tunesWindow: index == 0
                    )))
        }
    }

    deinit {
        shards.deinitialize(count: shardCount)
        shards.deallocate()
    }

    /// The shard that owns `key`.
    @inline(__always)
    private func withShard<R>(_ key: CacheKey, _ body: (inout sending MemoryTierShard) -> sending R) -> R {
        (shards + Int(truncatingIfNeeded: key.w2 & shardMask)).pointee.withLock(body)
    }

    /// Runs `body` on every shard in turn, each under its own lock.
    private func forEachShard(_ body: (inout sending MemoryTierShard) -> sending Void) {
        for index in 0..<shardCount { (shards + index).pointee.withLock(body) }
    }

    /// Sums `body` over all shards.
    private func sumOverShards(_ body: (inout sending MemoryTierShard) -> sending Int) -> Int {
        var total = 0
        for index in 0..<shardCount { total += (shards + index).pointee.withLock(body) }
        return total
    }

    /// The live entry for `key`, or `nil` (absent or expired). Counts a hit or a miss.
    public func get(_ key: CacheKey) -> CacheEntry? {
        let now = clock.now()
        return withShard(key) { $0.get(key, now: now) }?.entry
    }

    /// The live entry for `key` counted as a hit, or nil counting nothing: for a fast path that
    /// hands a miss on to a full lookup (``TieredCache/get(_:)``), which then counts it once.
    public func hitIfPresent(_ key: CacheKey) -> CacheEntry? {
        packedHitIfPresent(key)?.entry
    }

    /// ``hitIfPresent(_:)``'s entry as the tier holds it, for a hit answered from its bytes.
    /// `aliveAt`: an entry expired by then is left alone, uncounted (a caller that would not
    /// serve it decides elsewhere).
    public func packedHitIfPresent(_ key: CacheKey, aliveAt: Timestamp? = nil) -> PackedEntry? {
        let now = clock.now()
        return withShard(key) { $0.hitIfPresent(key, now: now, aliveAt: aliveAt) }
    }

    /// Counts a miss for `key` that ``hitIfPresent(_:)`` left uncounted (a lower tier answered
    /// instead): what ``get(_:)`` counts for an absent key.
    public func countMiss(_ key: CacheKey) {
        withShard(key) { $0.countMiss() }
    }

    /// Whether a live entry exists; counts nothing and does not touch the policy.
    public func contains(_ key: CacheKey) -> Bool {
        let now = clock.now()
        return withShard(key) { $0.contains(key, now: now) }
    }

    /// Stores `entry` under `key`, replacing any older value. Returns whether the entry is held
    /// afterwards: `false` when it is too large (more than `maxEntryFraction` of the budget) or
    /// already expired — both counted as rejections — or when the policy declined to admit it.
    @discardableResult
    public func put(_ key: CacheKey, _ entry: CacheEntry) -> Bool {
        let now = clock.now()
        guard let packed = PackedEntry.pack(entry) else {
            withShard(key) { $0.reject(key) }
            return false
        }
        return withShard(key) { $0.put(key, packed, now: now) }
    }

    /// ``put(_:_:)`` of an entry already packed.
    @discardableResult
    public func put(_ key: CacheKey, packed: PackedEntry) -> Bool {
        let now = clock.now()
        return withShard(key) { $0.put(key, packed, now: now) }
    }

    /// Removes `key`; returns whether it was present.
    @discardableResult
    public func remove(_ key: CacheKey) -> Bool {
        withShard(key) { $0.remove(key) }
    }

    /// Removes every entry of `namespace`; returns how many. Walks all entries.
    @discardableResult
    public func removeAll(namespace: String) -> Int {
        sumOverShards { $0.removeAll(namespace: namespace) }
    }

    /// Removes every entry; returns how many.
    @discardableResult
    public func removeAll() -> Int {
        sumOverShards { $0.removeAll() }
    }

    /// Removes expired entries, visiting at most `limitPerShard` slots of each shard per call
    /// (locks are held briefly; call repeatedly, e.g. from ``MemoryTierSweeper``). Returns how
    /// many were removed.
    @discardableResult
    public func sweepExpired(limitPerShard: Int = 4096) -> Int {
        let now = clock.now()
        return sumOverShards { $0.sweepExpired(now: now, limit: limitPerShard) }
    }

    /// Lowers the byte budget to `bytes`, evicting (reason `governor`) until the tier fits.
    /// For the memory governor. No effect on a tier bounded only by entries.
    public func shrink(toBytes bytes: Int) {
        setByteLimit(max(0, bytes), reason: .governor)
    }

    /// Sets the byte budget (e.g. lets the tier grow back after ``shrink(toBytes:)``); never above
    /// the configured size.
    public func setByteLimit(_ bytes: Int) {
        setByteLimit(bytes, reason: .governor)
    }

    /// Changes the configured size (a configuration reload) and sets the budget to it; entries
    /// over a smaller size are evicted (reason `capacity`). No effect on a tier bounded only by
    /// entries. The tier keeps its contents otherwise.
    public func resize(maxBytes bytes: Int) {
        guard configuration.maxBytes != nil, bytes > 0 else { return }
        configuredBytes.withLock { $0 = bytes }
        setByteLimit(bytes, reason: .capacity)
    }

    /// The configured size in force (see ``resize(maxBytes:)``).
    public var configuredMaxBytes: Int? { configuredBytes.withLock { $0 } }

    private func setByteLimit(_ bytes: Int, reason: EvictionReason) {
        guard let configured = configuredBytes.withLock({ $0 }) else { return }
        let limit = min(bytes, configured)
        byteLimit.withLock { $0 = limit }
        let perShard = limit / shardCount
        let maximumEntryBytes = Self.maximumEntryBytes(configuration, byteLimit: limit, shards: shardCount)
        forEachShard {
            $0.maximumEntryBytes = maximumEntryBytes
            $0.setMaximumWeight(perShard, reason: reason)
        }
    }

    /// Counters and gauges summed over all shards.
    public var stats: MemoryTierStats {
        var total = MemoryTierStats()
        for index in 0..<shardCount {
            let shardStats = (shards + index).pointee.withLock { shard in
                var stats = shard.stats
                stats.bytes = shard.totalBytes
                stats.entries = shard.count
                if shard.policy == .wTinyLFU {
                    stats.windowWeight = shard.windowMaximum
                    stats.maximumWeight = shard.maximumWeight
                }
                return stats
            }
            total.add(shardStats)
        }
        total.byteLimit = byteLimit.withLock { $0 }
        return total
    }

    /// Zeroes the counters (not the gauges).
    public func resetStats() {
        forEachShard { $0.stats = MemoryTierStats() }
    }

    /// The largest accounted entry size admitted under `byteLimit`.
    private static func maximumEntryBytes(_ configuration: Configuration, byteLimit: Int?, shards: Int) -> Int {
        guard let byteLimit else { return Int(UInt32.max) }
        let byFraction = Int(Double(byteLimit) * configuration.maxEntryFraction)
        return min(byFraction, byteLimit / shards, Int(UInt32.max))
    }
}
