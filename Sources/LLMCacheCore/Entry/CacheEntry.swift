import NIOCore

/// One HTTP header as stored with a cached response.
public struct HeaderField: Sendable, Hashable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// One chunk of a captured server-sent-events stream: its length in the body, and the time since
/// the previous chunk arrived (the first chunk: since the request was sent).
public struct StreamChunk: Sendable, Hashable {
    public var length: UInt32
    public var delayMicroseconds: UInt32

    public init(length: UInt32, delayMicroseconds: UInt32) {
        self.length = length
        self.delayMicroseconds = delayMicroseconds
    }
}

/// How a stored body is replayed.
public enum BodyKind: Sendable, Hashable {
    /// A complete body (JSON or anything else), sent at once.
    case complete
    /// A server-sent-events stream, replayed with its original chunk boundaries (and, on request,
    /// pace). The chunk lengths add up to the body's length.
    case stream(chunks: [StreamChunk])
}

/// A cached response: what a tier holds under a ``CacheKey``.
///
/// Value semantics; the body is a `ByteBuffer`, so handing an entry out of the memory tier copies
/// no body bytes.
public struct CacheEntry: Sendable, Equatable {
    /// The namespace the entry was stored under (purge by namespace uses it).
    public var namespace: String
    /// HTTP status of the stored response.
    public var status: Int
    /// Response headers worth replaying (no hop-by-hop or credential headers).
    public var headers: [HeaderField]
    /// The response body, exactly as received.
    public var body: ByteBuffer {
        get { storedBody }
        set {
            storedBody = newValue
            usage = TokenUsage.extract(from: newValue)
        }
    }
    /// The body as stored; `body`'s setter also reads the token usage from it.
    private var storedBody: ByteBuffer
    /// The tokens the answer cost, as its body states them (read once, when the entry is made, so
    /// that a hit does not parse the body to count tokens saved).
    public private(set) var usage: TokenUsage?
    /// Complete body or captured stream.
    public var bodyKind: BodyKind
    /// The canonical request the key was computed from (for inspecting keys and explaining misses).
    public var canonicalRequest: ByteBuffer
    /// The version of the key recipe that produced the key.
    public var recipeVersion: UInt16
    /// The rest of the key's inputs (route, upstream, headers, tenant scope) and the model;
    /// `nil` for entries that do not know them (stored before record format 2).
    public var request: StoredRequest?
    /// When the response was stored.
    public var createdAt: Timestamp
    /// When the entry stops being served; `nil` means never.
    public var expiresAt: Timestamp?

    public init(
        namespace: String = "",
        status: Int = 200,
        headers: [HeaderField] = [],
        body: ByteBuffer = ByteBuffer(),
        bodyKind: BodyKind = .complete,
        canonicalRequest: ByteBuffer = ByteBuffer(),
        recipeVersion: UInt16 = 0,
        request: StoredRequest? = nil,
        createdAt: Timestamp,
        expiresAt: Timestamp? = nil
    ) {
        self.namespace = namespace
        self.status = status
        self.headers = headers
        self.storedBody = body
        self.usage = TokenUsage.extract(from: body)
        self.bodyKind = bodyKind
        self.canonicalRequest = canonicalRequest
        self.recipeVersion = recipeVersion
        self.request = request
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }

    /// An entry whose usage is already known (the memory tier rebuilding one it packed), so the
    /// body is not searched again.
    init(
        namespace: String, status: Int, headers: [HeaderField], body: ByteBuffer, bodyKind: BodyKind,
        recipeVersion: UInt16, usage: TokenUsage?, createdAt: Timestamp, expiresAt: Timestamp?
    ) {
        self.namespace = namespace
        self.status = status
        self.headers = headers
        self.storedBody = body
        self.usage = usage
        self.bodyKind = bodyKind
        self.canonicalRequest = ByteBuffer()
        self.recipeVersion = recipeVersion
        self.request = nil
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }

    /// Whether the entry may no longer be served at `now`. An entry expires at its `expiresAt`.
    @inlinable
    public func isExpired(at now: Timestamp) -> Bool {
        guard let expiresAt else { return false }
        return now >= expiresAt
    }

    /// The bytes the entry's contents occupy: body, canonical request, stream chunk table,
    /// namespace, and header text plus the two `String`s each header field holds (the disk tier's
    /// size limit; the memory tier charges what its packed copy holds instead:
    /// ``MemoryTier/accountedBytes(of:perEntryOverhead:)``).
    public var contentByteCount: Int {
        var total = body.readableBytes + canonicalRequest.readableBytes + namespace.utf8.count
        if case .stream(let chunks) = bodyKind { total += chunks.count * 8 }
        if let request { total += request.byteCount }
        for header in headers {
            total += 32 + header.name.utf8.count + header.value.utf8.count
        }
        return total
    }
}
