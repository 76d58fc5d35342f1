import LLMCacheCore
import ServiceLifecycle

/// Closes a ``StatsHistory`` bucket every interval, from the start of the proxy until its
/// shutdown.
struct StatsHistorySampler: Service {
    let endpoints: ObservabilityEndpoints

    func run() async throws {
        let history = endpoints.history
        // Cancelled (ending the sleep at once) when graceful shutdown starts.
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                history.sample(endpoints.historyPoint())
                try await Task.sleep(for: history.interval)
            }
        }
    }
}
