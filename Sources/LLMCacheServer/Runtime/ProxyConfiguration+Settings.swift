import LLMCacheConfig
import LLMCacheCore
import LLMCacheShared
import LLMCachePlugins
import LLMCacheUpstream

extension ProxyConfiguration {
    /// The proxy's configuration from the file's settings. Upstream providers other than
    /// `openai` and `anthropic` come from `registry`.
    /// - Throws: ``ConfigError`` for a provider the registry does not have.
    public init(settings: LLMCacheSettings, registry: PluginRegistry = .installed) throws(ConfigError) {
        var upstreams: [String: Upstream] = [:]
        var issues: [ConfigIssue] = []
        for upstream in settings.upstreams {
            let wire: Upstream.Provider
            var custom: String?
            if let known = Upstream.Provider(rawValue: upstream.provider) {
                wire = known
            } else if let provider = registry.providers[upstream.provider] {
                wire = provider.wireFormat
                custom = upstream.provider
            } else {
                issues.append(
                    ConfigIssue(
                        path: "upstreams.\(upstream.id).provider", origin: ConfigOrigin(source: "configuration"),
                        message: "unknown provider '\(upstream.provider)'"))
                continue
            }
            upstreams[upstream.id] = Upstream(
                id: upstream.id, baseURL: upstream.url, provider: wire, credential: upstream.apiKey,
                customProvider: custom)
        }
        if !issues.isEmpty { throw ConfigError(issues) }
        func withFallbacks(_ id: String) -> (Upstream, [Upstream]) {
            let upstream = upstreams[id]!
            let fallbacks = settings.upstream(id)?.fallbacks.compactMap { upstreams[$0] } ?? []
            return (upstream, fallbacks)
        }
        let openAI = withFallbacks("openai")
        let anthropic = withFallbacks("anthropic")
        var table = RouteTable.standard(openAI: openAI.0, anthropic: anthropic.0)
            .withFallbacks(openAI.1, forUpstream: "openai")
            .withFallbacks(anthropic.1, forUpstream: "anthropic")
        table = table.adding(
            settings.routes.map { route in
                let (upstream, fallbacks) = withFallbacks(route.upstream)
                return RouteTable.Route(
                    prefix: route.prefix, upstream: upstream, cacheable: route.cacheable, fallbacks: fallbacks,
                    samples: route.samples, staleIfError: route.staleIfError,
                    staleWhileRevalidate: route.staleWhileRevalidate)
            })
        self.init(
            host: settings.listen.host, port: settings.listen.port,
            storeDirectory: settings.store.enabled ? settings.store.path : nil,
            mode: CacheMode(rawValue: settings.cache.mode) ?? .readwrite,
            shareAcrossCredentials: settings.cache.shareAcrossCredentials,
            routes: table,
            memory: .init(maxBytes: settings.memory.effectiveL1Bytes),
            maximumRequestBytes: settings.cache.maxRequestBytes,
            maximumStoredResponseBytes: settings.cache.maxStoredResponseBytes,
            defaultTTL: settings.cache.ttl,
            maximumJSONDepth: settings.cache.maxJSONDepth,
            upstream: .init(
                connectTimeout: settings.upstreamClient.connectTimeout,
                headTimeout: settings.upstreamClient.headTimeout,
                streamIdleTimeout: settings.upstreamClient.streamIdleTimeout,
                totalTimeout: settings.upstreamClient.totalTimeout,
                maximumConnectionsPerHost: settings.upstreamClient.maxConnectionsPerHost),
            manifest: settings.manifest.file.map { .file($0) } ?? settings.manifest.directory.map { .directory($0) },
            memoryLimit: settings.memory.limit,
            prices: PriceTable(
                Dictionary(
                    settings.prices.map {
                        (
                            $0.model,
                            ModelPrice(
                                inputPerMillion: $0.input, outputPerMillion: $0.output,
                                cachedInputPerMillion: $0.cachedInput, cacheWritePerMillion: $0.cacheWrite)
                        )
                    },
                    uniquingKeysWith: { $1 })),
            storeMaxBytes: settings.store.maxBytes,
            storeMapSize: settings.store.mapSize,
            tenantScope: TenantScopeKind(rawValue: settings.store.tenantScope) ?? .portable)
        trainsDictionary = settings.store.trainDictionary
        samples = settings.cache.samples
        stale = StalePolicy(ifError: settings.cache.staleIfError, whileRevalidate: settings.cache.staleWhileRevalidate)
        listener = ListenerLimits(
            headerTimeout: settings.listen.headerTimeout, bodyTimeout: settings.listen.bodyTimeout,
            keepAliveTimeout: settings.listen.keepAliveTimeout, sendTimeout: settings.listen.sendTimeout,
            maximumHeaderBytes: settings.listen.maxHeaderBytes,
            maximumHeaderCount: settings.listen.maxHeaders, maximumConnections: settings.listen.maxConnections,
            shutdownTimeout: settings.listen.shutdownTimeout)
        shared = settings.shared.postgres.url.map { url in
            let postgres = settings.shared.postgres
            return SharedTierConfiguration(
                url: url, poolSize: postgres.poolSize, tablePrefix: postgres.tablePrefix,
                lookupTimeout: postgres.lookupTimeout, connectTimeout: postgres.connectTimeout,
                unlogged: postgres.unlogged, maxBytes: postgres.maxBytes, writeQueueLimit: postgres.writeQueueLimit,
                batchSize: postgres.batchSize, leaseTimeout: postgres.leaseTimeout)
        }
    }
}
