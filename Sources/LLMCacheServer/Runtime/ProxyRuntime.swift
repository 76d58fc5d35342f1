import LLMCachePlugins
import LLMCacheUpstream
import Synchronization

/// What a configuration reload replaces: the settings requests read, the request normalizers
/// and the plugin chain. Requests take one snapshot when they start and keep it to the end.
final class RuntimeState: Sendable {
    let configuration: ProxyConfiguration
    let normalizers: ProviderNormalizers
    let plugins: PluginChain
    /// Lookups of recent hits by their exact request (the lean path's), valid for this snapshot only.
    let lookups = LookupMemo()

    init(configuration: ProxyConfiguration, plugins: PluginChain) {
        self.configuration = configuration
        self.normalizers = ProviderNormalizers(maximumDepth: configuration.maximumJSONDepth)
        self.plugins = plugins
    }
}

/// Holds the current ``RuntimeState``; reading it is one short lock.
final class ProxyRuntime: Sendable {
    private let state: Mutex<RuntimeState>

    init(_ state: RuntimeState) { self.state = Mutex(state) }

    var current: RuntimeState { state.withLock { $0 } }

    /// Installs `new`, returning what it replaced.
    func replace(with new: RuntimeState) -> RuntimeState {
        state.withLock { state in
            let old = state
            state = new
            return old
        }
    }
}
