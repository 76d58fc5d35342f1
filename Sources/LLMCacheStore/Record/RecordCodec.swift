import CZlib
import LLMCacheCore
import Zstd

/// Turns entries into records and back (see `RecordFormat`). Decoding trusts nothing: magic,
/// version, lengths, checksum, dictionary, decompressed size and payload structure are all
/// checked, and any failure is a `RecordError`.
enum RecordCodec {
    /// Payloads shorter than this are stored uncompressed (zstd's frame overhead would win).
    static let compressionThreshold = 64

    static func encode(
        _ entry: CacheEntry, compressor: ZstdCompressor, dictionary: ZstdDictionary?
    ) throws -> [UInt8] {
        try encodeMeasured(entry, compressor: compressor, dictionary: dictionary).bytes
    }

    /// A record and what its payload compressed to (for ``DictionaryUsage``).
    struct Measured {
        var bytes: [UInt8]
        var rawLength: Int
        var storedLength: Int
    }

    static func encodeMeasured(
        _ entry: CacheEntry, compressor: ZstdCompressor, dictionary: ZstdDictionary?
    ) throws -> Measured {
        let payload = RecordPayload.encode(entry)
        var flags: UInt8 = 0
        var stored = payload
        var dictionaryID: UInt32 = 0
        if payload.count >= compressionThreshold {
            let compressed = try compressor.compress(payload, dictionary: dictionary)
            if compressed.count < payload.count {
                stored = compressed
                flags |= RecordFormat.compressedFlag
                dictionaryID = dictionary?.id ?? 0
            }
        }
        let namespace = Array(entry.namespace.utf8.prefix(Int(UInt16.max)))
        var writer = ByteWriter()
        writer.bytes.reserveCapacity(RecordFormat.headerLength + namespace.count + stored.count)
        writer.write(contentsOf: RecordFormat.magic)
        writer.write(RecordFormat.version)
        writer.write(flags)
        writer.write(UInt16(namespace.count))
        writer.write(entry.createdAt.nanosecondsSinceEpoch)
        writer.write((entry.expiresAt ?? .distantFuture).nanosecondsSinceEpoch)
        writer.write(dictionaryID)
        writer.write(UInt32(payload.count))
        writer.write(UInt32(stored.count))
        writer.write(UInt32(0))  // checksum, filled in below
        writer.write(contentsOf: namespace)
        StoredRequestCoding.encode(entry.request ?? StoredRequest(method: "", path: "", upstream: ""), into: &writer)
        writer.write(contentsOf: stored)
        var bytes = writer.bytes
        let checksum = bytes.withUnsafeBytes { checksumOf($0) }
        withUnsafeBytes(of: checksum.littleEndian) { value in
            for index in 0..<4 { bytes[RecordFormat.Offset.checksum + index] = value[index] }
        }
        return Measured(bytes: bytes, rawLength: payload.count, storedLength: stored.count)
    }

    /// Reads and validates the header (and checksum when `verifyChecksum`), without decompressing.
    static func header(of record: UnsafeRawBufferPointer, verifyChecksum: Bool = true) throws(RecordError)
        -> RecordHeader
    {
        guard record.count >= RecordFormat.headerLength else {
            throw RecordError("record of \(record.count) bytes is shorter than its header")
        }
        guard record.prefix(4).elementsEqual(RecordFormat.magic) else { throw RecordError("bad magic") }
        var reader = ByteReader(record, offset: RecordFormat.Offset.version)
        let version = try reader.read(UInt8.self)
        guard RecordFormat.readableVersions.contains(version) else {
            throw RecordError("unsupported record version \(version)")
        }
        let flags = try reader.read(UInt8.self)
        guard flags & ~RecordFormat.compressedFlag == 0 else { throw RecordError("unknown record flags \(flags)") }
        let namespaceLength = Int(try reader.read(UInt16.self))
        let created = try reader.read(Int64.self)
        let expires = try reader.read(Int64.self)
        let dictionaryID = try reader.read(UInt32.self)
        let rawLength = Int(try reader.read(UInt32.self))
        let storedLength = Int(try reader.read(UInt32.self))
        let checksum = try reader.read(UInt32.self)
        var sections = ByteReader(record, offset: RecordFormat.headerLength)
        let namespace = try sections.readString(namespaceLength)
        let request = version >= 2 ? try StoredRequestCoding.decode(&sections) : nil
        let total = sections.offset + storedLength
        guard total == record.count else {
            throw RecordError("record is \(record.count) bytes, its header says \(total)")
        }
        if verifyChecksum {
            let actual = checksumOf(record)
            guard actual == checksum else { throw RecordError("checksum mismatch") }
        }
        if flags & RecordFormat.compressedFlag == 0 {
            guard rawLength == storedLength, dictionaryID == 0 else {
                throw RecordError("uncompressed record with raw length \(rawLength) ≠ stored \(storedLength)")
            }
        }
        return RecordHeader(
            flags: flags,
            namespace: namespace,
            createdAt: Timestamp(nanosecondsSinceEpoch: created),
            expiresAt: expires == .max ? nil : Timestamp(nanosecondsSinceEpoch: expires),
            dictionaryID: dictionaryID,
            rawLength: rawLength,
            storedLength: storedLength,
            totalLength: total,
            request: request.flatMap { $0.method.isEmpty ? nil : $0 }
        )
    }

    /// The entry a record holds. `dictionary` resolves a dictionary id (nil: unknown id).
    /// Throws `RecordError` (plain `throws`: typed throws do not cross `withUnsafeBytes`).
    static func decode(
        _ record: UnsafeRawBufferPointer,
        decompressor: ZstdDecompressor,
        maximumRawLength: Int,
        dictionary: (UInt32) -> ZstdDictionary?
    ) throws -> CacheEntry {
        let header = try header(of: record)
        let stored = UnsafeRawBufferPointer(rebasing: record[(header.totalLength - header.storedLength)...])
        if header.flags & RecordFormat.compressedFlag == 0 {
            return try RecordPayload.decode(stored, header: header)
        }
        var resolved: ZstdDictionary?
        if header.dictionaryID != 0 {
            guard let found = dictionary(header.dictionaryID) else {
                throw RecordError("record needs dictionary \(header.dictionaryID), which the store does not have")
            }
            resolved = found
        }
        let payload: [UInt8]
        do {
            payload = try decompressor.decompress(
                stored, expectedSize: header.rawLength, maximumSize: maximumRawLength, dictionary: resolved)
        } catch {
            throw RecordError("payload does not decompress: \(error)")
        }
        return try payload.withUnsafeBytes { try RecordPayload.decode($0, header: header) }
    }

    /// CRC-32 of the record with its checksum field skipped.
    static func checksumOf(_ record: UnsafeRawBufferPointer) -> UInt32 {
        let base = record.baseAddress!.assumingMemoryBound(to: UInt8.self)
        var crc = crc32(0, base, uInt(RecordFormat.Offset.checksum))
        let rest = RecordFormat.Offset.checksum + 4
        crc = crc32(crc, base + rest, uInt(record.count - rest))
        return UInt32(truncatingIfNeeded: crc)
    }
}
