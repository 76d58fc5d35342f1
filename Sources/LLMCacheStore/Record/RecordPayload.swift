import LLMCacheCore
import NIOCore

/// The metadata and body of a record, before compression:
///
/// ```
/// u16 status, u16 key-recipe version
/// u16 header count; each: u16 name length, name, u32 value length, value
/// u8 body kind (0 complete, 1 stream); stream: u32 chunk count, each u32 length, u32 delay µs
/// u32 canonical-request length, canonical request
/// u32 body length, body
/// ```
enum RecordPayload {
    static func encode(_ entry: CacheEntry) -> [UInt8] {
        var writer = ByteWriter()
        writer.bytes.reserveCapacity(entry.contentByteCount + 64)
        writer.write(UInt16(clamping: entry.status))
        writer.write(entry.recipeVersion)
        let headers = entry.headers.filter(\.isStorable).filter {
            $0.name.utf8.count <= Int(UInt16.max) && $0.value.utf8.count <= Int(UInt32.max)
        }.prefix(Int(UInt16.max))
        writer.write(UInt16(headers.count))
        for header in headers {
            writer.write(UInt16(header.name.utf8.count))
            writer.write(contentsOf: header.name.utf8)
            writer.write(UInt32(header.value.utf8.count))
            writer.write(contentsOf: header.value.utf8)
        }
        switch entry.bodyKind {
        case .complete:
            writer.write(UInt8(0))
        case .stream(let chunks):
            writer.write(UInt8(1))
            writer.write(UInt32(chunks.count))
            for chunk in chunks {
                writer.write(chunk.length)
                writer.write(chunk.delayMicroseconds)
            }
        }
        writer.write(UInt32(entry.canonicalRequest.readableBytes))
        writer.write(contentsOf: entry.canonicalRequest.readableBytesView)
        writer.write(UInt32(entry.body.readableBytes))
        writer.write(contentsOf: entry.body.readableBytesView)
        return writer.bytes
    }

    static func decode(_ payload: UnsafeRawBufferPointer, header: RecordHeader) throws(RecordError) -> CacheEntry {
        var reader = ByteReader(payload)
        let status = Int(try reader.read(UInt16.self))
        guard (100...599).contains(status) else { throw RecordError("status \(status) is not an HTTP status") }
        let recipeVersion = try reader.read(UInt16.self)
        let headerCount = Int(try reader.read(UInt16.self))
        var headers: [HeaderField] = []
        headers.reserveCapacity(headerCount)
        for _ in 0..<headerCount {
            let name = try reader.readString(Int(try reader.read(UInt16.self)))
            let value = try reader.readString(Int(try reader.read(UInt32.self)))
            headers.append(HeaderField(name: name, value: value))
        }
        let bodyKind: BodyKind
        switch try reader.read(UInt8.self) {
        case 0:
            bodyKind = .complete
        case 1:
            let count = Int(try reader.read(UInt32.self))
            guard count <= reader.remaining / 8 else { throw RecordError("stream chunk count \(count) is impossible") }
            var chunks: [StreamChunk] = []
            chunks.reserveCapacity(count)
            for _ in 0..<count {
                chunks.append(StreamChunk(length: try reader.read(), delayMicroseconds: try reader.read()))
            }
            bodyKind = .stream(chunks: chunks)
        case let kind:
            throw RecordError("unknown body kind \(kind)")
        }
        let canonical = try reader.readBytes(Int(try reader.read(UInt32.self)))
        let body = try reader.readBytes(Int(try reader.read(UInt32.self)))
        guard reader.remaining == 0 else { throw RecordError("\(reader.remaining) stray bytes after the body") }
        if case .stream(let chunks) = bodyKind {
            let total = chunks.reduce(0) { $0 + Int($1.length) }
            guard total == body.count else { throw RecordError("stream chunks cover \(total) of \(body.count) bytes") }
        }
        return CacheEntry(
            namespace: header.namespace,
            status: status,
            headers: headers,
            body: ByteBuffer(bytes: body),
            bodyKind: bodyKind,
            canonicalRequest: ByteBuffer(bytes: canonical),
            recipeVersion: recipeVersion,
            request: header.request,
            createdAt: header.createdAt,
            expiresAt: header.expiresAt
        )
    }
}
