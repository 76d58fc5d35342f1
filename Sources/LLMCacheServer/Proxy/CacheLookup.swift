import HTTPTypes
import Hummingbird
import LLMCacheCore
import LLMCacheUpstream

/// What one request asks of the cache: its key and how to treat it (mode, `Cache-Control`,
/// namespace, TTL), decided once from the headers.
package struct CacheLookup {
    let key: CacheKey
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
    /// The client asked why a miss missed (`x-llmcache-explain: true`).
    let explains: Bool

    init(
        request: Request, route: RouteTable.Route, canonical: [UInt8], model: String, mode: CacheMode,
        responder: ProxyResponder
    ) throws {
        let directives = CacheControlDirectives(request.headers[.cacheControl])
        if let text = request.headers[ProxyHeaders.ttl] {
            guard let seconds = Int(text.trimmedSpaces), seconds > 0, seconds <= 100 * 365 * 86_400 else {
                throw ProxyError.badRequest("x-llmcache-ttl must be a positive number of seconds")
            }
            ttl = .seconds(seconds)
        } else {
            ttl = responder.configuration.defaultTTL
        }
        self.recipe = try Self.recipe(
            method: request.method.rawValue, path: request.uri.path,
            headers: request.headers.lazy.map { (name: $0.name.canonicalName, value: $0.value) },
            canonical: canonical, route: route,
            tenantScope: responder.configuration.shareAcrossCredentials ? nil : { responder.tenantScopes.scope($0) })
        self.key = recipe.key
        self.model = model
        self.maxAge = directives.maxAge
        self.explains = ["true", "1", "yes"].contains(request.headers[ProxyHeaders.explain]?.lowercased() ?? "")
        let effective: CacheMode = directives.onlyIfCached ? .replay : (directives.noCache && mode == .readwrite ? .record : mode)
        self.readsCache = effective == .readwrite || effective == .replay
        self.offline = effective == .replay
        self.refresh = effective == .record
        self.writesCache = (effective == .readwrite || effective == .record) && !directives.noStore
    }

    /// The key recipe of a request: namespace (`x-llmcache-namespace`), tenant scope of its
    /// credential (`authorization`, else `x-api-key`; `tenantScope` nil: shared across
    /// credentials), route's upstream, method, path, answer-changing headers and canonical body.
    /// The one definition the proxy and `replay-check` share. Header names must be lowercase.
    package static func recipe(
        method: String, path: String, headers: some Sequence<(name: String, value: String)>, canonical: [UInt8],
        route: RouteTable.Route, tenantScope: ((String) -> [UInt8])?
    ) throws -> CacheKeyRecipe {
        var namespaceHeader: String?
        var authorization: String?
        var apiKey: String?
        var answerChanging: [HeaderField] = []
        for (name, value) in headers {
            switch name {
            case "x-llmcache-namespace": namespaceHeader = namespaceHeader ?? value
            case "authorization": authorization = authorization ?? value
            case "x-api-key": apiKey = apiKey ?? value
            case _ where ProxyHeaders.answerChanging.contains(name): answerChanging.append(HeaderField(name: name, value: value))
            default: break
            }
        }
        let namespace = namespaceHeader ?? ""
        guard namespace.utf8.count <= 128, namespace.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7f }) else {
            throw ProxyError.badRequest("x-llmcache-namespace must be at most 128 printable ASCII characters")
        }
        return CacheKeyRecipe(
            namespace: namespace, tenant: tenantScope?(authorization ?? apiKey ?? "") ?? [], upstream: route.upstream.id,
            method: method, path: path, headers: answerChanging, canonicalBody: canonical)
    }

    /// Whether a stored entry may answer this request (`max-age`).
    func isFresh(_ entry: CacheEntry, now: Timestamp) -> Bool {
        guard let maxAge else { return true }
        return now.duration(since: entry.createdAt) <= .seconds(maxAge)
    }

    func expiresAt(from created: Timestamp) -> Timestamp? {
        ttl.map { created.adding($0) }
    }
}
