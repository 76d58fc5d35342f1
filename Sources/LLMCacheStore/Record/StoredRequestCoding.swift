import LLMCacheCore

/// The request section of a format-2 record, between the namespace and the payload, stored
/// uncompressed so that the request index, purges and filters read it without decompressing:
///
/// ```
/// u32 section length (the bytes that follow)
/// u32 method length, method; u32 path length, path; u32 upstream length, upstream;
/// u32 model length, model; u8 tenant length (0 or 32), tenant;
/// u16 header count; each: u32 name length, name, u32 value length, value
/// ```
enum StoredRequestCoding {
    static func encode(_ request: StoredRequest, into writer: inout ByteWriter) {
        var section = ByteWriter()
        for text in [request.method, request.path, request.upstream, request.model] {
            section.write(UInt32(text.utf8.count))
            section.write(contentsOf: text.utf8)
        }
        let tenant = request.tenant.prefix(Int(UInt8.max))
        section.write(UInt8(tenant.count))
        section.write(contentsOf: tenant)
        let headers = request.headers.prefix(Int(UInt16.max))
        section.write(UInt16(headers.count))
        for header in headers {
            section.write(UInt32(header.name.utf8.count))
            section.write(contentsOf: header.name.utf8)
            section.write(UInt32(header.value.utf8.count))
            section.write(contentsOf: header.value.utf8)
        }
        writer.write(UInt32(section.bytes.count))
        writer.write(contentsOf: section.bytes)
    }

    /// Reads the section at the reader's offset (its length prefix included).
    static func decode(_ reader: inout ByteReader) throws(RecordError) -> StoredRequest {
        let length = Int(try reader.read(UInt32.self))
        var section = ByteReader(try reader.readBytes(length))
        let method = try section.readString(Int(try section.read(UInt32.self)))
        let path = try section.readString(Int(try section.read(UInt32.self)))
        let upstream = try section.readString(Int(try section.read(UInt32.self)))
        let model = try section.readString(Int(try section.read(UInt32.self)))
        let tenant = Array(try section.readBytes(Int(try section.read(UInt8.self))))
        let count = Int(try section.read(UInt16.self))
        var headers: [HeaderField] = []
        for _ in 0..<count {
            let name = try section.readString(Int(try section.read(UInt32.self)))
            let value = try section.readString(Int(try section.read(UInt32.self)))
            headers.append(HeaderField(name: name, value: value))
        }
        guard section.remaining == 0 else {
            throw RecordError("\(section.remaining) stray bytes in the request section")
        }
        return StoredRequest(
            method: method, path: path, upstream: upstream, headers: headers, tenant: tenant, model: model)
    }
}
