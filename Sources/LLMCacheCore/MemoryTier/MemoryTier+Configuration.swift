extension MemoryTier {
    /// How a memory tier is bounded and which policy it runs.
    ///
    /// At least one of `maxBytes` and `maxEntries` must be set. With `maxBytes` the policy weighs
    /// entries by accounted bytes; with only `maxEntries` every entry weighs 1.
    public struct Configuration: Sendable, Equatable {
        /// Budget in accounted bytes: each entry's packed allocation (fields, namespace, headers,
        /// chunk table, body) + `perEntryOverhead` (``MemoryTier/accountedBytes(of:perEntryOverhead:)``).
        public var maxBytes: Int?
        /// Upper bound on the number of entries.
        public var maxEntries: Int?
        /// Eviction policy; W-TinyLFU by default.
        public var policy: EvictionPolicy
        /// Entries whose accounted size exceeds this fraction of `maxBytes` are refused (they would
        /// flush much of the cache for one response). Also capped by a shard's share of the budget.
        public var maxEntryFraction: Double
        /// Bytes charged per entry for the tier's own structures (policy node with the key, index
        /// slot, sketch share). Measured; see docs/performance.md, "Memory overhead per entry".
        public var perEntryOverhead: Int
        /// Number of independently locked shards (a power of two); `nil` picks one from the budget.
        /// Each shard owns `1/shardCount` of the budget, so the sum never exceeds it.
        public var shardCount: Int?

        public init(
            maxBytes: Int? = 256 * 1024 * 1024,
            maxEntries: Int? = nil,
            policy: EvictionPolicy = .wTinyLFU,
            maxEntryFraction: Double = 0.05,
            perEntryOverhead: Int = MemoryTier.defaultPerEntryOverhead,
            shardCount: Int? = nil
        ) {
            self.maxBytes = maxBytes
            self.maxEntries = maxEntries
            self.policy = policy
            self.maxEntryFraction = maxEntryFraction
            self.perEntryOverhead = perEntryOverhead
            self.shardCount = shardCount
        }

        /// A tier bounded only by entry count, each entry weighing 1 (trace simulation).
        public static func entries(_ count: Int, policy: EvictionPolicy, shardCount: Int = 1) -> Configuration {
            Configuration(maxBytes: nil, maxEntries: count, policy: policy, maxEntryFraction: 1, shardCount: shardCount)
        }

        /// Checks the bounds; the message names the offending setting.
        public func validate() throws(MemoryTierError) {
            if maxBytes == nil && maxEntries == nil {
                throw MemoryTierError("memory tier needs maxBytes or maxEntries")
            }
            if let maxBytes, maxBytes < 1 { throw MemoryTierError("maxBytes must be positive, got \(maxBytes)") }
            if let maxEntries, maxEntries < 1 {
                throw MemoryTierError("maxEntries must be positive, got \(maxEntries)")
            }
            if !(maxEntryFraction > 0 && maxEntryFraction <= 1) {
                throw MemoryTierError("maxEntryFraction must be in (0, 1], got \(maxEntryFraction)")
            }
            if perEntryOverhead < 0 { throw MemoryTierError("perEntryOverhead must not be negative") }
            if let shardCount, shardCount < 1 || shardCount > 1024 || shardCount & (shardCount - 1) != 0 {
                throw MemoryTierError("shardCount must be a power of two in 1...1024, got \(shardCount)")
            }
        }

        /// The shard count in force: the configured one, or the largest power of two up to 16 that
        /// leaves every shard at least 4 MiB (or 4,096 entries).
        var effectiveShardCount: Int {
            if let shardCount { return shardCount }
            let byBytes = maxBytes.map { $0 / (4 * 1024 * 1024) } ?? Int.max
            let byEntries = maxEntries.map { $0 / 4096 } ?? Int.max
            var count = 1
            while count < 16 && count * 2 <= min(byBytes, byEntries) { count *= 2 }
            return count
        }
    }
}

/// A configuration the memory tier cannot run with.
public struct MemoryTierError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
