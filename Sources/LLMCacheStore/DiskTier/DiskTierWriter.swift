import NIOPosix
import ServiceLifecycle

/// The disk tier's writer: commits queued writes as they arrive (all that queued up meanwhile in
/// one transaction) and sweeps expired records every `sweepInterval`, on NIO's blocking-I/O pool.
/// On graceful shutdown it commits what is left and returns.
public struct DiskTierWriter: Service {
    public let tier: DiskTier
    public let sweepInterval: Duration
    /// After the first queued write wakes it, the writer waits this long for more before
    /// committing: fewer, larger transactions (and fsyncs) under load, at the price of that much
    /// more time before a write is durable.
    public let batchWindow: Duration

    public init(tier: DiskTier, sweepInterval: Duration = .seconds(60), batchWindow: Duration = .milliseconds(5)) {
        self.tier = tier
        self.sweepInterval = sweepInterval
        self.batchWindow = batchWindow
    }

    public func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: sweepInterval)
                    if Task.isCancelled { break }
                    try? await NIOThreadPool.singleton.runIfActive {
                        do {
                            try tier.sweepExpired()
                        } catch {
                            tier.logger.error("disk tier sweep failed", metadata: ["error": "\(error)"])
                        }
                    }
                }
            }
            await cancelWhenGracefulShutdown {
                for await _ in tier.wakeups {
                    if batchWindow > .zero { try? await Task.sleep(for: batchWindow) }
                    try? await tier.flush()
                }
            }
            group.cancelAll()
        }
        try await tier.flush()
    }
}
