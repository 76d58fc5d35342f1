import NIOCore

@testable import LLMCacheCore

/// An entry whose body has `size` bytes, tagged with `marker` so values can be told apart.
func makeEntry(
    size: Int = 16, marker: UInt8 = 0, namespace: String = "", createdAt: Timestamp = Timestamp(secondsSinceEpoch: 0),
    expiresAt: Timestamp? = nil
) -> CacheEntry {
    CacheEntry(
        namespace: namespace,
        body: ByteBuffer(repeating: marker, count: size),
        createdAt: createdAt,
        expiresAt: expiresAt
    )
}

/// Accounted size of `entry` in a tier with the default overhead.
func accountedBytes(_ entry: CacheEntry, overhead: Int = MemoryTier.defaultPerEntryOverhead) -> Int {
    MemoryTier.accountedBytes(of: entry, perEntryOverhead: overhead)
}

func key(_ identifier: Int) -> CacheKey { CacheKey(identifier: UInt64(identifier)) }
