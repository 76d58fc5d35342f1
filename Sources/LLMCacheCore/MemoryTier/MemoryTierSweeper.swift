import ServiceLifecycle

/// Periodically removes expired entries from a ``MemoryTier`` (expired entries are also dropped
/// lazily when looked up). A `Service`: run it in the application's `ServiceGroup`.
public struct MemoryTierSweeper: Service {
    public let tier: MemoryTier
    public let interval: Duration
    public let limitPerShard: Int

    public init(tier: MemoryTier, interval: Duration = .seconds(5), limitPerShard: Int = 4096) {
        self.tier = tier
        self.interval = interval
        self.limitPerShard = limitPerShard
    }

    public func run() async throws {
        // Cancelled (ending the sleep at once) when graceful shutdown starts.
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                tier.sweepExpired(limitPerShard: limitPerShard)
                try await Task.sleep(for: interval)
            }
        }
    }
}
