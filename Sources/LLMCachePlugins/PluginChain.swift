import LLMCacheCore
import Logging

/// A plugin as configured: its instance and how its hooks run.
package struct ConfiguredPlugin: Sendable {
    package let name: String
    package let plugin: any ProxyPlugin
    package let priority: Int
    package let critical: Bool
    package let timeout: Duration
}

/// The plugins of one configuration in hook order, with the isolation rules of ``ProxyPlugin``.
/// Empty chains cost a check per hook point.
public struct PluginChain: Sendable {
    package let plugins: [ConfiguredPlugin]
    /// Per hook point (indexed by its bit), the plugins that implement it.
    private let byHook: [[ConfiguredPlugin]]
    /// Upstream providers by name.
    package let providers: [String: any UpstreamProvider]

    package init(plugins: [ConfiguredPlugin], providers: [String: any UpstreamProvider]) {
        // Stable: equal priorities keep configuration order.
        let ordered = plugins.enumerated().sorted {
            ($0.element.priority, $0.offset) < ($1.element.priority, $1.offset)
        }.map(\.element)
        self.plugins = ordered
        self.byHook = PluginHooks.all.map { hook in ordered.filter { $0.plugin.hooks.contains(hook) } }
        self.providers = providers
    }

    public static let empty = PluginChain(plugins: [], providers: [:])

    /// The plugins' names in hook order.
    public var names: [String] { plugins.map(\.name) }

    package func uses(_ hook: PluginHooks) -> Bool { !byHook[hook.index].isEmpty }

    package func plugins(for hook: PluginHooks) -> [ConfiguredPlugin] { byHook[hook.index] }

    package func startAll() async throws {
        var started: [ConfiguredPlugin] = []
        for plugin in plugins {
            do {
                try await plugin.plugin.start()
                started.append(plugin)
            } catch {
                for done in started { await done.plugin.shutdown() }
                throw PluginStartError(plugin: plugin.name, underlying: error)
            }
        }
    }

    package func shutdownAll() async {
        for plugin in plugins.reversed() { await plugin.plugin.shutdown() }
    }
}

package struct PluginStartError: Error, CustomStringConvertible {
    package let plugin: String
    package let underlying: any Error
    package var description: String { "plugin \(plugin) failed to start: \(underlying)" }
}
