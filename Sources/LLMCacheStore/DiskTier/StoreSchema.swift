import LLMCacheCore
import LMDB

/// The databases of a store and the bookkeeping every change of a record goes through, inside
/// one write transaction: the record, its last-access time (`access`), its place in access
/// order (`lru`: access time big-endian ‖ key, so a cursor walks oldest first), its place in the
/// request index (`requests`: route digest ‖ model digest ‖ key, for records that know their
/// request — the candidates when a miss is explained) and the totals.
struct StoreSchema: Sendable {
    /// Whether access order is kept (only a size-bounded store needs it; it costs three B-tree
    /// writes per put). A store opened unbounded after being bounded drops stale order entries
    /// lazily: `deleteRecord` still removes them.
    let tracksAccess: Bool
    let records: LMDBDatabase
    let access: LMDBDatabase
    let lru: LMDBDatabase
    let dictionaries: LMDBDatabase
    let meta: LMDBDatabase
    let requests: LMDBDatabase

    static let formatKey = Array("format".utf8)
    static let bytesKey = Array("bytes".utf8)
    static let rawKey = Array("raw".utf8)
    static let dictionaryKey = Array("dictionary".utf8)
    /// 2: records may carry a request section and are indexed in `requests`. A format-1 store
    /// is upgraded on open (its records have no request section, so there is nothing to index).
    static let formatVersion: UInt32 = 2
    static let readableFormats: ClosedRange<UInt32> = 1...2

    /// Running sums over all records: stored bytes (records as written) and raw payload bytes.
    struct Totals {
        var bytes: Int
        var raw: Int
    }

