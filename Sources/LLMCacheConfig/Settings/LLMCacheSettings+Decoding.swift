extension LLMCacheSettings {
    /// Modes the proxy knows (kept here so that a file is checked without the server).
    public static let modes = ["readwrite", "replay", "record", "passthrough"]

    /// Reads and checks a whole (substituted) document. Every issue is reported, with its key
    /// path and origin.
    ///
    /// - Parameter providers: upstream provider names besides `openai` and `anthropic` (registered
    ///   by plugins).
    public static func decode(_ root: ConfigNode, providers: Set<String> = []) throws(ConfigError) -> LLMCacheSettings {
        let document = ConfigSection(root)
        var settings = LLMCacheSettings()
        settings.read(document, providers: providers.union(["openai", "anthropic"]))
        document.finish(known: topLevelKeys)
        try document.check()
        return settings
    }

    static let topLevelKeys = [
        "listen", "store", "cache", "memory", "shared", "upstreams", "routes", "upstream_client", "manifest", "prices",
        "admin",
        "plugins",
    ]

    private mutating func read(_ document: ConfigSection, providers: Set<String>) {
        let listen = document.section("listen")
        self.listen.host = listen.string("host", default: self.listen.host)
        self.listen.port = listen.int("port", default: self.listen.port, in: 0...65_535)
        // idle_timeout: the header, body and keep-alive timeouts at once (each key overrides it).
        let timeouts = Duration.milliseconds(10)...Duration.seconds(86_400)
        let idle = listen.duration("idle_timeout", in: timeouts)
        self.listen.headerTimeout = listen.duration(
            "header_timeout", default: idle ?? self.listen.headerTimeout, in: timeouts)
        self.listen.bodyTimeout = listen.duration(
            "body_timeout", default: idle ?? self.listen.bodyTimeout, in: timeouts)
        self.listen.keepAliveTimeout = listen.duration(
            "keepalive_timeout", default: idle ?? self.listen.keepAliveTimeout, in: timeouts)
        self.listen.sendTimeout = listen.duration("send_timeout", default: self.listen.sendTimeout, in: timeouts)
        self.listen.maxHeaderBytes = listen.int(
            "max_header_bytes", default: self.listen.maxHeaderBytes, in: 1_024...(1 << 20))
        self.listen.maxHeaders = listen.int("max_headers", default: self.listen.maxHeaders, in: 8...10_000)
        self.listen.maxConnections = listen.int(
            "max_connections", default: self.listen.maxConnections, in: 1...1_000_000)
        self.listen.shutdownTimeout = listen.duration(
            "shutdown_timeout", default: self.listen.shutdownTimeout, in: .milliseconds(10)...Duration.seconds(3_600))
        listen.finish(known: [
            "host", "port", "idle_timeout", "header_timeout", "body_timeout", "keepalive_timeout", "send_timeout",
            "max_header_bytes", "max_headers", "max_connections", "shutdown_timeout",
        ])

        let store = document.section("store")
        self.store.enabled = store.bool("enabled", default: true)
        self.store.path = store.string("path", default: self.store.path)
        if self.store.path.isEmpty { store.report("path", "must not be empty") }
        self.store.maxBytes = store.bytes("max_bytes", minimum: 1 << 20)
        self.store.mapSize = store.bytes("map_size", default: self.store.mapSize, minimum: 16 << 20)
        self.store.checkOnStart = store.bool("check_on_start", default: self.store.checkOnStart)
        self.store.onDamage = store.choice("on_damage", ["refuse", "move_aside"], default: self.store.onDamage)
        self.store.tenantScope = store.choice("tenant_scope", ["portable", "private"], default: self.store.tenantScope)
        self.store.trainDictionary = store.bool("train_dictionary", default: self.store.trainDictionary)
        store.finish(known: [
            "enabled", "path", "max_bytes", "map_size", "check_on_start", "on_damage", "tenant_scope",
            "train_dictionary",
        ])

        let cache = document.section("cache")
        self.cache.mode = cache.choice("mode", Self.modes, default: self.cache.mode)
        let ttl = cache.duration("ttl")
        self.cache.ttl = ttl == .zero ? nil : ttl
        self.cache.staleIfError = cache.duration("stale_if_error") ?? .zero
        self.cache.staleWhileRevalidate = cache.duration("stale_while_revalidate") ?? .zero
        self.cache.samples = cache.int("samples", default: 1, in: 1...64)
        self.cache.shareAcrossCredentials = cache.bool("share_across_credentials", default: false)
        self.cache.maxRequestBytes = cache.bytes(
            "max_request_bytes", default: self.cache.maxRequestBytes, minimum: 1024)
        self.cache.maxStoredResponseBytes = cache.bytes(
            "max_stored_response_bytes", default: self.cache.maxStoredResponseBytes, minimum: 1024)
        self.cache.maxJSONDepth = cache.int("max_json_depth", default: self.cache.maxJSONDepth, in: 4...10_000)
        cache.finish(known: [
            "mode", "ttl", "stale_if_error", "stale_while_revalidate", "samples", "share_across_credentials",
            "max_request_bytes", "max_stored_response_bytes", "max_json_depth",
        ])

        let memory = document.section("memory")
        self.memory.l1Bytes = memory.bytes("l1_bytes", minimum: 1 << 20)
        self.memory.limit = memory.bytes("limit", minimum: 16 << 20)
        if let l1 = self.memory.l1Bytes, let limit = self.memory.limit, l1 >= limit {
            memory.report("l1_bytes", "must be below memory.limit (\(l1) ≥ \(limit))")
        }
        memory.finish(known: ["l1_bytes", "limit"])

        readShared(document)

        readUpstreams(document, providers: providers)
        readRoutes(document)

        let client = document.section("upstream_client")
        upstreamClient.connectTimeout = client.duration(
            "connect_timeout", default: upstreamClient.connectTimeout, in: .milliseconds(1)...Duration.seconds(3600))
        upstreamClient.headTimeout = client.duration(
            "head_timeout", default: upstreamClient.headTimeout, in: .milliseconds(1)...Duration.seconds(86_400))
        upstreamClient.streamIdleTimeout = client.duration(
            "stream_idle_timeout", default: upstreamClient.streamIdleTimeout,
            in: .milliseconds(1)...Duration.seconds(86_400))
        upstreamClient.totalTimeout = client.duration(
            "total_timeout", default: upstreamClient.totalTimeout, in: .milliseconds(1)...Duration.seconds(86_400))
        upstreamClient.maxConnectionsPerHost = client.int(
            "max_connections_per_host", default: upstreamClient.maxConnectionsPerHost, in: 1...10_000)
        client.finish(known: [
            "connect_timeout", "head_timeout", "stream_idle_timeout", "total_timeout", "max_connections_per_host",
        ])

        let manifest = document.section("manifest")
        self.manifest.file = manifest.string("file")
        self.manifest.directory = manifest.string("directory")
        if self.manifest.file != nil, self.manifest.directory != nil {
            manifest.report("directory", "manifest.file and manifest.directory exclude each other")
        }
        manifest.finish(known: ["file", "directory"])

        let prices = document.section("prices")
        for model in prices.keys {
            let price = prices.section(model)
            let input = price.double("input", in: 0...1_000_000)
            let output = price.double("output", in: 0...1_000_000)
            if input == nil, !price.contains("input") { price.report(nil, "needs input (dollars per million tokens)") }
            if output == nil, !price.contains("output") {
                price.report(nil, "needs output (dollars per million tokens)")
            }
            let cachedInput = price.double("cached_input", in: 0...1_000_000)
            let cacheWrite = price.double("cache_write", in: 0...1_000_000)
            price.finish(known: ["input", "output", "cached_input", "cache_write"])
            self.prices.append(
                PriceSettings(
                    model: model, input: input ?? 0, output: output ?? 0, cachedInput: cachedInput,
                    cacheWrite: cacheWrite))
        }

        let admin = document.section("admin")
        self.admin.enabled = admin.bool("enabled", default: true)
        self.admin.host = admin.string("host", default: self.admin.host)
        self.admin.port = admin.int("port", default: self.admin.port, in: 0...65_535)
        self.admin.token = admin.string("token").flatMap { $0.isEmpty ? nil : $0 }
        self.admin.allowOpen = admin.bool("allow_open", default: false)
        if self.admin.enabled,
            !AdminExposure.permits(host: self.admin.host, token: self.admin.token, allowOpen: self.admin.allowOpen)
        {
            admin.report("host", AdminExposure.message(host: self.admin.host))
        }
        admin.finish(known: ["enabled", "host", "port", "token", "allow_open"])

        for (path, node) in document.list("plugins") {
            let entry = document.section(for: node, path: path)
            let name = entry.string("name") ?? ""
            let plugin = PluginSettings(
                name: name, enabled: entry.bool("enabled", default: true),
                priority: entry.int("priority", in: -1_000_000...1_000_000),
                critical: entry.contains("critical") ? entry.bool("critical", default: false) : nil,
                timeout: entry.duration("timeout", in: .milliseconds(1)...Duration.seconds(600)),
                settings: entry.node("settings") ?? .emptyMapping(origin: node.origin), path: path)
            if name.isEmpty { entry.report(nil, "needs a name") } else { plugins.append(plugin) }
            entry.finish(known: ["name", "enabled", "priority", "critical", "timeout", "settings"])
        }
    }

    private mutating func readShared(_ document: ConfigSection) {
        let shared = document.section("shared")
        let postgres = shared.section("postgres")
        var settings = Shared.Postgres()
        settings.url = postgres.string("url").flatMap { $0.isEmpty ? nil : $0 }
        if let url = settings.url, !(url.hasPrefix("postgres://") || url.hasPrefix("postgresql://")) {
            postgres.report("url", "must start with postgres:// or postgresql://, got '\(Self.redactingPassword(url))'")
        }
        settings.poolSize = postgres.int("pool_size", default: settings.poolSize, in: 1...1_000)
        settings.tablePrefix = postgres.string("table_prefix", default: settings.tablePrefix)
        if !Self.isTablePrefix(settings.tablePrefix) {
            postgres.report("table_prefix", "must be lowercase letters, digits and _ (not first a digit), at most 32")
        }
        settings.lookupTimeout = postgres.duration(
            "lookup_timeout", default: settings.lookupTimeout, in: .milliseconds(1)...Duration.seconds(60))
        settings.connectTimeout = postgres.duration(
            "connect_timeout", default: settings.connectTimeout, in: .milliseconds(10)...Duration.seconds(600))
        settings.unlogged = postgres.bool("unlogged", default: settings.unlogged)
        settings.maxBytes = postgres.bytes("max_bytes", minimum: 1 << 20)
        settings.writeQueueLimit = postgres.int(
            "write_queue_limit", default: settings.writeQueueLimit, in: 1...10_000_000)
        settings.batchSize = postgres.int("batch_size", default: settings.batchSize, in: 1...10_000)
        settings.leaseTimeout = postgres.duration(
            "lease_timeout", default: settings.leaseTimeout, in: .milliseconds(10)...Duration.seconds(3_600))
        postgres.finish(known: [
            "url", "pool_size", "table_prefix", "lookup_timeout", "connect_timeout", "unlogged", "max_bytes",
            "write_queue_limit", "batch_size", "lease_timeout",
        ])
        shared.finish(known: ["postgres"])
        self.shared.postgres = settings
    }

    /// Table names made from a prefix need no quoting (and cannot inject SQL).
    static func isTablePrefix(_ prefix: String) -> Bool {
        guard let first = prefix.unicodeScalars.first, prefix.count <= 32 else { return false }
        return !("0"..."9").contains(first)
            && prefix.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
    }

    /// `url` with its password (between `user:` and `@`) replaced by `<redacted>`.
    public static func redactingPassword(_ url: String) -> String {
        guard let scheme = url.range(of: "://") else { return url }
        let rest = url[scheme.upperBound...]
        guard let at = rest.lastIndex(of: "@"), let colon = rest[..<at].firstIndex(of: ":") else { return url }
        return String(url[..<rest.index(after: colon)]) + redacted + String(rest[at...])
    }

    private mutating func readUpstreams(_ document: ConfigSection, providers: Set<String>) {
        let section = document.section("upstreams")
        var fallbackPaths: [(id: String, path: String, origin: ConfigOrigin, targets: [String])] = []
        for id in section.keys {
            let upstream = section.section(id)
            if id.isEmpty || id.hasPrefix("route:") || id.contains(where: { $0 == " " || $0 == "/" }) {
                upstream.report(nil, "upstream ids are names without spaces or '/' (and not 'route:…')")
            }
            let standard = upstreams.first { $0.id == id }
            let url = upstream.string("url") ?? standard?.url
            if url == nil { upstream.report(nil, "needs url") }
            if let url, !(url.hasPrefix("http://") || url.hasPrefix("https://")) {
                upstream.report("url", "must start with http:// or https://, got '\(url)'")
            }
            let provider = upstream.string("provider") ?? standard?.provider ?? "openai"
            if !providers.contains(provider) {
                upstream.report(
                    "provider", "unknown provider '\(provider)' (known: \(providers.sorted().joined(separator: ", ")))")
            }
            let fallbacks = upstream.strings("fallbacks")
            fallbackPaths.append((id, upstream.childPath("fallbacks"), upstream.origin, fallbacks))
            let settings = UpstreamSettings(
                id: id, url: url ?? "", provider: provider,
                apiKey: upstream.string("api_key").flatMap { $0.isEmpty ? nil : $0 },
                fallbacks: fallbacks)
            if let index = upstreams.firstIndex(where: { $0.id == id }) {
                upstreams[index] = settings
            } else {
                upstreams.append(settings)
            }
            upstream.finish(known: ["url", "provider", "api_key", "fallbacks"])
        }
        let ids = Set(upstreams.map(\.id))
        for (id, path, origin, targets) in fallbackPaths {
            for target in targets where !ids.contains(target) || target == id {
                section.report(
                    path: path, origin: origin,
                    target == id ? "an upstream cannot fall back to itself" : "unknown upstream '\(target)'")
            }
        }
    }

    private mutating func readRoutes(_ document: ConfigSection) {
        let ids = Set(upstreams.map(\.id))
        for (path, node) in document.list("routes") {
            let route = document.section(for: node, path: path)
            let prefix = route.string("prefix") ?? ""
            if !prefix.hasPrefix("/") || prefix.contains(" ") {
                route.report("prefix", "must start with '/' (no spaces), got '\(prefix)'")
            }
            let upstream = route.string("upstream") ?? ""
            if !ids.contains(upstream) {
                route.report(
                    "upstream", "unknown upstream '\(upstream)' (known: \(ids.sorted().joined(separator: ", ")))")
            }
            routes.append(
                RouteSettings(
                    prefix: prefix, upstream: upstream, cacheable: route.bool("cacheable", default: true),
                    samples: route.int("samples", in: 1...64), staleIfError: route.duration("stale_if_error"),
                    staleWhileRevalidate: route.duration("stale_while_revalidate")))
            route.finish(known: [
                "prefix", "upstream", "cacheable", "samples", "stale_if_error", "stale_while_revalidate",
            ])
        }
    }
}
