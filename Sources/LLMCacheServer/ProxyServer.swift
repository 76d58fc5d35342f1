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

    public init(
        configuration: ProxyConfiguration, clock: any WallClock = SystemClock(),
        logger: Logger = Logger(label: "llmcache")
    ) throws {
        // Everything that can fail comes before the upstream client, which must be shut down
        // once it exists.
        let memory = try MemoryTier(configuration: configuration.memory, clock: clock)
        self.manifest = try configuration.manifest.map { try ManifestWriter(destination: $0, logger: logger) }
        let disk = try configuration.storeDirectory.map {
            try DiskTier(configuration: .init(directory: $0), clock: clock, logger: logger)
        }
        self.configuration = configuration
        self.cache = TieredCache(memory: memory, disk: disk)
        self.tenantSecret = try disk?.tenantSecret() ?? TenantScope.newSecret()
        self.client = UpstreamClient(configuration: configuration.upstream)
        self.clock = clock
        self.logger = logger
    }

    /// The HTTP application with the disk writer, the memory sweeper and the upstream client as
    /// its services (stopped after the server on graceful shutdown: the writer commits what is
    /// queued). `onServerRunning` receives the bound port.
    public func application(onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        let responder = ProxyResponder(
            configuration: configuration, cache: cache, client: client, tenantSecret: tenantSecret, clock: clock,
            flights: flights, runner: runner, tenantScopes: TenantScopeCache(secret: tenantSecret),
            normalizers: ProviderNormalizers(maximumDepth: configuration.maximumJSONDepth), manifest: manifest)
        // Stopped in reverse order, after the server: running fetches finish, the sweeper stops,
        // the manifest is written out, the writer commits what is queued, and the upstream
        // client closes its connections.
        var services: [any Service] = [client]
        if let disk = cache.disk { services.append(DiskTierWriter(tier: disk)) }
        if let manifest { services.append(manifest) }
        services += [MemoryTierSweeper(tier: cache.memory), runner]
        let port = configuration.port
        return Application(
            responder: responder,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "llmcache"),
            services: services,
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) },
            logger: logger)
    }
}