    static func open(_ environment: LMDBEnvironment, tracksAccess: Bool) throws -> StoreSchema {
        let schema = StoreSchema(
            tracksAccess: tracksAccess,
            records: try environment.openDatabase("records"),
            access: try environment.openDatabase("access"),
            lru: try environment.openDatabase("lru"),
            dictionaries: try environment.openDatabase("dictionaries"),
            meta: try environment.openDatabase("meta"),
            requests: try environment.openDatabase("requests")
        )
        try environment.write { transaction in
            if let format = try transaction.get(schema.meta, key: formatKey) {
                let version = format.count == 4 ? format.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) } : 0
                let found = UInt32(littleEndian: version)
                guard readableFormats.contains(found) else {
                    throw RecordError("store format \(found) is not supported (this build reads \(readableFormats))")
                }
                if found < formatVersion {
                    try transaction.put(schema.meta, key: formatKey, value: encode(UInt32(formatVersion)))
                }
            } else {
                try transaction.put(schema.meta, key: formatKey, value: encode(UInt32(formatVersion)))
            }
        }
        return schema
    }

    func totals(_ transaction: LMDBTransaction) throws -> Totals {
        Totals(
            bytes: Int(try readUInt64(transaction, Self.bytesKey)),
            raw: Int(try readUInt64(transaction, Self.rawKey)))
    }

    func store(_ totals: Totals, _ transaction: LMDBTransaction) throws {
        try transaction.put(meta, key: Self.bytesKey, value: Self.encode(UInt64(max(0, totals.bytes))))
        try transaction.put(meta, key: Self.rawKey, value: Self.encode(UInt64(max(0, totals.raw))))
    }

    /// Writes `record` under `key` (replacing any old one) and marks it accessed at `time`.
    func putRecord(
        _ key: CacheKey, _ record: [UInt8], time: UInt64, totals: inout Totals, _ transaction: LMDBTransaction
    ) throws {
        _ = try deleteRecord(key, totals: &totals, transaction)
        try transaction.put(records, key: key.bytes, value: record)
        totals.bytes += record.count
        totals.raw += record.withUnsafeBytes { Self.rawLength(of: $0) }
        if tracksAccess { try setAccess(key, time: time, transaction) }
        if let indexKey = record.withUnsafeBytes({ Self.requestIndexKey(of: $0, key: key) }) {
            try transaction.put(requests, key: indexKey, value: [])
        }
    }

    /// Deletes the record under `key` with its access bookkeeping; returns whether it existed.
    func deleteRecord(_ key: CacheKey, totals: inout Totals, _ transaction: LMDBTransaction) throws -> Bool {
        let keyBytes = key.bytes
        guard
            let (size, raw, indexKey) = try transaction.withValue(
                records, key: keyBytes, { ($0.count, Self.rawLength(of: $0), Self.requestIndexKey(of: $0, key: key)) })
        else { return false }
        try transaction.delete(records, key: keyBytes)
        if let indexKey { try transaction.delete(requests, key: indexKey) }
        totals.bytes -= size
        totals.raw -= raw
        if let old = try transaction.get(access, key: keyBytes) {
            try transaction.delete(lru, key: Self.lruKey(time: Self.decodeUInt64(old), key: key))
            try transaction.delete(access, key: keyBytes)
        }
        return true
    }

    /// Moves `key` to `time` in access order (no-op when the record is gone).
    func touch(_ key: CacheKey, time: UInt64, _ transaction: LMDBTransaction) throws {
        guard tracksAccess else { return }
        let keyBytes = key.bytes
        guard try transaction.withValue(records, key: keyBytes, { _ in true }) != nil else { return }
        try setAccess(key, time: time, transaction)
    }

    private func setAccess(_ key: CacheKey, time: UInt64, _ transaction: LMDBTransaction) throws {
        let keyBytes = key.bytes
        if let old = try transaction.get(access, key: keyBytes) {
            let oldTime = Self.decodeUInt64(old)
            if oldTime == time { return }
            try transaction.delete(lru, key: Self.lruKey(time: oldTime, key: key))
        }
        try transaction.put(access, key: keyBytes, value: Self.encode(time))
        try transaction.put(lru, key: Self.lruKey(time: time, key: key), value: [])
    }

    /// Keys in access order, least recent first, until `body` returns false.
    func forEachLeastRecent(_ transaction: LMDBTransaction, _ body: (CacheKey) throws -> Bool) throws {
        try transaction.forEach(lru) { key, _ in
            guard key.count == 40, let cacheKey = CacheKey(digest: key[8..<40]) else { return true }
            return try body(cacheKey)
        }
    }

    /// The stored size of the record under `key`.
    func recordSize(_ key: CacheKey, _ transaction: LMDBTransaction) throws -> Int? {
        try transaction.withValue(records, key: key.bytes) { $0.count }
    }

    /// Keys in the request index under `prefix` (a route digest, or route ‖ model digest), with
    /// the model digest of each, until `body` returns false.
    func forEachIndexed(
        _ prefix: [UInt8], _ transaction: LMDBTransaction, _ body: (_ model: [UInt8], CacheKey) throws -> Bool
    ) throws {
        try transaction.forEach(requests, from: prefix) { key, _ in
            guard key.count == 48, key.starts(with: prefix) else { return false }
            guard let cacheKey = CacheKey(digest: key[16..<48]) else { return true }
            return try body(Array(key[8..<16]), cacheKey)
        }
    }

    // MARK: - Encodings

    /// route digest ‖ model digest ‖ key, for a record with a request section; else `nil`.
    static func requestIndexKey(of record: UnsafeRawBufferPointer, key: CacheKey) -> [UInt8]? {
        guard let header = try? RecordCodec.header(of: record, verifyChecksum: false), let request = header.request
        else { return nil }
        return request.routeDigest(namespace: header.namespace) + request.modelDigest + key.bytes
    }

    static func lruKey(time: UInt64, key: CacheKey) -> [UInt8] {
        withUnsafeBytes(of: time.bigEndian) { Array($0) } + key.bytes
    }

    static func encode<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.littleEndian) { Array($0) }
    }

    static func decodeUInt64(_ bytes: [UInt8]) -> UInt64 {
        guard bytes.count == 8 else { return 0 }
        return UInt64(littleEndian: bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
    }

    func readUInt64(_ transaction: LMDBTransaction, _ key: [UInt8]) throws -> UInt64 {
        try transaction.get(meta, key: key).map(Self.decodeUInt64) ?? 0
    }

    /// The raw payload length a record's header claims (0 if the header is unreadable).
    static func rawLength(of record: UnsafeRawBufferPointer) -> Int {
        guard record.count >= RecordFormat.headerLength else { return 0 }
        return Int(
            UInt32(littleEndian: record.loadUnaligned(fromByteOffset: RecordFormat.Offset.rawLength, as: UInt32.self)))
    }
}
