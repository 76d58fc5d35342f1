import ServiceLifecycle

/// Shuts the plugins in force down on graceful shutdown (after the server has stopped and
/// running fetches have finished: it is stopped before them).
struct PluginShutdown: Service {
    let runtime: ProxyRuntime

    func run() async throws {
        try? await gracefulShutdown()
        await runtime.current.plugins.shutdownAll()
    }
}
