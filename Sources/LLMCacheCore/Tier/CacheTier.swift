/// One level of the cache, as the tiered cache, the admin API and the governor see it: entries
/// (status, headers and body bytes) by key, asynchronous so a tier may be a file, a database or
/// a network service, and sized in bytes. The memory tier, the disk tier and a shared tier
/// satisfy it; ``TieredCache`` in LLMCacheStore orders them fastest first.
///
/// The operations are named apart from each tier's own synchronous API (`get`, `put`, ...), which
/// stays for the callers that know the tier they hold.
public protocol CacheTier: AnyObject, Sendable {
    /// The tier's name in `/stats`, purge reports and `x-llmcache-tier`: "memory", "disk", ...
    var name: String { get }
    /// The live entry for `key`; nil when it is absent or expired. A tier that cannot answer
    /// (a broken connection) throws; a damaged record is a miss.
    func lookup(_ key: CacheKey) async throws -> CacheEntry?
    /// Stores `entry`; false when the tier refused or dropped it. It may return before the entry
    /// is durable (see the tier's own documentation).
    @discardableResult func store(_ key: CacheKey, _ entry: CacheEntry) async -> Bool
    /// Whether the tier holds `key` (live or not yet swept).
    func holds(_ key: CacheKey) async -> Bool
    /// Removes `key`; whether the tier held it.
    @discardableResult func evict(_ key: CacheKey) async -> Bool
    /// Removes every entry of `namespace`; how many there were.
    func purge(namespace: String) async throws -> Int
    /// Removes every entry; how many there were.
    func purgeAll() async throws -> Int
    /// Lookups, hits and size, for the hit rate every tier reports.
    var counts: TierCounts { get }
    /// Zeroes the tier's counters (its contents stay).
    func resetStats()
}

/// A tier that lives in this process's memory, whose size the memory governor changes.
public protocol MemoryBoundedTier: CacheTier {
    /// The bytes the tier accounts for its entries now.
    var accountedBytes: Int { get }
    /// Caps the tier at `bytes` (evicting down to it) without changing its configured size.
    func setByteLimit(_ bytes: Int)
}

/// The counters every tier reports.
public struct TierCounts: Sendable, Equatable {
    public var hits: Int
    public var misses: Int
    public var entries: Int
    public var bytes: Int

    public init(hits: Int, misses: Int, entries: Int, bytes: Int) {
        self.hits = hits
        self.misses = misses
        self.entries = entries
        self.bytes = bytes
    }

    public var hitRatio: Double {
        hits + misses == 0 ? 0 : Double(hits) / Double(hits + misses)
    }
}
