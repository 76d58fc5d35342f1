import ServiceLifecycle

extension UpstreamClient: Service {
    /// Holds the client open until graceful shutdown, then closes its connections.
    public func run() async throws {
        try? await gracefulShutdown()
        try await shutdown()
    }
}
