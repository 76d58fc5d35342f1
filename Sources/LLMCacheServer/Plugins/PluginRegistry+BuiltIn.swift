import LLMCachePlugins
import Synchronization

extension PluginRegistry {
    /// access_log, redaction, key_rules, header_rules.
    public static var builtIn: PluginRegistry {
        var registry = PluginRegistry()
        registry.register(AccessLogPlugin.factory)
        registry.register(RedactionPlugin.factory)
        registry.register(KeyRulesPlugin.factory)
        registry.register(HeaderRulesPlugin.factory)
        return registry
    }

    /// The registry of this process (set by `LLMCacheCLI.main(plugins:)`).
    public static var installed: PluginRegistry {
        get { installedRegistry.withLock { $0 } }
        set { installedRegistry.withLock { $0 = newValue } }
    }

    private static let installedRegistry = Mutex(PluginRegistry.builtIn)
}
