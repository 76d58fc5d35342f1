import HTTPTypes
import Hummingbird
import LLMCacheCore
import LLMCacheStore

/// Where an answer came from: the value of `x-llmcache-tier` — a cache tier's name, or one of
/// the places below.
struct ResponseTier: RawRepresentable, Hashable, Sendable {
    let rawValue: String
    init(rawValue: String) { self.rawValue = rawValue }
    init(_ tier: TieredCache.Tier) { self.rawValue = tier.rawValue }

    static let upstream = ResponseTier(rawValue: "upstream")
    static let plugin = ResponseTier(rawValue: "plugin")
    static let none = ResponseTier(rawValue: "none")
}

/// A response with what the proxy did to produce it, carried beside it as values — metrics,
/// plugins and the manifest read these, never the response's headers. Making one writes the
/// `x-llmcache-status`, `x-llmcache-tier` and `x-llmcache-key` headers, in this one place.
struct ProxyAnswer {
    var response: Response
    let status: CacheStatus
    let tier: ResponseTier

    init(_ response: Response, status: CacheStatus, tier: ResponseTier, key: CacheKey? = nil) {
        var response = response
        Self.mark(&response.headers, status: status, tier: tier, key: key)
        self.response = response
        self.status = status
        self.tier = tier
    }

    /// Writes what the proxy did into `headers`: the one writer of these three headers, for
    /// this type and for the memory-hit path (``ProxyPipeline/leanHit(_:body:)``).
    static func mark(_ headers: inout HTTPFields, status: CacheStatus, tier: ResponseTier, key: CacheKey?) {
        headers[ProxyHeaders.status] = status.rawValue
        headers[ProxyHeaders.tier] = tier.rawValue
        if let key { headers[ProxyHeaders.key] = key.hex }
    }

    /// A request the proxy refused or could not serve: the error's JSON response as it is.
    init(error: ProxyError) {
        self.response = error.response
        self.status = .error
        self.tier = .none
    }
}
