import LLMCacheCore

/// The on-disk layout of one stored response (format version 2; version 1 records, which have
/// no request section, are still read). All integers little-endian.
///
/// ```
/// offset size
///  0     4    magic "LLMC"
///  4     1    format version (2)
///  5     1    flags: bit 0 = payload is zstd-compressed
///  6     2    namespace length n
///  8     8    created, ns since the Unix epoch
/// 16     8    expires, ns since the Unix epoch (Int64.max: never)
/// 24     4    zstd dictionary id (0: none)
/// 28     4    raw payload length
/// 32     4    stored payload length
/// 36     4    CRC-32 of bytes 0..<36 followed by bytes 40..<end
/// 40     n    namespace (UTF-8), uncompressed so purges need not decompress
/// 40+n   r    version 2: the request section (`StoredRequestCoding`), uncompressed
/// 40+n+r …    payload: metadata + body, see `RecordPayload`
/// ```
enum RecordFormat {
    static let magic: [UInt8] = Array("LLMC".utf8)
    static let version: UInt8 = 2
    /// Versions this build reads.
    static let readableVersions: ClosedRange<UInt8> = 1...2
    static let headerLength = 40
    static let compressedFlag: UInt8 = 1

    enum Offset {
        static let version = 4
        static let flags = 5
        static let namespaceLength = 6
        static let created = 8
        static let expires = 16
        static let dictionary = 24
        static let rawLength = 28
        static let storedLength = 32
        static let checksum = 36
    }
}

/// Why a stored record could not be read back. Every case makes the record a miss.
public struct RecordError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// What can be read from a record's header without decompressing it.
public struct RecordHeader: Sendable, Equatable {
    public var flags: UInt8
    public var namespace: String
    public var createdAt: Timestamp
    public var expiresAt: Timestamp?
    public var dictionaryID: UInt32
    public var rawLength: Int
    public var storedLength: Int
    public var totalLength: Int
    /// The request section (format 2); `nil` in version-1 records.
    public var request: StoredRequest?
}
