import LLMCacheCore
import NIOPosix

/// The disk tier as a ``CacheTier``. A lookup reads its record in place (an LMDB read is a
/// copy out of the memory map); a record of ``offloadedDecodeBytes`` or more is decompressed on
/// NIO's blocking-I/O pool, not on the cooperative pool that serves requests. Purges rewrite the
/// store, so they run on that pool too. Stores and evictions are queued for the writer.
extension DiskTier: CacheTier {
    /// Records at least this large (compressed) are decoded off the cooperative pool.
    public static let offloadedDecodeBytes = 64 << 10

    public var name: String { "disk" }

    public func lookup(_ key: CacheKey) async throws -> CacheEntry? {
        switch read(key) {
        case .answered(let entry): return entry
        case .record(let record, let now) where record.count < Self.offloadedDecodeBytes:
            return decoded(key, record, now: now)
        case .record(let record, let now):
            return try await NIOThreadPool.singleton.runIfActive { self.decoded(key, record, now: now) }
        }
    }

    @discardableResult
    public func store(_ key: CacheKey, _ entry: CacheEntry) async -> Bool { put(key, entry) }

    public func holds(_ key: CacheKey) async -> Bool { contains(key) }

    @discardableResult
    public func evict(_ key: CacheKey) async -> Bool {
        let held = contains(key)
        remove(key)
        return held
    }

    public func purge(namespace: String) async throws -> Int {
        try await NIOThreadPool.singleton.runIfActive { try self.removeAll(namespace: namespace) }
    }

    public func purgeAll() async throws -> Int {
        try await NIOThreadPool.singleton.runIfActive { try self.removeAll() }
    }

    public var counts: TierCounts {
        let stats = self.stats
        return TierCounts(hits: stats.hits, misses: stats.misses, entries: stats.entries, bytes: stats.bytes)
    }
}
