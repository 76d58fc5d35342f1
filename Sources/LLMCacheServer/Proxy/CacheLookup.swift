import HTTPTypes
import Hummingbird
import LLMCacheCore
import LLMCacheUpstream

/// What one request asks of the cache: its key and how to treat it (mode, `Cache-Control`,
/// namespace, TTL), decided once from the headers.
struct CacheLookup {
    let key: CacheKey
    let canonical: [UInt8]
    let namespace: String
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

    init(request: Request, route: RouteTable.Route, canonical: [UInt8], mode: CacheMode, responder: ProxyResponder) throws {
        let directives = CacheControlDirectives(request.headers[.cacheControl])
        let namespace = request.headers[ProxyHeaders.namespace] ?? ""
        guard namespace.utf8.count <= 128, namespace.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7f }) else {
            throw ProxyError.badRequest("x-llmcache-namespace must be at most 128 printable ASCII characters")
        }
        if let text = request.headers[ProxyHeaders.ttl] {
            guard let seconds = Int(text.trimmedSpaces), seconds > 0, seconds <= 100 * 365 * 86_400 else {
                throw ProxyError.badRequest("x-llmcache-ttl must be a positive number of seconds")
            }
            ttl = .seconds(seconds)
        } else {
            ttl = responder.configuration.defaultTTL
        }
        let credential = request.headers[.authorization] ?? request.headers[HTTPField.Name("x-api-key")!] ?? ""
        let tenant = responder.configuration.shareAcrossCredentials ? [] : responder.tenantScopes.scope(credential)
        let headers = request.headers.compactMap { field -> HeaderField? in
            ProxyHeaders.answerChanging.contains(field.name.canonicalName)
                ? HeaderField(name: field.name.canonicalName, value: field.value) : nil
        }
        self.key = CacheKeyRecipe(
            namespace: namespace, tenant: tenant, upstream: route.upstream.id, method: request.method.rawValue,
            path: request.uri.path, headers: headers, canonicalBody: canonical
        ).key
        self.canonical = canonical
        self.namespace = namespace
        self.maxAge = directives.maxAge
        let effective: CacheMode = directives.onlyIfCached ? .replay : (directives.noCache && mode == .readwrite ? .record : mode)
        self.readsCache = effective == .readwrite || effective == .replay
        self.offline = effective == .replay
        self.refresh = effective == .record
        self.writesCache = (effective == .readwrite || effective == .record) && !directives.noStore
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
