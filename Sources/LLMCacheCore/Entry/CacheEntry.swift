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
    public var body: ByteBuffer
    /// When the response was stored.
    public var createdAt: Timestamp
    /// When the entry stops being served; `nil` means never.
    public var expiresAt: Timestamp?

    public init(
        namespace: String = "",
        status: Int = 200,
        headers: [HeaderField] = [],
        body: ByteBuffer = ByteBuffer(),
        createdAt: Timestamp,
        expiresAt: Timestamp? = nil
    ) {
        self.namespace = namespace
        self.status = status
        self.headers = headers
        self.body = body
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }

    /// Whether the entry may no longer be served at `now`. An entry expires at its `expiresAt`.
    @inlinable
    public func isExpired(at now: Timestamp) -> Bool {
        guard let expiresAt else { return false }
        return now >= expiresAt
    }

    /// The bytes the entry's contents occupy: body, namespace, and header text plus the two
    /// `String`s each header field holds. The memory tier adds the key and its own per-entry
    /// overhead to this.
    public var contentByteCount: Int {
        var total = body.readableBytes + namespace.utf8.count
        for header in headers {
            total += 32 + header.name.utf8.count + header.value.utf8.count
        }
        return total
    }
}
