/// Maps request paths to upstreams: the longest matching path prefix wins; among routes with
/// that prefix, the one of the provider the request's credential belongs to
/// (``ProviderSignal``). On routes marked cacheable, the provider's cacheable endpoints
/// (``CacheableEndpoints``, POST with a JSON body) are looked up in the cache; everything else
/// passes through untouched.
public struct RouteTable: Sendable, Equatable {
    public struct Route: Sendable, Equatable {
        public var prefix: String
        public var upstream: Upstream
        public var cacheable: Bool
        /// Tried in order when the upstream stays unreachable or keeps answering 429 / 5xx after
        /// its retries. Answers are stored under the primary upstream's key.
        public var fallbacks: [Upstream]
        /// This route's answer policies (`routes[].samples`, `stale_if_error`,
        /// `stale_while_revalidate`); nil: the cache's.
        public var samples: Int?
        public var staleIfError: Duration?
        public var staleWhileRevalidate: Duration?

        public init(
            prefix: String, upstream: Upstream, cacheable: Bool, fallbacks: [Upstream] = [], samples: Int? = nil,
            staleIfError: Duration? = nil, staleWhileRevalidate: Duration? = nil
        ) {
            self.prefix = prefix
            self.upstream = upstream
            self.cacheable = cacheable
            self.fallbacks = fallbacks
            self.samples = samples
            self.staleIfError = staleIfError
            self.staleWhileRevalidate = staleWhileRevalidate
        }

        /// Whether a `method` request for `path` on this route uses the cache.
        public func caches(method: String, path: String) -> Bool {
            cacheable
                && CacheableEndpoints.contains(
                    method: method, path: path, provider: upstream.provider, routePrefix: prefix)
        }
    }

    public var routes: [Route]

    public init(routes: [Route]) {
        // Longest prefix first; routes with the same prefix keep their order (stable).
        self.routes = routes.enumerated().sorted {
            $0.element.prefix.count != $1.element.prefix.count
                ? $0.element.prefix.count > $1.element.prefix.count : $0.offset < $1.offset
        }.map(\.element)
    }

    /// The standard table: OpenAI-style generation endpoints and Anthropic messages (their
    /// cacheable endpoints, ``CacheableEndpoints``), everything else under `/v1/` passed through
    /// to the provider the request's credential belongs to — the OpenAI-compatible upstream when
    /// nothing says otherwise.
    public static func standard(openAI: Upstream, anthropic: Upstream) -> RouteTable {
        RouteTable(routes: [
            Route(prefix: "/v1/chat/completions", upstream: openAI, cacheable: true),
            Route(prefix: "/v1/completions", upstream: openAI, cacheable: true),
            Route(prefix: "/v1/embeddings", upstream: openAI, cacheable: true),
            Route(prefix: "/v1/responses", upstream: openAI, cacheable: true),
            Route(prefix: "/v1/moderations", upstream: openAI, cacheable: true),
            Route(prefix: "/v1/messages", upstream: anthropic, cacheable: true),
            Route(prefix: "/v1/complete", upstream: anthropic, cacheable: true),
            Route(prefix: "/v1/", upstream: openAI, cacheable: false),
            Route(prefix: "/v1/", upstream: anthropic, cacheable: false),
        ])
    }

    /// The route for `path` (without query), or nil when no prefix matches. Among routes with the
    /// longest matching prefix, the first of `provider` (the request's ``ProviderSignal``) wins,
    /// else the first; the caller must refuse a route whose provider differs from `provider`.
    public func route(for path: String, provider: Upstream.Provider? = nil) -> Route? {
        guard let first = routes.firstIndex(where: { Self.matches($0.prefix, path) }) else { return nil }
        let longest = routes[first]
        guard let provider, longest.upstream.provider != provider else { return longest }
        // Routes with the same prefix follow one another (sorted by length, stable).
        var index = first + 1
        while index < routes.count, routes[index].prefix == longest.prefix {
            if routes[index].upstream.provider == provider { return routes[index] }
            index += 1
        }
        return longest
    }

    /// A prefix ending in a name matches that name exactly or a sub-path, not a longer name.
    private static func matches(_ prefix: String, _ path: String) -> Bool {
        guard path.hasPrefix(prefix) else { return false }
        if prefix.hasSuffix("/") { return true }
        let rest = path.utf8.dropFirst(prefix.utf8.count)
        return rest.isEmpty || rest.first == UInt8(ascii: "/") || rest.first == UInt8(ascii: "?")
    }
}

extension RouteTable {
    /// Parses `PREFIX=URL` or `PREFIX=URL,anthropic` (a cacheable route; OpenAI wire format
    /// unless `anthropic` is given), as `llmcache serve --route` takes it.
    public static func parseRoute(_ text: String) throws(RouteError) -> Route {
        guard let equals = text.firstIndex(of: "=") else { throw RouteError("route must be PREFIX=URL, got '\(text)'") }
        let prefix = String(text[..<equals])
        var target = String(text[text.index(after: equals)...])
        var provider = Upstream.Provider.openAI
        if let comma = target.lastIndex(of: ",") {
            guard let named = Upstream.Provider(rawValue: String(target[target.index(after: comma)...])) else {
                throw RouteError("unknown provider in route '\(text)' (openai or anthropic)")
            }
            provider = named
            target = String(target[..<comma])
        }
        guard prefix.hasPrefix("/"), !prefix.contains(" ") else {
            throw RouteError("route prefix must start with '/', got '\(prefix)'")
        }
        guard target.hasPrefix("http://") || target.hasPrefix("https://") else {
            throw RouteError("route URL must start with http:// or https://, got '\(target)'")
        }
        return Route(
            prefix: prefix, upstream: Upstream(id: "route:\(prefix)", baseURL: target, provider: provider),
            cacheable: true)
    }

    /// This table with `fallbacks` added to every route served by the upstream with id `upstreamID`.
    public func withFallbacks(_ fallbacks: [Upstream], forUpstream upstreamID: String) -> RouteTable {
        RouteTable(
            routes: routes.map { route in
                var route = route
                if route.upstream.id == upstreamID { route.fallbacks += fallbacks }
                return route
            })
    }

    /// This table with `extra` routes added (they replace standard ones with the same prefix).
    public func adding(_ extra: [Route]) -> RouteTable {
        let prefixes = Set(extra.map(\.prefix))
        return RouteTable(routes: extra + routes.filter { !prefixes.contains($0.prefix) })
    }
}

/// A route specification that cannot be used.
public struct RouteError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
