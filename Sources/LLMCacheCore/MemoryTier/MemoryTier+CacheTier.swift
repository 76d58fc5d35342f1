/// The memory tier as a ``CacheTier``: every operation is synchronous and short (one shard lock),
/// so it never suspends.
extension MemoryTier: MemoryBoundedTier {
    public var name: String { "memory" }

    public func lookup(_ key: CacheKey) async throws -> CacheEntry? { get(key) }

    @discardableResult
    public func store(_ key: CacheKey, _ entry: CacheEntry) async -> Bool { put(key, entry) }

    public func holds(_ key: CacheKey) async -> Bool { contains(key) }

    @discardableResult
    public func evict(_ key: CacheKey) async -> Bool { remove(key) }

    public func purge(namespace: String) async throws -> Int { removeAll(namespace: namespace) }

    public func purgeAll() async throws -> Int { removeAll() }

    public var counts: TierCounts {
        let stats = self.stats
        return TierCounts(hits: stats.hits, misses: stats.misses, entries: stats.entries, bytes: stats.bytes)
    }

    public var accountedBytes: Int { stats.bytes }
}
