import NIOPosix
import ServiceLifecycle

/// The disk tier's writer: commits queued writes as they arrive (all that queued up meanwhile in
/// one transaction) and sweeps expired records every `sweepInterval`, on NIO's blocking-I/O pool.
/// On graceful shutdown it commits what is left and returns.
public struct DiskTierWriter: Service {
    public let tier: DiskTier
    public let sweepInterval: Duration

    public init(tier: DiskTier, sweepInterval: Duration = .seconds(60)) {
        self.tier = tier
        self.sweepInterval = sweepInterval
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
                    try? await tier.flush()
                }
            }
            group.cancelAll()
        }
        try await tier.flush()
    }
}
