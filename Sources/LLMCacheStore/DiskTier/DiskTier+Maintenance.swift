import LLMCacheCore
import LMDB

extension DiskTier {
    /// Deletes up to `limit` expired records; returns how many. Blocks: run it off the request
    /// path (``DiskTierWriter`` does, periodically).
    @discardableResult
    public func sweepExpired(limit: Int = 10_000) throws -> Int {
        let now = clock.now()
        let expired: [CacheKey] = try environment.read { transaction in
            var keys: [CacheKey] = []
            try transaction.forEach(schema.records) { key, value in
                if let header = try? RecordCodec.header(of: value, verifyChecksum: false),
                    let expiresAt = header.expiresAt, now >= expiresAt, let cacheKey = CacheKey(digest: key)
                {
                    keys.append(cacheKey)
                }
                return keys.count < limit
            }
            return keys
        }
        guard !expired.isEmpty else { return 0 }
        return try removeRecords(expired, reason: .ttl) { record in
            guard let header = try? RecordCodec.header(of: record, verifyChecksum: false) else { return false }
            return header.expiresAt.map { now >= $0 } ?? false
        }
    }

    /// Removes every record stored under `namespace` (queued changes are committed first);
    /// returns how many. Blocks; reads only record headers, nothing is decompressed.
    @discardableResult
    public func removeAll(namespace: String) throws -> Int {
        try removeAll { $0.namespace == namespace }
    }

    /// Removes every record whose header (namespace, times, request section) satisfies
    /// `matches` (queued changes are committed first); returns how many. Blocks; nothing is
    /// decompressed. Records with an unreadable header are left alone (``verify()`` names them).
    @discardableResult
    public func removeAll(matching matches: (RecordHeader) -> Bool) throws -> Int {
        commitPending()
        let keys: [CacheKey] = try environment.read { transaction in
            var keys: [CacheKey] = []
            try transaction.forEach(schema.records) { key, value in
                if let header = try? RecordCodec.header(of: value, verifyChecksum: false), matches(header),
                    let cacheKey = CacheKey(digest: key)
                {
                    keys.append(cacheKey)
                }
                return true
            }
            return keys
        }
        return try removeRecords(keys, reason: .explicit) { record in
            (try? RecordCodec.header(of: record, verifyChecksum: false)).map(matches) ?? false
        }
    }

    /// Removes every record; returns how many. Blocks.
    @discardableResult
    public func removeAll() throws -> Int {
        let drained = queue.withLock { $0.discardPending() }
        for waiter in drained { waiter.resume() }
        let removed = try commitLock.withLock { _ in
            try environment.write { transaction in
                let count = try transaction.count(schema.records)
                try transaction.removeAll(schema.records)
                try transaction.removeAll(schema.access)
                try transaction.removeAll(schema.lru)
                try transaction.removeAll(schema.requests)
                try schema.store(.init(bytes: 0, raw: 0), transaction)
                return count
            }
        }
        counters.removed(.explicit, removed)
        return removed
    }

    /// Writes a compacted copy of the store (free pages dropped) into the empty directory `path`.
    public func compact(to path: String) throws {
        commitPending()
        try environment.copy(to: path, compact: true)
    }

    /// Reads and fully decodes every record, and checks that each record that knows its request
    /// is stored under that request's key. Returns the keys of the bad ones with the reason;
    /// removes nothing.
    public func verify() throws -> (checked: Int, bad: [(key: String, reason: String)]) {
        commitPending()
        var records: [([UInt8], [UInt8])] = []
        try environment.read { transaction in
            try transaction.forEach(schema.records) { key, value in
                records.append((Array(key), Array(value)))
                return true
            }
        }
        var bad: [(key: String, reason: String)] = []
        for (key, value) in records {
            let name = CacheKey(digest: key)?.hex ?? "key of \(key.count) bytes"
            do {
                let entry = try decode(value)
                // A record that knows its request must sit under the key that request gives.
                if entry.recipeVersion == CacheKeyRecipe.version, let recipe = entry.keyRecipe, recipe.key.bytes != key
                {
                    bad.append((name, "stored under another key than its request gives (\(recipe.key.hex))"))
                }
            } catch {
                bad.append((name, "\(error)"))
            }
        }
        return (records.count, bad)
    }

    /// Deletes `keys` in one transaction where `stillMatches` holds for the stored record.
    private func removeRecords(
        _ keys: [CacheKey], reason: DiskRemovalReason, stillMatches: (UnsafeRawBufferPointer) -> Bool
    ) throws -> Int {
        let removed = try commitLock.withLock { _ in
            try environment.write { transaction in
                var totals = try schema.totals(transaction)
                var removed = 0
                for key in keys {
                    guard try transaction.withValue(schema.records, key: key.bytes, stillMatches) == true else {
                        continue
                    }
                    if try schema.deleteRecord(key, totals: &totals, transaction) { removed += 1 }
                }
                try schema.store(totals, transaction)
                return removed
            }
        }
        counters.removed(reason, removed)
        return removed
    }
}
