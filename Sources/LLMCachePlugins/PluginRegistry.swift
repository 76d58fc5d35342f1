import LLMCacheConfig
import Logging

/// Makes a plugin from its settings (read through the section, so that mistakes carry key
/// paths and lines; unknown keys are reported after `make` returns).
public struct PluginFactory: Sendable {
    public let name: String
    public let make: @Sendable (ConfigSection) throws -> any ProxyPlugin

    public init(name: String, make: @escaping @Sendable (ConfigSection) throws -> any ProxyPlugin) {
        self.name = name
        self.make = make
    }
}

/// The plugins and upstream providers a binary knows, by name. `PluginRegistry.builtIn` (in the
/// server module) holds the built-ins; a third-party binary adds its own and hands the registry to `LLMCacheCLI.main(plugins:)`.
public struct PluginRegistry: Sendable {
    public private(set) var factories: [String: PluginFactory] = [:]
    public private(set) var providers: [String: any UpstreamProvider] = [:]

    public init() {}

    /// Adds (or replaces) a plugin.
    public mutating func register(_ factory: PluginFactory) { factories[factory.name] = factory }

    /// Adds an upstream provider that `upstreams.<id>.provider: NAME` can use.
    public mutating func register(provider: any UpstreamProvider, named name: String) { providers[name] = provider }

    /// Makes the enabled plugins of `settings` (not yet started).
    /// - Throws: ``ConfigError`` for unknown names and bad plugin settings, with key paths.
    public func makeChain(_ settings: [PluginSettings]) throws(ConfigError) -> PluginChain {
        var issues: [ConfigIssue] = []
        var configured: [ConfiguredPlugin] = []
        for entry in settings where entry.enabled {
            guard let factory = factories[entry.name] else {
                issues.append(
                    ConfigIssue(
                        path: "\(entry.path).name", origin: entry.settings.origin,
                        message:
                            "unknown plugin '\(entry.name)' (this binary has: \(factories.keys.sorted().joined(separator: ", ")))"
                    ))
                continue
            }
            let section = ConfigSection(entry.settings, path: "\(entry.path).settings")
            do {
                let plugin = try factory.make(section)
                section.finish()
                issues += section.issues
                configured.append(
                    ConfiguredPlugin(
                        name: entry.name, plugin: plugin, priority: entry.priority ?? plugin.defaultPriority,
                        critical: entry.critical ?? plugin.isCritical, timeout: entry.timeout ?? plugin.defaultTimeout))
            } catch let error as ConfigError {
                issues += section.issues + error.issues.filter { !section.issues.contains($0) }
            } catch {
                issues += section.issues
                issues.append(ConfigIssue(path: section.path, origin: section.origin, message: "\(error)"))
            }
        }
        if !issues.isEmpty { throw ConfigError(issues) }
        return PluginChain(plugins: configured, providers: providers)
    }
}
