import CoreMetrics
import Hummingbird
import LLMCacheCore
import LLMCachePlugins
import LLMCacheShared
import LLMCacheStore
import LLMCacheUpstream
import Logging
import ServiceLifecycle

/// Assembles the proxy: tiers, upstream client, background services and the HTTP server.
public struct ProxyServer: Sendable {
    /// The configuration the proxy started with (startup-only settings come from here; see
    /// ``currentConfiguration`` for what reloads changed).
    public let configuration: ProxyConfiguration
    public let cache: TieredCache
    /// The disk tier as a persistent store — export, miss explanations, maintenance; its tier
    /// operations go through ``cache``. Nil without a store directory.
    public let store: DiskTier?
    /// L3, the tier several instances share; nil unless `configuration.shared` names a database.
    public let shared: SharedTier?
    public let client: UpstreamClient
    let tenantScopes: TenantScopeCache
    let clock: any WallClock
    let logger: Logger
    let flights = SingleFlight()
    let runner = FetchRunner()
    let manifest: ManifestWriter?
    /// Keeps the process inside `configuration.memoryLimit`; nil without a limit.
    public let governor: MemoryGovernor?
    public let metrics: ProxyMetrics
    public let readiness = Readiness()
    package let endpoints: ObservabilityEndpoints
    let runtime: ProxyRuntime
    /// Connections the proxy's listener holds now (see ``ListenerLimits/maximumConnections``).
    package let connections = ConnectionCount()

    /// - Parameters:
    ///   - metricsFactory: where the proxy's metrics go (the bootstrapped backend by default;
    ///     tests pass an in-memory one).
    ///   - metricsExposition: renders the backend's text for `GET /metrics` (nil: 404).
    ///   - memorySampler: the governor's memory figure (anonymous RSS by default).
    /// - Throws: when a tier cannot be opened (the shared tier's database cannot be reached or
    ///   its schema is refused: every instance must read the same tenant secret from it, so the
    ///   proxy does not start without it) or the manifest cannot be written.
    public init(
        configuration: ProxyConfiguration, clock: any WallClock = SystemClock(),
        logger: Logger = Logger(label: "llmcache"),
        metricsFactory: any MetricsFactory = MetricsSystem.factory,
        metricsExposition: (@Sendable () -> [UInt8])? = nil,
        memorySampler: any MemorySampler = ProcessMemorySampler(),
        plugins: PluginChain = .empty
    ) async throws {
        // Everything that can fail comes before the upstream client, which must be shut down
        // once it exists.
        let memory = try MemoryTier(configuration: configuration.memory, clock: clock)
        self.manifest = try configuration.manifest.map { try ManifestWriter(destination: $0, logger: logger) }
        let disk = try configuration.storeDirectory.map {
            try DiskTier(
                configuration: .init(
                    directory: $0, maxBytes: configuration.storeMaxBytes, maximumMapSize: configuration.storeMapSize,
                    tenantScope: configuration.tenantScope),
                clock: clock, logger: logger)
        }
        let diskSecret = try disk?.tenantSecret()
        // The secret in use until a shared tier says otherwise (and proposed to it).
        let localSecret = diskSecret ?? configuration.tenantScope.newSecret()
        var shared: SharedTier?
        if let settings = configuration.shared {
            // A database away at start is waited for; a refused schema or bad settings are not.
            shared = try await SharedTier.connect(
                settings, proposedSecret: localSecret, waitingForDatabase: true, clock: clock, logger: logger)
        }
        let cache = TieredCache(memory: memory, lower: [disk as (any CacheTier)?, shared].compactMap { $0 })
        do {
            self.governor = try configuration.governor.map {
                try MemoryGovernor(
                    configuration: $0, memory: memory, controls: cache, sampler: memorySampler, logger: logger)
            }
            if let disk, let secret = shared?.tenantSecret, secret != diskSecret {
                try Self.adopt(secret, disk: disk, logger: logger)
            }
        } catch {
            await shared?.close()
            throw error
        }
        // Another instance's purge removes the same entries here (L1 and L2; L3 is done).
        let local: [any CacheTier] = [memory] + (disk.map { [$0] } ?? [])
        shared?.onPurge { purge in
            for tier in local {
                switch purge {
                case .key(let key): await tier.evict(key)
                case .namespace(let name): _ = try? await tier.purge(namespace: name)
                case .all: _ = try? await tier.purgeAll()
                }
            }
        }
        self.configuration = configuration
        self.cache = cache
        self.store = disk
        self.shared = shared
        let tenantScopes = TenantScopeCache(secret: shared?.tenantSecret ?? localSecret)
        self.tenantScopes = tenantScopes
        // Started without the database: its secret replaces the local one once it answers
        // (what was stored here meanwhile, under the local secret, then misses and ages out).
        shared?.onAttach { [logger] secret in
            guard secret != tenantScopes.secret else { return }
            tenantScopes.replace(secret: secret)
            if let disk { try? Self.adopt(secret, disk: disk, logger: logger) }
            logger.warning("keys switched to the shared tier's tenant secret")
        }
        self.metrics = ProxyMetrics(factory: metricsFactory)
        self.endpoints = ObservabilityEndpoints(
            cache: cache, shared: shared, metrics: metrics, publisher: TierMetricsPublisher(factory: metricsFactory),
            governor: governor,
            readiness: readiness, exposition: metricsExposition, clock: clock, history: StatsHistory(), store: disk)
        self.runtime = ProxyRuntime(RuntimeState(configuration: configuration, plugins: plugins))
        self.client = UpstreamClient(configuration: configuration.upstream)
        self.clock = clock
        self.logger = logger
    }

