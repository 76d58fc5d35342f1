import LLMCacheCore
import LMDB
import Logging
import Synchronization
import Zstd

#if canImport(Glibc)
    import Glibc
#endif

/// The persistent L2 tier: one LMDB environment of zstd-compressed, checksummed records.
///
/// Reads run concurrently on the caller's thread (a read transaction, bytes copied out, decoded
/// after it ends). Writes never block the caller: `put` and `remove` queue the change, which is
/// visible to `get` at once, and the writer (``DiskTierWriter``, or ``flush()``) commits everything
/// queued in one transaction (group commit) off the request path. A record that fails its
/// checksum, header or decompression is a miss: counted, logged, deleted — never served.
public final class DiskTier: Sendable {
    public let configuration: Configuration
    let environment: LMDBEnvironment
    let schema: StoreSchema
    let clock: any WallClock
    let logger: Logger
    let contexts: ZstdContextPool
    let counters = DiskTierCounters()
    /// The write queue's state machine (``DiskWriteQueue``) under its lock.
    let queue: Mutex<DiskWriteQueue<CheckedContinuation<Void, Never>>>
    /// Held for the duration of a commit or maintenance transaction: one at a time.
    let commitLock = Mutex(())
    let dictionaries: Mutex<DictionarySet>
    /// What the writes since the start compressed to, per dictionary id (0: none).
    let dictionaryUsage = Mutex([UInt32: DictionaryUsage]())
    let wakeups: AsyncStream<Void>
    let wakeup: AsyncStream<Void>.Continuation

    /// A queued change of one key; the last one queued wins.
    enum PendingChange: Sendable {
        case put(CacheEntry)
        case remove(DiskRemovalReason)
    }

    struct DictionarySet: Sendable {
        var byID: [UInt32: ZstdDictionary] = [:]
        var current: ZstdDictionary?
    }

