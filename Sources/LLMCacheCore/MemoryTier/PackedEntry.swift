import NIOCore

/// The fixed part of a ``PackedEntry``; its variable part follows it in the same allocation.
/// 48 bytes: no flag byte (it would make 56), so "no usage" is `Int64.min` tokens and "stream" the
/// top bit of `streamChunks`.
struct PackedEntryFields {
    var createdAt: Int64
    /// `Int64.max`: never expires.
    var expiresAt: Int64
    /// `Int64.min`: the body states no usage.
    var inputTokens: Int64
    var outputTokens: Int64
    var bodyCount: UInt32
    /// `streamFlag | chunks` for a stream (8 bytes per chunk in the tail); 0 for a complete body.
    var streamChunks: UInt32
    var headersCount: UInt16
    var namespaceCount: UInt16
    var status: UInt16
    var recipeVersion: UInt16

    static let streamFlag: UInt32 = 1 << 31
    var isStream: Bool { streamChunks & Self.streamFlag != 0 }
    var chunkCount: UInt32 { streamChunks & ~Self.streamFlag }
}

/// What the memory tier holds for an entry: one allocation — the fixed fields, then the
/// namespace, the headers (``PackedHeaders``: common names and values as one byte), the stream's
/// chunk table and the body — instead of a ``CacheEntry``'s eight or so (its header array, each
/// header string past 15 bytes, the body's buffer object and bytes…), which cost an answer of
/// 300 bytes three times its size. Without the canonical request and its description, which only
/// the lower tiers' tools read (miss explanations, export, replay-check).
///
/// Immutable after ``pack(_:)``; ``entry`` rebuilds the ``CacheEntry`` a hit replays (its body
/// copied into a buffer of its own: a memcpy, next to a hit's write of the same bytes).
public struct PackedEntry: @unchecked Sendable {
    // Unchecked: the storage is written only inside `pack`, before it is shared (ManagedBuffer
    // itself is not Sendable).
    private final class Storage: ManagedBuffer<PackedEntryFields, UInt8> {}

    private let storage: Storage
    private var header: PackedEntryFields { storage.header }

    /// The bytes the allocation occupies on the heap: the object's header and fields, the tail,
    /// and malloc's own word, rounded to its 16-byte granule.
    var allocatedBytes: Int {
        let fields = header
        return Self.allocatedBytes(
            tail: Int(fields.namespaceCount) + Int(fields.headersCount) + Int(fields.chunkCount) * 8
                + Int(fields.bodyCount))
    }

    /// What ``allocatedBytes`` is for `entry` packed, without packing it; nil if it cannot be.
    static func allocatedBytes(of entry: CacheEntry) -> Int? {
        guard let headers = PackedHeaders.encode(entry.headers) else { return nil }
        var chunks = 0
        if case .stream(let stored) = entry.bodyKind { chunks = stored.count }
        return allocatedBytes(tail: entry.namespace.utf8.count + headers.count + chunks * 8 + entry.body.readableBytes)
    }

    private static func allocatedBytes(tail: Int) -> Int {
        (objectHeaderBytes + MemoryLayout<PackedEntryFields>.stride + tail + 8 + 15) & ~15
    }

    /// A Swift object's header (isa pointer and reference counts).
    static let objectHeaderBytes = 16

    var isStream: Bool { header.isStream }

    /// The object's address (for tests that ask malloc what it holds there).
    var objectAddress: UnsafeRawPointer { UnsafeRawPointer(Unmanaged.passUnretained(storage).toOpaque()) }

    func isExpired(at now: Timestamp) -> Bool { now.nanosecondsSinceEpoch >= header.expiresAt }

    public var status: Int { Int(header.status) }
    public var createdAt: Timestamp { Timestamp(nanosecondsSinceEpoch: header.createdAt) }
    public var usage: TokenUsage? {
        let fields = header
        return fields.inputTokens == .min
            ? nil : TokenUsage(inputTokens: Int(fields.inputTokens), outputTokens: Int(fields.outputTokens))
    }
    /// The body's length in bytes.
    public var bodyCount: Int { Int(header.bodyCount) }

    /// A stream's chunks; nil for a complete body.
    public var chunks: [StreamChunk]? {
        guard header.isStream else { return nil }
        return storage.withUnsafeMutablePointers { fields, tail in
            let f = fields.pointee
            return Self.chunks(
                at: UnsafeRawPointer(tail + Int(f.namespaceCount) + Int(f.headersCount)), count: Int(f.chunkCount))
        }
    }

