import Logging
import NIOPosix
import ServiceLifecycle
import Synchronization

/// Trains the disk tier's zstd dictionary while the server runs, off the request path: every
/// `interval` it asks ``DictionaryTraining`` and, when due, trains from a sample of the stored
/// records on NIO's blocking-I/O pool and switches new writes to it. Older records keep the
/// dictionary (or none) they were written with and stay readable.
public final class DictionaryTrainer: Service {
    let tier: DiskTier
    let interval: Duration
    let policy: Mutex<DictionaryTraining>

    public init(tier: DiskTier, interval: Duration = .seconds(30), policy: DictionaryTraining = DictionaryTraining()) {
        self.tier = tier
        self.interval = interval
        self.policy = Mutex(policy)
    }

    public func run() async throws {
        // Cancelled (ending the sleep at once) when graceful shutdown starts.
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: self.interval)
                _ = try? await NIOThreadPool.singleton.runIfActive { self.trainIfDue() }
            }
        }
    }

    /// Trains when the policy says so; returns the new dictionary's id. Blocks (reads a sample,
    /// trains, writes the dictionary): call it off the event loop.
    @discardableResult
    public func trainIfDue(now: ContinuousClock.Instant = .now) -> UInt32? {
        let usage = tier.dictionaryUsage.withLock { $0 }
        let verdict = policy.withLock {
            $0.decide(current: tier.currentDictionaryID, usage: usage, storedRecords: tier.stats.entries, now: now)
        }
        guard case .train(let reason) = verdict else { return nil }
        do {
            let id = try tier.trainDictionary()
            policy.withLock { $0.trained(id, now: now) }
            tier.logger.info("trained a compression dictionary", metadata: ["dictionary": "\(id)", "why": "\(reason)"])
            return id
        } catch {
            policy.withLock { $0.trained(nil, now: now) }
            tier.logger.warning("could not train a compression dictionary", metadata: ["error": "\(error)"])
            return nil
        }
    }
}
