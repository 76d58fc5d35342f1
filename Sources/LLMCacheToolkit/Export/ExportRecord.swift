import LLMCacheCore
import NIOCore

/// One stored entry in portable form: its key and the whole entry.
public struct ExportRecord: Sendable, Equatable {
    public var key: CacheKey
    public var entry: CacheEntry

    public init(key: CacheKey, entry: CacheEntry) {
        self.key = key
        self.entry = entry
    }

    var json: JSONValue {
        let request = Self.requestMembers(entry)
        var response: [JSONMember] = [
            JSONMember(key: "status", value: .number(String(entry.status))),
            JSONMember(key: "headers", value: Self.pairs(entry.headers)),
        ]
        let body = Array(entry.body.readableBytesView)
        if let text = String(validating: body, as: UTF8.self) {
            response.append(JSONMember(key: "body", value: .string(text)))
        } else {
            response.append(JSONMember(key: "body_base64", value: .string(Base64.encode(body))))
        }
        if case .stream(let chunks) = entry.bodyKind {
            response.append(
                JSONMember(
                    key: "stream",
                    value: .array(
                        chunks.map {
                            .array([.number(String($0.length)), .number(String($0.delayMicroseconds))])
                        })))
        }
        return .object([
            JSONMember(key: "key", value: .string(key.hex)),
            JSONMember(key: "namespace", value: .string(entry.namespace)),
            JSONMember(key: "created", value: .string(entry.createdAt.iso8601)),
            JSONMember(key: "created_ns", value: .number(String(entry.createdAt.nanosecondsSinceEpoch))),
            JSONMember(
                key: "expires_ns", value: entry.expiresAt.map { .number(String($0.nanosecondsSinceEpoch)) } ?? .null),
            JSONMember(key: "recipe_version", value: .number(String(entry.recipeVersion))),
            JSONMember(key: "request", value: .object(request)),
            JSONMember(key: "response", value: .object(response)),
        ])
    }

    init(json value: JSONValue) throws {
        func field(_ name: String, in object: JSONValue?) throws -> JSONValue {
            guard let found = object?[name] else { throw ToolkitError("record has no \(name)") }
            return found
        }
        func string(_ name: String, in object: JSONValue?) throws -> String {
            guard let text = try field(name, in: object).stringValue else {
                throw ToolkitError("\(name) is not a string")
            }
            return text
        }
        func integer(_ name: String, in object: JSONValue?) throws -> Int {
            guard let number = try field(name, in: object).intValue else {
                throw ToolkitError("\(name) is not an integer")
            }
            return number
        }
        guard let key = CacheKey(hex: try string("key", in: value)) else {
            throw ToolkitError("key is not 64 hex digits")
        }
        let request = try field("request", in: value)
        let response = try field("response", in: value)
        let stored = try Self.storedRequest(request)
        let status = try integer("status", in: response)
        guard (100...599).contains(status) else { throw ToolkitError("status \(status) is not an HTTP status") }
        let body: [UInt8]
        if let text = response["body"]?.stringValue {
            body = Array(text.utf8)
        } else if let encoded = response["body_base64"]?.stringValue, let decoded = Base64.decode(encoded) {
            body = decoded
        } else {
            throw ToolkitError("response has no body or body_base64")
        }
        var kind = BodyKind.complete
        if let stream = response["stream"], stream != .null {
            guard case .array(let pairs) = stream else { throw ToolkitError("stream is not an array") }
            let chunks = try pairs.map { pair -> StreamChunk in
                guard case .array(let numbers) = pair, numbers.count == 2,
                    let length = numbers[0].intValue.flatMap(UInt32.init(exactly:)),
                    let delay = numbers[1].intValue.flatMap(UInt32.init(exactly:))
                else { throw ToolkitError("stream chunk is not [length, delay]") }
                return StreamChunk(length: length, delayMicroseconds: delay)
            }
            guard chunks.reduce(0, { $0 + Int($1.length) }) == body.count else {
                throw ToolkitError("stream chunks do not add up to the body's \(body.count) bytes")
            }
            kind = .stream(chunks: chunks)
        }
        let expires = try field("expires_ns", in: value)
        guard let recipeVersion = UInt16(exactly: try integer("recipe_version", in: value)) else {
            throw ToolkitError("recipe_version is out of range")
        }
        guard let created = Int64(exactly: try integer("created_ns", in: value)) else {
            throw ToolkitError("created_ns is out of range")
        }
        self.key = key
        self.entry = CacheEntry(
            namespace: try string("namespace", in: value), status: status,
            headers: try Self.headers("headers", in: response), body: ByteBuffer(bytes: body), bodyKind: kind,
            canonicalRequest: ByteBuffer(bytes: CanonicalJSON.serialize(try field("body", in: request))),
            recipeVersion: recipeVersion, request: stored, createdAt: Timestamp(nanosecondsSinceEpoch: created),
            expiresAt: expires == .null
                ? nil : Timestamp(nanosecondsSinceEpoch: Int64(try integer("expires_ns", in: value))))
    }

    /// The `request` object of both export forms: the stored request (when the entry keeps one)
    /// and the canonical body.
    static func requestMembers(_ entry: CacheEntry) -> [JSONMember] {
        var request: [JSONMember] = []
        if let stored = entry.request {
            request += [
                JSONMember(key: "method", value: .string(stored.method)),
                JSONMember(key: "path", value: .string(stored.path)),
                JSONMember(key: "upstream", value: .string(stored.upstream)),
                JSONMember(key: "model", value: .string(stored.model)),
                JSONMember(key: "headers", value: pairs(stored.headers)),
                JSONMember(key: "tenant", value: .string(stored.tenant.hexString)),
            ]
        }
        let canonical = (try? JSONParser.parse(entry.canonicalRequest.readableBytesView)) ?? .null
        request.append(JSONMember(key: "body", value: canonical))
        return request
    }

    /// The stored request of a `request` object (nil when it records none: no `method`).
    static func storedRequest(_ request: JSONValue) throws -> StoredRequest? {
        guard request["method"] != nil else { return nil }
        func string(_ name: String) throws -> String {
            guard let text = request[name]?.stringValue else { throw ToolkitError("\(name) is not a string") }
            return text
        }
        guard let tenant = [UInt8](hex: try string("tenant")), tenant.isEmpty || tenant.count == 32 else {
            throw ToolkitError("tenant is not empty or 64 hex digits")
        }
        return StoredRequest(
            method: try string("method"), path: try string("path"), upstream: try string("upstream"),
            headers: try headers("headers", in: request), tenant: tenant, model: try string("model"))
    }

    static func pairs(_ headers: [HeaderField]) -> JSONValue {
        .array(headers.map { .array([.string($0.name), .string($0.value)]) })
    }

    static func headers(_ name: String, in object: JSONValue) throws -> [HeaderField] {
        guard case .array(let pairs)? = object[name] else { throw ToolkitError("\(name) is not an array") }
        return try pairs.map { pair in
            guard case .array(let parts) = pair, parts.count == 2, let header = parts[0].stringValue,
                let value = parts[1].stringValue
            else { throw ToolkitError("header is not [name, value]") }
            return HeaderField(name: header, value: value)
        }
    }
}

extension Array where Element == UInt8 {
    var hexString: String { CacheKey.hex(self) }

    init?(hex: String) {
        let utf8 = Array(hex.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        for index in stride(from: 0, to: utf8.count, by: 2) {
            guard let byte = UInt8(String(decoding: utf8[index..<(index + 2)], as: UTF8.self), radix: 16) else {
                return nil
            }
            bytes.append(byte)
        }
        self = bytes
    }
}
