import CoreMetrics
import Hummingbird
import LLMCacheCore
import LLMCacheStore
import LLMCacheUpstream
import Logging
import ServiceLifecycle

/// Assembles the proxy: tiers, upstream client, background services and the HTTP server.
public struct ProxyServer: Sendable {
    public let configuration: ProxyConfiguration
    public let cache: TieredCache
    public let client: UpstreamClient
    let tenantSecret: [UInt8]
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

    /// - Parameters:
    ///   - metricsFactory: where the proxy's metrics go (the bootstrapped backend by default;
    ///     tests pass an in-memory one).
    ///   - metricsExposition: renders the backend's text for `GET /metrics` (nil: 404).
    ///   - memorySampler: the governor's memory figure (anonymous RSS by default).
    public init(
        configuration: ProxyConfiguration, clock: any WallClock = SystemClock(),
        logger: Logger = Logger(label: "llmcache"),
        metricsFactory: any MetricsFactory = MetricsSystem.factory,
        metricsExposition: (@Sendable () -> [UInt8])? = nil,
        memorySampler: any MemorySampler = ProcessMemorySampler()
    ) throws {
        // Everything that can fail comes before the upstream client, which must be shut down
        // once it exists.
        let memory = try MemoryTier(configuration: configuration.memory, clock: clock)
        self.manifest = try configuration.manifest.map { try ManifestWriter(destination: $0, logger: logger) }
        let disk = try configuration.storeDirectory.map {
            try DiskTier(configuration: .init(directory: $0), clock: clock, logger: logger)
        }
        let cache = TieredCache(memory: memory, disk: disk)
        self.governor = try configuration.governor.map {
            try MemoryGovernor(configuration: $0, memory: memory, controls: cache, sampler: memorySampler, logger: logger)
        }
        self.configuration = configuration
        self.cache = cache
        self.tenantSecret = try disk?.tenantSecret() ?? TenantScope.newSecret()
        self.metrics = ProxyMetrics(factory: metricsFactory, prices: configuration.prices)
        self.endpoints = ObservabilityEndpoints(
            cache: cache, metrics: metrics, publisher: TierMetricsPublisher(factory: metricsFactory), governor: governor,
            readiness: readiness, exposition: metricsExposition)
        self.client = UpstreamClient(configuration: configuration.upstream)
        self.clock = clock
        self.logger = logger
    }

    /// The HTTP application with the disk writer, the memory sweeper, the governor and the upstream
    /// client as its services (stopped after the server on graceful shutdown: the writer commits what is
    /// queued). `onServerRunning` receives the bound port.
    public func application(onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        let responder = ProxyResponder(
            configuration: configuration, cache: cache, client: client, tenantSecret: tenantSecret, clock: clock,
            flights: flights, runner: runner, tenantScopes: TenantScopeCache(secret: tenantSecret),
            normalizers: ProviderNormalizers(maximumDepth: configuration.maximumJSONDepth), manifest: manifest,
            metrics: metrics, endpoints: endpoints, governor: governor)
        // Stopped in reverse order, after the server: running fetches finish, the sweeper stops,
        // the manifest is written out, the writer commits what is queued, and the upstream
        // client closes its connections.
        var services: [any Service] = [client]
        if let disk = cache.disk { services.append(DiskTierWriter(tier: disk)) }
        if let manifest { services.append(manifest) }
        services += [MemoryTierSweeper(tier: cache.memory), runner]
        if let governor { services.append(governor) }
        let port = configuration.port
        let readiness = readiness
        return Application(
            responder: responder,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "llmcache"),
            services: services,
            onServerRunning: { channel in
                readiness.markListening()
                await onServerRunning(channel.localAddress?.port ?? port)
            },
            logger: logger)
    }

    /// Zeroes the counters of `/stats` (the tiers' and the proxy's). Exported metrics keep
    /// counting up: Prometheus counters never go backwards.
    public func resetStats() { endpoints.resetStats() }
}