    /// Keys must be the same on every instance: the disk tier takes the shared secret (what it
    /// stored under its own no longer matches, and ages out).
    private static func adopt(_ secret: [UInt8], disk: DiskTier, logger: Logger) throws {
        try disk.replaceTenantSecret(secret)
        logger.warning(
            "the disk tier's entries were keyed with another tenant secret than the shared tier's; they will not be found again",
            metadata: ["store": "\(disk.configuration.directory)"])
    }

    /// The `Server` header of every answer.
    static let serverName = "llmcache"

    /// The configuration in force (after reloads).
    public var currentConfiguration: ProxyConfiguration { runtime.current.configuration }

    /// The plugins in force, in hook order.
    public var pluginNames: [String] { runtime.current.plugins.names }

    /// Starts the plugins the proxy was made with; call before serving.
    public func startPlugins() async throws { try await runtime.current.plugins.startAll() }

    /// Switches to a new configuration without a restart: starts `plugins`, then routes, modes,
    /// TTL, limits, key rules and plugins take effect for new requests; L1 is resized and the
    /// governor's budget changed in place (both tiers keep their entries); the old plugins are
    /// shut down. Startup-only settings (listen address, store, upstream client pool, manifest)
    /// are not applied.
    /// - Throws: when a new plugin fails to start (nothing changes then).
    public func apply(_ configuration: ProxyConfiguration, plugins: PluginChain) async throws {
        try await plugins.startAll()
        let old = runtime.replace(with: RuntimeState(configuration: configuration, plugins: plugins))
        if let bytes = configuration.memory.maxBytes, bytes != old.configuration.memory.maxBytes {
            cache.memory.resize(maxBytes: bytes)
        }
        if let governor, let updated = configuration.governor, updated != governor.configuration {
            do { try governor.reconfigure(updated) } catch {
                logger.error("memory budget not changed", metadata: ["error": "\(error)"])
            }
        }
        await old.plugins.shutdownAll()
    }

    /// The HTTP application with the disk writer, the memory sweeper, the governor and the upstream
    /// client as its services (stopped after the server on graceful shutdown: the writer commits what is
    /// queued). `onServerRunning` receives the bound port.
    public func application(onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in })
        -> some ApplicationProtocol
    {
        let shared = ProxyServices(
            cache: cache, store: store, shared: self.shared, client: client, clock: clock, flights: flights,
            runner: runner,
            tenantScopes: tenantScopes, manifest: manifest, metrics: metrics,
            endpoints: endpoints, governor: governor, hooks: PluginRunner(metrics: metrics, logger: logger))
        let responder = ProxyResponder(runtime: runtime, services: shared)
        // Stopped in reverse order, after the server: running fetches finish, the sweeper stops,
        // the manifest is written out, the writer commits what is queued, and the upstream
        // client closes its connections.
        var services: [any Service] = [client]
        if let tier = self.shared { services.append(tier) }
        if let store {
            services.append(DiskTierWriter(tier: store))
            if configuration.trainsDictionary { services.append(DictionaryTrainer(tier: store)) }
        }
        if let manifest { services.append(manifest) }
        // Plugins shut down after running fetches (which may call their before-store hooks).
        services += [
            PluginShutdown(runtime: runtime), MemoryTierSweeper(tier: cache.memory), runner,
            StatsHistorySampler(endpoints: endpoints),
        ]
        if let governor { services.append(governor) }
        let port = configuration.port
        let readiness = readiness
        return Application(
            responder: responder,
            server: configuration.listener.server(
                connections: connections, maximumBodyBytes: configuration.maximumRequestBytes,
                leanHits: LeanHitPath(
                    runtime: runtime, services: shared, logger: logger, serverName: Self.serverName)),
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port), serverName: Self.serverName),
            services: services,
            onServerRunning: { channel in
                readiness.markListening()
                await onServerRunning(channel.localAddress?.port ?? port)
            },
            logger: logger)
    }

    /// Returns once no upstream fetch is running: every answer fetched so far has been relayed
    /// and, if storable, put into the tiers (the disk tier's own commit may still be queued —
    /// `store?.committed()` waits for that).
    public func fetchesFinished() async { await runner.idle() }

    /// Returns once `count` requests in all have followed another's fetch (COALESCED): tests
    /// hold an upstream answer until its followers are there, instead of hoping a delay is long
    /// enough.
    package func followersJoined(atLeast count: Int) async { await flights.followersJoined(atLeast: count) }

    /// Returns once relays have held their upstream read back `count` times in all, waiting for
    /// a client that reads slower than the upstream sends.
    package func relaysHeldBack(atLeast count: Int) async { await flights.relayWaits.reached(atLeast: count) }

    /// Zeroes the counters of `/stats` (the tiers' and the proxy's). Exported metrics keep
    /// counting up: Prometheus counters never go backwards.
    public func resetStats() { endpoints.resetStats() }
}
