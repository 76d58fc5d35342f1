import LLMCacheCore
import LMDB

extension DiskTier {
    /// One stored record met by ``scan(where:_:)``: its key, its header (read without
    /// decompressing) and its entry, or why the entry could not be decoded.
    public struct ScannedRecord: Sendable {
        public var key: CacheKey
        public var header: RecordHeader
        public var entry: Result<CacheEntry, RecordError>

        public init(key: CacheKey, header: RecordHeader, entry: Result<CacheEntry, RecordError>) {
            self.key = key
            self.header = header
            self.entry = entry
        }

        /// The scanned form of `record` stored under `key`, whose header was read (nil: it could
        /// not be) and which `decode` decodes. A record whose header is unreadable is a failure
        /// under a zeroed header.
        init(key: CacheKey, header: RecordHeader?, record: [UInt8], decode: ([UInt8]) throws -> CacheEntry) {
            guard let header else {
                let unreadable = RecordHeader(
                    flags: 0, namespace: "", createdAt: Timestamp(nanosecondsSinceEpoch: 0), expiresAt: nil,
                    dictionaryID: 0, rawLength: 0, storedLength: 0, totalLength: record.count)
                let reason = record.withUnsafeBytes { bytes -> RecordError in
                    do {
                        _ = try RecordCodec.header(of: bytes)
                        return RecordError("unreadable header")
                    } catch { return (error as? RecordError) ?? RecordError("\(error)") }
                }
                self.init(key: key, header: unreadable, entry: .failure(reason))
                return
            }
            let entry: Result<CacheEntry, RecordError>
            do { entry = .success(try decode(record)) } catch let error as RecordError {
                entry = .failure(error)
            } catch { entry = .failure(RecordError("\(error)")) }
            self.init(key: key, header: header, entry: entry)
        }
    }

    /// Visits the committed records whose header satisfies `matches`, in key order, in pages of
    /// `pageSize` (see ``scanPage(after:where:pageSize:)``), so `body` may do I/O. Blocks: for
    /// command-line tools and the blocking-I/O pool.
    public func scan(
        where matches: (RecordHeader) -> Bool = { _ in true }, pageSize: Int = 256,
        _ body: (ScannedRecord) throws -> Void
    ) throws {
        var position: ScanPosition? = nil
        repeat {
            let page = try scanPage(after: position, where: matches, pageSize: pageSize)
            for record in page.records { try body(record) }
            position = page.next
        } while position != nil
    }

    /// Where a scan goes on: after the last key a page looked at.
    public struct ScanPosition: Sendable, Equatable {
        let lastKey: [UInt8]
    }

    /// Up to `pageSize` records after `position` (from the first key when nil) whose header
    /// satisfies `matches`, copied out of one short read transaction and decoded after it ends,
    /// and the position of the next page (nil at the end). Records whose header is unreadable
    /// are returned as failures under a zeroed header. Blocks.
    public func scanPage(
        after position: ScanPosition?, where matches: (RecordHeader) -> Bool = { _ in true }, pageSize: Int = 256
    ) throws -> (records: [ScannedRecord], next: ScanPosition?) {
        let start = position?.lastKey
        var page: [(CacheKey, RecordHeader?, [UInt8])] = []
        var last: [UInt8]?
        try environment.read { transaction in
            try transaction.forEach(schema.records, from: start) { key, value in
                if let start, key.elementsEqual(start) { return true }
                last = Array(key)
                guard let cacheKey = CacheKey(digest: key) else { return true }
                let header = try? RecordCodec.header(of: value, verifyChecksum: false)
                if header.map(matches) ?? true { page.append((cacheKey, header, Array(value))) }
                return page.count < pageSize
            }
        }
        let records = page.map { key, header, record in
            ScannedRecord(key: key, header: header, record: record, decode: decode)
        }
        guard let last, last != start else { return (records, nil) }
        return (records, ScanPosition(lastKey: last))
    }

    /// Whether `key` is stored (committed or queued), expired or not. Counts no hit or miss.
    public func contains(_ key: CacheKey) -> Bool {
        if let change = queue.withLock({ $0.change(of: key) }) {
            if case .put = change { return true }
            return false
        }
        return (try? environment.read { try $0.get(schema.records, key: key.bytes) != nil }) ?? false
    }
}
