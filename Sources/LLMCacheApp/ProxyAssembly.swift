import CoreMetrics
import LLMCacheAdmin
import LLMCacheConfig
import LLMCacheCore
import LLMCachePlugins
import LLMCacheServer
import Logging
import ServiceLifecycle
import UnixSignals

/// The running proxy as `llmcache serve` runs it — the one place it is put together, used by
/// the command line and by the tests: the proxy server (tiers, upstream client, background
/// services), its plugins, the admin API when configured, the configuration watcher when there
/// is something to reload, and the drain watcher that turns `/readyz` to 503 first on shutdown.
public struct ProxyAssembly: Sendable {
    /// What a reload reads again: the loader (file, environment, flags) and the registry of
    /// plugins and providers, with the settings the proxy starts with.
    public struct Reloading: Sendable {
        public var loader: ConfigLoader
        public var registry: PluginRegistry
        public var settings: LLMCacheSettings
        /// Trap SIGHUP (off in tests: signals are process-wide).
        public var watchSignals: Bool
        /// Poll the file for changes (tests that reload by hand turn it off).
        public var watchesFile: Bool
        /// How often the file is polled for changes.
        public var interval: Duration
        /// Told the result of every reload the watcher runs (true: applied).
        public var onReload: (@Sendable (_ applied: Bool) -> Void)?

        public init(
            loader: ConfigLoader, registry: PluginRegistry, settings: LLMCacheSettings, watchSignals: Bool = true,
            watchesFile: Bool = true, interval: Duration = .seconds(1),
            onReload: (@Sendable (_ applied: Bool) -> Void)? = nil
        ) {
            self.loader = loader
            self.registry = registry
            self.settings = settings
            self.watchSignals = watchSignals
            self.watchesFile = watchesFile
            self.interval = interval
            self.onReload = onReload
        }
    }

    public let server: ProxyServer
    public let admin: AdminServer?
    public let reloader: ConfigReloader?
    let reloading: Reloading?
    let logger: Logger

    /// Opens the tiers (connecting to the shared tier's database when one is configured) and
    /// makes the services; nothing runs yet.
    /// - Throws: when a tier cannot be opened or the manifest cannot be written.
    public init(
        configuration: ProxyConfiguration, plugins: PluginChain = .empty, admin: AdminConfiguration? = nil,
        reloading: Reloading? = nil, clock: any WallClock = SystemClock(), logger: Logger = Logger(label: "llmcache"),
        metricsFactory: any MetricsFactory = MetricsSystem.factory,
        metricsExposition: (@Sendable () -> [UInt8])? = nil,
        memorySampler: any MemorySampler = ProcessMemorySampler()
    ) async throws {
        try admin?.validate()
        let server = try await ProxyServer(
            configuration: configuration, clock: clock, logger: logger, metricsFactory: metricsFactory,
            metricsExposition: metricsExposition, memorySampler: memorySampler, plugins: plugins)
        self.server = server
        let reloader = reloading.map {
            ConfigReloader(
                loader: $0.loader, registry: $0.registry, server: server, settings: $0.settings, logger: logger)
        }
        self.reloader = reloader
        self.admin = admin.map {
            AdminServer(proxy: server, configuration: $0, settings: { reloader?.current }, logger: logger)
        }
        self.reloading = reloading
        self.logger = logger
    }

    /// Starts the plugins; call before running the services. When one fails to start, the
    /// upstream client is shut down and the error thrown: nothing is left running.
    public func start() async throws {
        do { try await server.startPlugins() } catch {
            try? await server.client.shutdown()
            await server.shared?.close()
            throw error
        }
    }

    /// The services to run in one `ServiceGroup`, in the order graceful shutdown needs: the
    /// drain watcher last, so that shutdown reaches it first and `/readyz` turns 503 at once.
    /// The closures receive the bound ports.
    public func services(
        onProxyListening: @escaping @Sendable (Int) async -> Void = { _ in },
        onAdminListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> [any Service] {
        var services: [any Service] = [server.application(onServerRunning: onProxyListening)]
        if let reloader, let reloading {
            services.append(
                ConfigWatcher(
                    path: reloading.watchesFile ? reloading.loader.path : nil, interval: reloading.interval,
                    watchSignals: reloading.watchSignals, logger: logger
                ) { reason in
                    let applied = await reloader.reload(reason: reason)
                    reloading.onReload?(applied)
                })
        }
        if let admin { services.append(admin.application(onServerRunning: onAdminListening)) }
        services.append(server.readiness.drainWatcher)
        return services
    }

    /// The group that runs `services` (``services(onProxyListening:onAdminListening:)``): a
    /// graceful shutdown (one of `signals`, or a trigger) waits at most `listen.shutdown_timeout`
    /// for requests in progress, then cancels them, so a client stalled mid-body cannot keep the
    /// process up.
    public func serviceGroup(
        _ services: [any Service], signals: [UnixSignal] = [.sigterm, .sigint]
    ) -> ServiceGroup {
        var configuration = ServiceGroupConfiguration(
            services: services.map { .init(service: $0) }, gracefulShutdownSignals: signals, logger: logger)
        configuration.maximumGracefulShutdownDuration = server.configuration.listener.shutdownTimeout
        configuration.maximumCancellationDuration = .seconds(5)
        return ServiceGroup(configuration: configuration)
    }
}
