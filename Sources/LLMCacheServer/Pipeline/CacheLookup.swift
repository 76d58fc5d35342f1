import HTTPTypes
import Hummingbird
import LLMCacheCore
import LLMCacheUpstream

/// What one request asks of the cache: its key and how to treat it (mode, `Cache-Control`,
/// namespace, TTL), decided once from the headers.
package struct CacheLookup {
    /// The recipe's key — or, for a sampled request once its index is chosen, that sample's key.
    var key: CacheKey
    /// The sampling the request asks for (``SampleRequest``); nil: one answer per key.
    var sample: SampleRequest?
    /// The sample index chosen for this request (set by the pipeline).
    var sampleIndex: Int?
    /// Everything the key was computed from.
    let recipe: CacheKeyRecipe
    /// The body's top-level `model` (empty if none).
    let model: String
    var canonical: [UInt8] { recipe.canonicalBody }
    var namespace: String { recipe.namespace }
    /// Look the key up before going upstream.
    let readsCache: Bool
    /// Store the upstream's answer.
    let writesCache: Bool
    /// A miss must not go upstream (replay mode, `only-if-cached`).
    let offline: Bool
    /// The answer replaces a stored one on purpose (record mode, `no-cache`).
    let refresh: Bool
    let maxAge: Int?
    let ttl: Duration?
    /// How long entries are kept past their TTL (the configuration's stale windows): an entry's
    /// freshness ends `retention` before its stored expiry.
    let retention: Duration
    /// How long past its freshness an entry answers at once while it is refreshed
    /// (`stale_while_revalidate`, or the request's `max-stale`).
    let servesStaleFor: Duration
    /// How long past its freshness an entry answers when the upstream fails (`stale_if_error`, or
    /// the request's `stale-if-error`).
    let staleIfErrorFor: Duration
    /// The client asked why a miss missed (`x-llmcache-explain: true`).
    let explains: Bool

    init(
        request: Request, route: RouteTable.Route, canonical: [UInt8], model: String, mode: CacheMode,
        configuration: ProxyConfiguration, tenantScopes: TenantScopeCache
    ) throws {
        let directives = CacheControlDirectives(request.headers[.cacheControl])
        if let text = request.headers[ProxyHeaders.ttl] {
            guard let seconds = Int(text.trimmedSpaces), seconds > 0, seconds <= 100 * 365 * 86_400 else {
                throw ProxyError.badRequest("x-llmcache-ttl must be a positive number of seconds")
            }
            ttl = .seconds(seconds)
        } else {
            ttl = configuration.defaultTTL
        }
        self.recipe = try Self.recipe(
            method: request.method.rawValue, path: request.uri.path, headers: request.headers,
            canonical: canonical, route: route,
            tenantScope: configuration.shareAcrossCredentials ? nil : { tenantScopes.scope($0) })
        self.key = recipe.key
        self.model = model
        self.maxAge = directives.maxAge
        let stale = StalePolicy(
            ifError: route.staleIfError ?? configuration.stale.ifError,
            whileRevalidate: route.staleWhileRevalidate ?? configuration.stale.whileRevalidate)
        let longest = 100 * 365 * 86_400
        self.retention = stale.retention
        self.servesStaleFor = max(
            stale.whileRevalidate, directives.maxStale.map { .seconds(min($0, longest)) } ?? .zero)
        self.staleIfErrorFor = directives.staleIfError.map { .seconds(min($0, longest)) } ?? stale.ifError
        self.explains = ["true", "1", "yes"].contains(request.headers[ProxyHeaders.explain]?.lowercased() ?? "")
        let effective: CacheMode =
            directives.onlyIfCached ? .replay : (directives.noCache && mode == .readwrite ? .record : mode)
        self.readsCache = effective == .readwrite || effective == .replay
        self.offline = effective == .replay
        self.refresh = effective == .record
        self.writesCache = (effective == .readwrite || effective == .record) && !directives.noStore
    }

    /// The key recipe of a request (``CacheKeyRecipe/request(method:path:headers:canonical:upstream:tenantScope:)``,
    /// the headers it reads picked out in one pass) for `route`, a bad namespace answered with 400.
    static func recipe(
        method: String, path: String, headers: HTTPFields, canonical: [UInt8], route: RouteTable.Route,
        tenantScope: ((String) -> [UInt8])?
    ) throws -> CacheKeyRecipe {
        do {
            return try CacheKeyRecipe.request(
                method: method, path: path,
                headers: headers.lazy.map { (name: $0.name.canonicalName, value: $0.value) }, canonical: canonical,
                upstream: route.upstream.id, tenantScope: tenantScope)
        } catch {
            throw ProxyError.badRequest(error.description)
        }
    }

    /// Whether a stored entry may answer this request (`max-age`).
    func isFresh(_ entry: CacheEntry, now: Timestamp) -> Bool {
        guard let maxAge else { return true }
        return now.duration(since: entry.createdAt) <= .seconds(maxAge)
    }

    /// The stored expiry of an answer made at `created`: its TTL, plus the time it is kept stale.
    func expiresAt(from created: Timestamp) -> Timestamp? {
        ttl.map { created.adding($0).adding(retention) }
    }

    /// How long past its freshness an entry that expires at `expiresAt` is at `now`; nil while
    /// it is fresh (always, for an entry that never expires).
    func staleness(expiresAt: Timestamp?, now: Timestamp) -> Duration? {
        guard let expiresAt, retention > .zero else { return nil }
        let stale = now.duration(since: expiresAt.adding(.zero - retention))
        return stale >= .zero ? stale : nil
    }

}
