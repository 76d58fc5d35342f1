import HTTPTypes
import LLMCacheCore
import NIOCore

/// A request as the before-lookup hook sees it. Changes to `headers` and `body` are what the
/// proxy keys, forwards and stores under.
public struct PluginRequest: Sendable {
    public let method: String
    /// Path without query.
    public let path: String
    public var headers: HTTPFields
    public var body: ByteBuffer
    /// The id of the upstream the route sends to.
    public let upstream: String
    /// Whether the route is looked up in the cache at all.
    public let cacheable: Bool

    package init(method: String, path: String, headers: HTTPFields, body: ByteBuffer, upstream: String, cacheable: Bool)
    {
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
        self.upstream = upstream
        self.cacheable = cacheable
    }
}

/// What a before-lookup hook decided.
public enum PluginDecision: Sendable {
    /// Go on (with the request as the hook left it).
    case proceed(PluginRequest)
    /// Go on, but neither look up nor store (`x-llmcache-status: BYPASS`).
    case bypass(PluginRequest)
    /// Answer now (`x-llmcache-status: PLUGIN`); later hooks and the cache are skipped.
    case respond(PluginResponse)
}

/// An answer given by a plugin.
public struct PluginResponse: Sendable {
    public var status: Int
    public var headers: HTTPFields
    public var body: ByteBuffer

    public init(status: Int, headers: HTTPFields = [.contentType: "application/json"], body: ByteBuffer) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// What key rules know of the request besides its canonical JSON.
public struct KeyRuleRequest: Sendable {
    public let method: String
    public let path: String
    public let upstream: String
    public let headers: HTTPFields

    package init(method: String, path: String, upstream: String, headers: HTTPFields) {
        self.method = method
        self.path = path
        self.upstream = upstream
        self.headers = headers
    }
}

/// An answer about to be stored.
public struct StoreCandidate: Sendable {
    /// The cache key (hex).
    public let key: String
    public let path: String
    public let model: String
    public let namespace: String
    public var status: Int
    public var headers: [HeaderField]
    /// The body: one segment for a complete answer, one per chunk for a stream (each chunk keeps
    /// its replay timing, whatever its new length).
    public var segments: [ByteBuffer]
    public let isStream: Bool
    /// The stored copy of the canonical request (what `inspect` and miss explanations show);
    /// the key is already computed and does not change.
    public var canonicalRequest: ByteBuffer

    package init(
        key: String, path: String, model: String, namespace: String, status: Int, headers: [HeaderField],
        segments: [ByteBuffer], isStream: Bool, canonicalRequest: ByteBuffer
    ) {
        self.key = key
        self.path = path
        self.model = model
        self.namespace = namespace
        self.status = status
        self.headers = headers
        self.segments = segments
        self.isStream = isStream
        self.canonicalRequest = canonicalRequest
    }
}

public enum StoreDecision: Sendable {
    case store(StoreCandidate)
    /// Do not store this answer (the client still gets it).
    case veto
}

/// One finished request, as the after-response hook sees it. Holds no credentials.
public struct ResponseEvent: Sendable {
    public let method: String
    public let path: String
    /// HIT, MISS, BYPASS, REFRESH, COALESCED, PLUGIN or ERROR.
    public let cacheStatus: String
    /// memory, disk, upstream, plugin or none.
    public let tier: String
    public let httpStatus: Int
    /// Until the response head was ready.
    public let durationNanoseconds: Int64
    /// The cache key (hex), when the request was keyed.
    public let key: String?
    public let model: String?
    public let namespace: String?
    /// The request body as the client sent it (for plugins that are asked to log prompts).
    public let requestBody: ByteBuffer

    package init(
        method: String, path: String, cacheStatus: String, tier: String, httpStatus: Int, durationNanoseconds: Int64,
        key: String?, model: String?, namespace: String?, requestBody: ByteBuffer
    ) {
        self.method = method
        self.path = path
        self.cacheStatus = cacheStatus
        self.tier = tier
        self.httpStatus = httpStatus
        self.durationNanoseconds = durationNanoseconds
        self.key = key
        self.model = model
        self.namespace = namespace
        self.requestBody = requestBody
    }
}

/// An upstream failure.
public struct UpstreamErrorEvent: Sendable {
    public let upstream: String
    public let method: String
    public let path: String
    /// `timeout`, `unreachable`, or `status` (a 5xx answer after retries).
    public let kind: String
    /// The answer's status for kind `status`.
    public let status: Int?
    public let message: String

    package init(upstream: String, method: String, path: String, kind: String, status: Int?, message: String) {
        self.upstream = upstream
        self.method = method
        self.path = path
        self.kind = kind
        self.status = status
        self.message = message
    }
}
