import Hummingbird
import LLMCacheConfig
import LLMCacheServer
import Logging

/// The admin API of a running proxy, on its own listener (loopback by default):
///
/// | request | what it does |
/// |---|---|
/// | `GET /healthz`, `/readyz` | as on the proxy's listener (no token needed) |
/// | `GET /stats`, `/metrics` | as on the proxy's listener |
/// | `GET /stats?view=dashboard` | `/stats` with the last hour, recent misses explained, the configuration |
/// | `GET /dashboard` | the live page over that (without the token: the page, as a 401, asking for it) |
/// | `POST /admin/purge` `{"key":HEX}` \| `{"namespace":NAME}` \| `{"all":true}` | removes entries from both tiers |
/// | `POST /admin/stats/reset` | zeroes the `/stats` counters (Prometheus counters stay monotonic) |
/// | `GET /admin/export[?namespace=&model=&since=ISO8601]` | streams entries as export-format JSON lines |
public struct AdminServer: Sendable {
    public let configuration: AdminConfiguration
    let proxy: ProxyServer
    let settings: @Sendable () -> LLMCacheSettings?
    let logger: Logger

    /// - Parameter settings: the settings in force (after reloads), shown by the dashboard with
    ///   secrets redacted.
    public init(
        proxy: ProxyServer, configuration: AdminConfiguration,
        settings: @escaping @Sendable () -> LLMCacheSettings? = { nil },
        logger: Logger = Logger(label: "llmcache.admin")
    ) {
        self.proxy = proxy
        self.configuration = configuration
        self.settings = settings
        self.logger = logger
    }

    /// Connections the admin listener serves at once (beyond: 503, closed); the open-file
    /// budget of `serve` keeps room for them.
    public static let maximumConnections = 64

    /// The admin HTTP application; `onServerRunning` receives the bound port.
    public func application(onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in })
        -> some ApplicationProtocol
    {
        let port = configuration.port
        // The admin listener's own, small share of the process's descriptors.
        var limits = proxy.configuration.listener
        limits.maximumConnections = min(limits.maximumConnections, Self.maximumConnections)
        return Application(
            responder: AdminResponder(
                proxy: proxy, endpoints: proxy.endpoints, token: configuration.token.map(BearerToken.init),
                settings: settings, browsers: BrowserGuard(host: configuration.host, token: configuration.token)),
            server: limits.server(connections: ConnectionCount(), maximumBodyBytes: 64 << 10),
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port), serverName: "llmcache-admin"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) },
            logger: logger)
    }
}
