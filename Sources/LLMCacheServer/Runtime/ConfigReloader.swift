import LLMCacheConfig
import LLMCachePlugins
import Logging
import Synchronization

/// Reloads the configuration into a running proxy: loads the file again (same environment and
/// flags, so precedence holds), builds the proxy configuration and the plugins, and applies them.
/// A file that does not load, validate or start is rejected — the running configuration stays —
/// and the rejection is logged and counted. Changed startup-only settings are named in a warning.
public final class ConfigReloader: Sendable {
    public let loader: ConfigLoader
    let registry: PluginRegistry
    let server: ProxyServer
    let logger: Logger
    private let settings: Mutex<LLMCacheSettings>

    /// - Parameter settings: what the proxy is running with now.
    public init(
        loader: ConfigLoader, registry: PluginRegistry, server: ProxyServer, settings: LLMCacheSettings, logger: Logger
    ) {
        self.loader = loader
        self.registry = registry
        self.server = server
        self.settings = Mutex(settings)
        self.logger = logger
    }

    /// The settings in force.
    public var current: LLMCacheSettings { settings.withLock { $0 } }

    /// Loads and applies; returns whether the new configuration is in force.
    @discardableResult
    public func reload(reason: String) async -> Bool {
        let started = ContinuousClock.now
        let new: LLMCacheSettings
        let configuration: ProxyConfiguration
        let plugins: PluginChain
        do {
            new = try loader.load()
            configuration = try ProxyConfiguration(settings: new, registry: registry)
            plugins = try registry.makeChain(new.plugins)
        } catch {
            return rejected(reason: reason, error: "\(error)")
        }
        do {
            try await server.apply(configuration, plugins: plugins)
        } catch {
            return rejected(reason: reason, error: "\(error)")
        }
        let old = settings.withLock { settings in
            defer { settings = new }
            return settings
        }
        let startupOnly = new.startupOnlyChanges(from: old)
        if !startupOnly.isEmpty {
            logger.warning(
                "configuration changes that need a restart were not applied",
                metadata: ["keys": "\(startupOnly.joined(separator: ", "))", "file": "\(loader.path ?? "none")"])
        }
        server.metrics.configReload(applied: true)
        logger.info(
            "configuration reloaded",
            metadata: [
                "reason": "\(reason)", "file": "\(loader.path ?? "none")",
                "plugins": "\(plugins.names.joined(separator: ","))",
                "duration": "\(ContinuousClock.now - started)",
            ])
        return true
    }

    private func rejected(reason: String, error: String) -> Bool {
        server.metrics.configReload(applied: false, error: error)
        logger.error(
            "configuration rejected; the running configuration stays",
            metadata: ["reason": "\(reason)", "file": "\(loader.path ?? "none")", "error": "\(error)"])
        return false
    }
}
