/// Maps request paths to upstreams: the longest matching path prefix wins. Routes marked
/// cacheable are looked up in the cache (for POST requests with a JSON body); the others pass
/// through untouched.
public struct RouteTable: Sendable, Equatable {
    public struct Route: Sendable, Equatable {
        public var prefix: String
        public var upstream: Upstream
        public var cacheable: Bool

        public init(prefix: String, upstream: Upstream, cacheable: Bool) {
            self.prefix = prefix
            self.upstream = upstream
            self.cacheable = cacheable
        }
    }

    public var routes: [Route]

    public init(routes: [Route]) {
        self.routes = routes.sorted { $0.prefix.count > $1.prefix.count }
    }

    /// The standard table: OpenAI-style generation endpoints and Anthropic messages cacheable,
    /// everything else under `/v1/` passed through to the OpenAI-compatible upstream.
    public static func standard(openAI: Upstream, anthropic: Upstream) -> RouteTable {
        RouteTable(routes: [
            Route(prefix: "/v1/chat/completions", upstream: openAI, cacheable: true),
            Route(prefix: "/v1/completions", upstream: openAI, cacheable: true),
            Route(prefix: "/v1/embeddings", upstream: openAI, cacheable: true),
            Route(prefix: "/v1/responses", upstream: openAI, cacheable: true),
            Route(prefix: "/v1/messages", upstream: anthropic, cacheable: true),
            Route(prefix: "/v1/", upstream: openAI, cacheable: false),
        ])
    }

    /// The route for `path` (without query), or nil when no prefix matches.
    public func route(for path: String) -> Route? {
        routes.first { route in
            guard path.hasPrefix(route.prefix) else { return false }
            // A prefix ending in a name matches that name exactly or a sub-path, not a longer name.
            if route.prefix.hasSuffix("/") || path.count == route.prefix.count { return true }
            let next = path[path.index(path.startIndex, offsetBy: route.prefix.count)]
            return next == "/" || next == "?"
        }
    }
}
