import LLMCacheCore
import LMDB
import Zstd

extension DiskTier {
    /// Trains a zstd dictionary from up to `sampleLimit` stored records, and at most
    /// `sampleBytes` of them (their uncompressed payloads: metadata and body; records are keyed
    /// by hash, so the first ones in key order are a random sample), stores it, and makes it
    /// the dictionary for new writes. Records written earlier keep the id of the dictionary (or
    /// none) they were written with, so they stay readable. Returns the new dictionary's id.
    /// Blocks; safe while the store serves (a read transaction, then one short write).
    @discardableResult
    public func trainDictionary(sampleLimit: Int = 5_000, sampleBytes: Int = 8 << 20, capacity: Int = 64 * 1024)
        throws -> UInt32
    {
        commitPending()
        var records: [[UInt8]] = []
        var taken = 0
        try environment.read { transaction in
            try transaction.forEach(schema.records) { _, value in
                records.append(Array(value))
                taken += value.count
                return records.count < sampleLimit && taken < sampleBytes
            }
        }
        let samples: [[UInt8]] = records.compactMap { record in
            guard let entry = try? decode(record) else { return nil }
            return RecordPayload.encode(entry)
        }
        guard samples.count >= 10 else {
            throw RecordError("need at least 10 readable records to train a dictionary, the store has \(samples.count)")
        }
        let bytes = try ZstdDictionary.train(samples: samples, capacity: capacity)
        let dictionary = try ZstdDictionary(bytes: bytes, level: configuration.compressionLevel)
        try commitLock.withLock { _ in
            try environment.write { transaction in
                try transaction.put(schema.dictionaries, key: StoreSchema.encode(dictionary.id), value: bytes)
                try transaction.put(
                    schema.meta, key: StoreSchema.dictionaryKey, value: StoreSchema.encode(dictionary.id))
            }
        }
        dictionaries.withLock { set in
            set.byID[dictionary.id] = dictionary
            set.current = dictionary
        }
        return dictionary.id
    }

    /// The id of the dictionary new writes use (nil: none).
    public var currentDictionaryID: UInt32? { dictionaries.withLock { $0.current?.id } }

    /// Every dictionary the store has (and id 0 when records were written without one since
    /// the start), with what the writes since the start compressed to; by id.
    public var dictionaryReports: [DictionaryReport] {
        let usage = dictionaryUsage.withLock { $0 }
        let (known, current) = dictionaries.withLock { (Set($0.byID.keys), $0.current?.id) }
        return known.union(usage.keys).sorted().map {
            DictionaryReport(id: $0, isCurrent: $0 == current, usage: usage[$0] ?? DictionaryUsage())
        }
    }
}

extension DiskTier {
    /// The store's secret for tenant scopes (``TenantScope``), created on first use (as
    /// `configuration.tenantScope` says: portable by default). Kept in the store so scopes, and
    /// so keys, are stable across restarts; never exported.
    public func tenantSecret() throws -> [UInt8] {
        let name = Array("tenant-secret".utf8)
        if let secret = try environment.read({ try $0.get(schema.meta, key: name) }), secret.count == 32 {
            return secret
        }
        return try commitLock.withLock { _ in
            try environment.write { transaction in
                if let secret = try transaction.get(schema.meta, key: name), secret.count == 32 { return secret }
                let secret = configuration.tenantScope.newSecret()
                try transaction.put(schema.meta, key: name, value: secret)
                return secret
            }
        }
    }

    /// Replaces the store's tenant secret (a shared tier's, so keys match every instance's).
    public func replaceTenantSecret(_ secret: [UInt8]) throws {
        precondition(secret.count == 32, "tenant secrets are 32 bytes")
        let name = Array("tenant-secret".utf8)
        try commitLock.withLock { _ in
            try environment.write { transaction in try transaction.put(schema.meta, key: name, value: secret) }
        }
    }
}
