import LLMCacheCore
import LMDB

extension DiskTier {
    /// One stored record met by ``scan(where:_:)``: its key, its header (read without
    /// decompressing) and its entry, or why the entry could not be decoded.
    public struct ScannedRecord: Sendable {
        public var key: CacheKey
        public var header: RecordHeader
        public var entry: Result<CacheEntry, RecordError>
    }

    /// Visits the committed records whose header satisfies `matches`, in key order, in pages of
    /// `pageSize`: each page is copied out of a short read transaction and decoded after it
    /// ends, so `body` may do I/O. Records whose header is unreadable are passed as failures
    /// under a zeroed header. Blocks: for command-line tools and the blocking-I/O pool.
    public func scan(
        where matches: (RecordHeader) -> Bool = { _ in true }, pageSize: Int = 256,
        _ body: (ScannedRecord) throws -> Void
    ) throws {
        var start: [UInt8]? = nil
        while true {
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
            for (key, header, record) in page {
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
                    try body(ScannedRecord(key: key, header: unreadable, entry: .failure(reason)))
                    continue
                }
                let entry: Result<CacheEntry, RecordError>
                do { entry = .success(try decode(record)) } catch let error as RecordError {
                    entry = .failure(error)
                } catch { entry = .failure(RecordError("\(error)")) }
                try body(ScannedRecord(key: key, header: header, entry: entry))
            }
            guard let last, last != start else { return }
            start = last
        }
    }
}