    /// Opens (creating if needed) the store in `configuration.directory`.
    public init(
        configuration: Configuration, clock: any WallClock = SystemClock(),
        logger: Logger = Logger(label: "llmcache.disk")
    ) throws {
        guard configuration.maximumEntryBytes > 0, configuration.maximumEntryBytes <= Int(UInt32.max) else {
            throw RecordError("maximumEntryBytes must be in 1...\(UInt32.max)")
        }
        if let maxBytes = configuration.maxBytes, maxBytes < 1 { throw RecordError("maxBytes must be positive") }
        guard configuration.lowWatermark > 0, configuration.lowWatermark <= 1 else {
            throw RecordError("lowWatermark must be in (0, 1]")
        }
        try Self.makeDirectory(configuration.directory)
        try StoreFileCheck.check(directory: configuration.directory)
        var flags: LMDBEnvironmentFlags = [.noReadahead]
        switch configuration.sync {
        case .full: break
        case .meta: flags.insert(.noMetaSync)
        case .none: flags.insert(.noSync)
        }
        self.environment = try LMDBEnvironment(
            path: configuration.directory,
            options: .init(
                mapSize: configuration.initialMapSize, maximumMapSize: configuration.maximumMapSize, flags: flags))
        self.schema = try StoreSchema.open(environment, tracksAccess: configuration.maxBytes != nil)
        self.configuration = configuration
        self.queue = Mutex(DiskWriteQueue(maximumPendingBytes: configuration.maximumPendingBytes))
        self.clock = clock
        self.logger = logger
        self.contexts = ZstdContextPool(level: configuration.compressionLevel)
        self.dictionaries = Mutex(try Self.loadDictionaries(environment, schema, level: configuration.compressionLevel))
        (self.wakeups, self.wakeup) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// The live entry for `key`, or `nil`: absent, expired, or unreadable (then also removed).
    /// Decodes on the caller's thread; ``lookup(_:)`` moves large records off it.
    public func get(_ key: CacheKey) -> CacheEntry? {
        switch read(key) {
        case .answered(let entry): return entry
        case .record(let record, let now): return decoded(key, record, now: now)
        }
    }

    /// What ``read(_:)`` found: the answer already (a queued write, an absent key, a failed
    /// read), or a record still to be decoded.
    enum Read {
        case answered(CacheEntry?)
        case record([UInt8], now: Timestamp)
    }

    /// The queued change for `key`, or its record as stored (one LMDB read: a copy out of the map).
    func read(_ key: CacheKey) -> Read {
        let now = clock.now()
        if let change = queue.withLock({ $0.change(of: key) }) {
            if case .put(let entry) = change, !entry.isExpired(at: now) {
                counters.hits.add(1, ordering: .relaxed)
                return .answered(entry)
            }
            counters.misses.add(1, ordering: .relaxed)
            return .answered(nil)
        }
        let record: [UInt8]?
        do {
            record = try environment.read { try $0.get(schema.records, key: key.bytes) }
        } catch {
            logger.error("disk tier read failed", metadata: ["key": "\(key)", "error": "\(error)"])
            counters.misses.add(1, ordering: .relaxed)
            return .answered(nil)
        }
        guard let record else {
            counters.misses.add(1, ordering: .relaxed)
            return .answered(nil)
        }
        return .record(record, now: now)
    }

    /// Decodes (and decompresses) a record read at `now`: the entry, or nil when it is corrupt
    /// or expired (then its removal is queued).
    func decoded(_ key: CacheKey, _ record: [UInt8], now: Timestamp) -> CacheEntry? {
        let entry: CacheEntry
        do {
            entry = try decode(record)
        } catch {
            counters.corruptRecords.add(1, ordering: .relaxed)
            counters.misses.add(1, ordering: .relaxed)
            logger.warning(
                "corrupt record treated as a miss and removed", metadata: ["key": "\(key)", "error": "\(error)"])
            enqueueIfIdle(key, .remove(.corrupt))
            return nil
        }
        if entry.isExpired(at: now) {
            counters.misses.add(1, ordering: .relaxed)
            enqueueIfIdle(key, .remove(.ttl))
            return nil
        }
        countHit(key, now: now)
        return entry
    }

    /// The live entry for `key` counted as a hit, when it is queued or its record is small
    /// enough to decode on the caller's thread (under ``offloadedDecodeBytes``); nil — absent,
    /// expired, unreadable, corrupt or large — counting nothing and changing nothing, for a full
    /// ``lookup(_:)`` to decide, count and clean up.
    public func hitIfPresent(_ key: CacheKey, aliveAt: Timestamp? = nil) -> CacheEntry? {
        let now = clock.now()
        let young = { (entry: CacheEntry) in !(aliveAt.map { entry.isExpired(at: $0) } ?? false) }
        if let change = queue.withLock({ $0.change(of: key) }) {
            guard case .put(let entry) = change, !entry.isExpired(at: now), young(entry) else { return nil }
            counters.hits.add(1, ordering: .relaxed)
            return entry
        }
        guard let record = try? environment.read({ try $0.get(schema.records, key: key.bytes) }),
            record.count < Self.offloadedDecodeBytes,
            let entry = try? decode(record), !entry.isExpired(at: now), young(entry)
        else { return nil }
        countHit(key, now: now)
        return entry
    }

    private func countHit(_ key: CacheKey, now: Timestamp) {
        counters.hits.add(1, ordering: .relaxed)
        if configuration.maxBytes != nil {
            let seconds = UInt64(max(0, now.nanosecondsSinceEpoch / 1_000_000_000))
            queue.withLock { $0.noteAccess(key, seconds: seconds) }
        }
    }

    /// Queues `entry` for storage under `key`. Returns `false` when it was refused (larger than
    /// `maximumEntryBytes`, or already expired) or dropped (the queue is full).
    @discardableResult
    public func put(_ key: CacheKey, _ entry: CacheEntry) -> Bool {
        let size = entry.contentByteCount
        guard size <= configuration.maximumEntryBytes, !entry.isExpired(at: clock.now()) else {
            counters.rejections.add(1, ordering: .relaxed)
            enqueue(key, .remove(.explicit))
            return false
        }
        switch queue.withLock({ $0.enqueue(key, .put(entry), size: size) }) {
        case .queued(let wake):
            if wake { wakeup.yield() }
            return true
        case .dropped:
            counters.droppedWrites.add(1, ordering: .relaxed)
            return false
        }
    }

    /// Queues the removal of `key`.
    public func remove(_ key: CacheKey) {
        enqueue(key, .remove(.explicit))
    }

    /// Counters plus the store's current totals.
    public var stats: DiskTierStats {
        var stats = counters.snapshot()
        if let (entries, totals) = try? environment.read({ transaction in
            (try transaction.count(schema.records), try schema.totals(transaction))
        }) {
            stats.entries = entries
            stats.bytes = totals.bytes
            stats.rawBytes = totals.raw
        }
        stats.bytesOnDisk = environment.usedBytes
        stats.pendingWrites = queue.withLock { $0.count }
        stats.dictionaries = dictionaryReports
        return stats
    }

    /// Zeroes the counters.
    public func resetStats() { counters.reset() }

    // MARK: - Internals

    func decode(_ record: [UInt8]) throws -> CacheEntry {
        try contexts.withDecompressor { decompressor in
            try record.withUnsafeBytes { bytes in
                try RecordCodec.decode(
                    bytes, decompressor: decompressor, maximumRawLength: configuration.maximumEntryBytes + 65_536,
                    dictionary: { id in dictionaries.withLock { $0.byID[id] } })
            }
        }
    }

    func enqueue(_ key: CacheKey, _ change: PendingChange) {
        if case .queued(wake: true) = queue.withLock({ $0.enqueue(key, change) }) { wakeup.yield() }
    }

    /// Queues `change` unless a newer change of `key` is already queued.
    private func enqueueIfIdle(_ key: CacheKey, _ change: PendingChange) {
        if queue.withLock({ $0.enqueueUnlessChanged(key, change) }) { wakeup.yield() }
    }

    private static func makeDirectory(_ path: String) throws {
        var components: [Substring] = []
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            components.append(component)
            current += "/" + component
            if mkdir(current, 0o755) != 0 && errno != EEXIST {
                throw RecordError("cannot create store directory \(current): \(String(cString: strerror(errno)))")
            }
        }
    }

    private static func loadDictionaries(_ environment: LMDBEnvironment, _ schema: StoreSchema, level: Int32) throws
        -> DictionarySet
    {
        try environment.read { transaction in
            var set = DictionarySet()
            try transaction.forEach(schema.dictionaries) { _, value in
                if let dictionary = try? ZstdDictionary(bytes: Array(value), level: level) {
                    set.byID[dictionary.id] = dictionary
                }
                return true
            }
            if let current = try transaction.get(schema.meta, key: StoreSchema.dictionaryKey), current.count == 4 {
                let id = UInt32(littleEndian: current.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) })
                set.current = set.byID[id]
            }
            return set
        }
    }
}
