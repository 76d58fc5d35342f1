import LLMCacheCore
import LLMCachePlugins
import Logging

/// Runs hooks with isolation: failures are logged and counted, and skipped unless critical.
struct PluginRunner: Sendable {
    let metrics: ProxyMetrics
    let logger: Logger

    private enum Outcome<T: Sendable>: Sendable {
        case value(T)
        case timedOut
    }

    /// `body`'s result, or nil when the hook failed or timed out (and is not critical).
    /// - Throws: ``ProxyError`` 502 `plugin_failed` when a critical plugin's hook fails.
    func run<T: Sendable>(
        _ plugin: ConfiguredPlugin, _ hook: PluginHooks, _ body: @escaping @Sendable () async throws -> T
    ) async throws(ProxyError) -> T? {
        if plugin.plugin.runsInline {
            do { return try await body() } catch {
                try failed(plugin, hook, kind: "error", error: "\(error)")
                return nil
            }
        }
        let timeout = plugin.timeout
        do {
            let outcome = try await withThrowingTaskGroup(of: Outcome<T>.self) { group in
                group.addTask { .value(try await body()) }
                group.addTask {
                    try await TimerSleep.sleep(for: timeout)  // freed when the hook finishes first
                    return .timedOut
                }
                defer { group.cancelAll() }
                return try await group.next()!
            }
            switch outcome {
            case .value(let value): return value
            case .timedOut: try failed(plugin, hook, kind: "timeout", error: "did not finish within \(timeout)")
            }
        } catch let error as ProxyError {
            throw error
        } catch {
            try failed(plugin, hook, kind: "error", error: "\(error)")
        }
        return nil
    }

    /// A synchronous hook: a throw is isolated like an async one's; too long a run is reported
    /// (it cannot be abandoned).
    func runSync(_ plugin: ConfiguredPlugin, _ hook: PluginHooks, _ body: () throws -> Void) throws(ProxyError) {
        let started = ContinuousClock.now
        do {
            try body()
        } catch {
            try failed(plugin, hook, kind: "error", error: "\(error)")
            return
        }
        let elapsed = ContinuousClock.now - started
        if elapsed > plugin.timeout {
            metrics.pluginFailure(plugin: plugin.name, hook: hook.name, kind: "slow")
            logger.warning(
                "plugin hook slow",
                metadata: ["plugin": "\(plugin.name)", "hook": "\(hook.name)", "elapsed": "\(elapsed)"])
        }
    }

    private func failed(_ plugin: ConfiguredPlugin, _ hook: PluginHooks, kind: String, error: String) throws(ProxyError)
    {
        metrics.pluginFailure(plugin: plugin.name, hook: hook.name, kind: kind)
        logger.error(
            "plugin hook failed",
            metadata: [
                "plugin": "\(plugin.name)", "hook": "\(hook.name)", "kind": "\(kind)", "error": "\(error)",
                "critical": "\(plugin.critical)",
            ])
        if plugin.critical {
            throw ProxyError(
                status: .badGateway, type: "plugin_failed",
                message: "plugin \(plugin.name) (\(hook.name)) failed: \(kind)")
        }
    }
}
