import ServiceLifecycle
import Synchronization

/// Whether the proxy should receive traffic: `/readyz` answers 200 once the server listens and
/// until graceful shutdown begins (503 before and after).
public final class Readiness: Sendable {
    private let listening = Atomic<Bool>(false)
    private let draining = Atomic<Bool>(false)

    public init() {}

    public var isReady: Bool { listening.load(ordering: .relaxed) && !draining.load(ordering: .relaxed) }

    public func markListening() { listening.store(true, ordering: .relaxed) }

    public func markDraining() { draining.store(true, ordering: .relaxed) }

    /// A service that marks the proxy draining when graceful shutdown reaches it: run it as the
    /// *last* service of the group, so that it is told first (a group stops its services in
    /// reverse order).
    public var drainWatcher: some Service { DrainWatcher(readiness: self) }
}

private struct DrainWatcher: Service {
    let readiness: Readiness

    func run() async throws {
        try? await gracefulShutdown()
        readiness.markDraining()
    }
}
