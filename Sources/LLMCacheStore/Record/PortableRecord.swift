import LLMCacheCore
import Zstd

/// The disk tier's record format for a tier outside this store (the shared tier on
/// PostgreSQL): the same checksummed, zstd-compressed bytes with their canonical request, so a
/// record means the same thing wherever it lives. No trained dictionary: a record must decode
/// on an instance that never saw this store's dictionaries.
public struct PortableRecord: Sendable {
    private let contexts: ZstdContextPool
    /// The largest decoded payload accepted (a damaged length field cannot make it allocate more).
    public let maximumRawLength: Int

    public init(maximumRawLength: Int = 64 << 20, contexts: Int = 4) {
        self.contexts = ZstdContextPool(capacity: contexts)
        self.maximumRawLength = maximumRawLength
    }

    public func encode(_ entry: CacheEntry) throws -> [UInt8] {
        try contexts.withCompressor { try RecordCodec.encode(entry, compressor: $0, dictionary: nil) }
    }

    /// The entry `bytes` hold; throws ``RecordError`` for anything damaged (checksum, lengths,
    /// structure) or a record that needs a dictionary.
    public func decode(_ bytes: UnsafeRawBufferPointer) throws -> CacheEntry {
        try contexts.withDecompressor { decompressor in
            try RecordCodec.decode(
                bytes, decompressor: decompressor, maximumRawLength: maximumRawLength, dictionary: { _ in nil })
        }
    }

    /// The header of `bytes` (read without decompressing; the checksum is not verified), or nil
    /// when it cannot be read.
    public func header(of bytes: UnsafeRawBufferPointer) -> RecordHeader? {
        try? RecordCodec.header(of: bytes, verifyChecksum: false)
    }

    /// `bytes`, stored under `key`, as a scan of the disk tier returns records (the tools read
    /// the shared tier's rows through the same type).
    public func scanned(_ key: CacheKey, _ bytes: [UInt8]) -> DiskTier.ScannedRecord {
        let header = bytes.withUnsafeBytes { self.header(of: $0) }
        return DiskTier.ScannedRecord(key: key, header: header, record: bytes) { record in
            try record.withUnsafeBytes { try decode($0) }
        }
    }
}