    /// Runs `body` with the answer's bytes (valid only inside it).
    public func withUnsafeBody<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try storage.withUnsafeMutablePointers { fields, tail in
            let f = fields.pointee
            let start = Int(f.namespaceCount) + Int(f.headersCount) + Int(f.chunkCount) * 8
            return try body(UnsafeRawBufferPointer(start: tail + start, count: Int(f.bodyCount)))
        }
    }

    /// Whether `other` holds the same headers, byte for byte (no header is rebuilt).
    public func hasHeaders(of other: PackedEntry) -> Bool {
        withUnsafeHeaderBytes { mine in other.withUnsafeHeaderBytes { mine.elementsEqual($0) } }
    }

    private func withUnsafeHeaderBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        storage.withUnsafeMutablePointers { fields, tail in
            body(
                UnsafeBufferPointer(
                    start: tail + Int(fields.pointee.namespaceCount), count: Int(fields.pointee.headersCount)))
        }
    }

    private static func chunks(at raw: UnsafeRawPointer, count: Int) -> [StreamChunk] {
        var chunks: [StreamChunk] = []
        chunks.reserveCapacity(count)
        for index in 0..<count {
            chunks.append(
                StreamChunk(
                    length: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: index * 8, as: UInt32.self)),
                    delayMicroseconds: UInt32(
                        littleEndian: raw.loadUnaligned(fromByteOffset: index * 8 + 4, as: UInt32.self))))
        }
        return chunks
    }

    /// Whether the entry was stored under `namespace` (compared as bytes, nothing rebuilt).
    func hasNamespace(_ namespace: String) -> Bool {
        var namespace = namespace
        return namespace.withUTF8 { wanted in
            storage.withUnsafeMutablePointers { fields, tail in
                UnsafeBufferPointer(start: tail, count: Int(fields.pointee.namespaceCount)).elementsEqual(wanted)
            }
        }
    }

    /// Packs `entry`; nil when a part is too large for its count field (such an entry is far past
    /// any memory tier's per-entry limit).
    public static func pack(_ entry: CacheEntry) -> PackedEntry? {
        let headers = PackedHeaders.encode(entry.headers)
        var chunks: [StreamChunk] = []
        if case .stream(let stored) = entry.bodyKind { chunks = stored }
        let namespaceCount = entry.namespace.utf8.count
        let bodyCount = entry.body.readableBytes
        guard let headers, namespaceCount <= Int(UInt16.max), bodyCount <= Int(UInt32.max),
            chunks.count < Int(PackedEntryFields.streamFlag), (0...Int(UInt16.max)).contains(entry.status)
        else { return nil }
        let fields = PackedEntryFields(
            createdAt: entry.createdAt.nanosecondsSinceEpoch,
            expiresAt: entry.expiresAt?.nanosecondsSinceEpoch ?? .max,
            inputTokens: entry.usage.map { Int64($0.inputTokens) } ?? .min,
            outputTokens: Int64(entry.usage?.outputTokens ?? 0), bodyCount: UInt32(bodyCount),
            streamChunks: entry.bodyKind == .complete ? 0 : PackedEntryFields.streamFlag | UInt32(chunks.count),
            headersCount: UInt16(headers.count), namespaceCount: UInt16(namespaceCount),
            status: UInt16(entry.status), recipeVersion: entry.recipeVersion)
        let tailCount = namespaceCount + headers.count + chunks.count * 8 + bodyCount
        let storage = unsafeDowncast(Storage.create(minimumCapacity: tailCount) { _ in fields }, to: Storage.self)
        storage.withUnsafeMutablePointerToElements { tail in
            var at = tail
            var namespace = entry.namespace
            namespace.withUTF8 { if let base = $0.baseAddress { at.update(from: base, count: $0.count) } }
            at += namespaceCount
            headers.withUnsafeBufferPointer { if let base = $0.baseAddress { at.update(from: base, count: $0.count) } }
            at += headers.count
            for chunk in chunks {
                withUnsafeBytes(of: (chunk.length.littleEndian, chunk.delayMicroseconds.littleEndian)) {
                    UnsafeMutableRawPointer(at).copyMemory(from: $0.baseAddress!, byteCount: 8)
                }
                at += 8
            }
            entry.body.withUnsafeReadableBytes { body in
                if let base = body.baseAddress {
                    UnsafeMutableRawPointer(at).copyMemory(from: base, byteCount: body.count)
                }
            }
        }
        return PackedEntry(storage: storage)
    }

    /// The entry a hit replays, rebuilt (a hit answered from the packed bytes themselves —
    /// ``withUnsafeBody(_:)`` — rebuilds nothing).
    public var entry: CacheEntry {
        storage.withUnsafeMutablePointers { fields, tail in
            let f = fields.pointee
            var at = UnsafePointer(tail)
            let namespace = String(
                decoding: UnsafeBufferPointer(start: at, count: Int(f.namespaceCount)), as: UTF8.self)
            at += Int(f.namespaceCount)
            let headers = PackedHeaders.decode(UnsafeBufferPointer(start: at, count: Int(f.headersCount)))
            at += Int(f.headersCount)
            var bodyKind = BodyKind.complete
            if f.isStream {
                bodyKind = .stream(chunks: Self.chunks(at: UnsafeRawPointer(at), count: Int(f.chunkCount)))
                at += Int(f.chunkCount) * 8
            }
            let body = ByteBuffer(bytes: UnsafeRawBufferPointer(start: at, count: Int(f.bodyCount)))
            return CacheEntry(
                namespace: namespace, status: Int(f.status), headers: headers, body: body, bodyKind: bodyKind,
                recipeVersion: f.recipeVersion,
                usage: usage,
                createdAt: Timestamp(nanosecondsSinceEpoch: f.createdAt),
                expiresAt: f.expiresAt == .max ? nil : Timestamp(nanosecondsSinceEpoch: f.expiresAt))
        }
    }
}
