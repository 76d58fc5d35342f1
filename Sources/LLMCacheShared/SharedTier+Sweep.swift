import LLMCacheCore
import Logging
import PostgresNIO

/// Keeping the shared table in bounds: once a minute one instance (whichever takes the sweep's
/// advisory lock; the others skip that round) deletes expired rows and, over
/// `shared.postgres.max_bytes`, the oldest rows until the rest fit.
extension SharedTier {
    /// How often an instance tries to sweep.
    static let sweepInterval: Duration = .seconds(60)

    public struct Sweep: Sendable, Equatable {
        /// Whether this instance swept (false: another held the lock).
        public var ran: Bool
        public var expired: Int
        public var evicted: Int

        public init(ran: Bool, expired: Int, evicted: Int) {
            self.ran = ran
            self.expired = expired
            self.evicted = evicted
        }
    }

    /// One sweep, if no other instance is sweeping now.
    package func sweep() async throws -> Sweep {
        let now = clock.now().nanosecondsSinceEpoch
        let lock = Int64(truncatingIfNeeded: SharedSchema.lockKey("sweep:" + schema.prefix))
        let maxBytes = configuration.maxBytes.map(Int64.init)
        return try await client.withTransaction(logger: logger) { [schema, logger] connection in
            let locked = try await connection.query("SELECT pg_try_advisory_xact_lock(\(lock))", logger: logger)
            var ran = false
            for try await value in locked.decode(Bool.self) { ran = value }
            guard ran else { return Sweep(ran: false, expired: 0, evicted: 0) }
            let expired = try await Self.rowCount(
                connection.query(
                    "DELETE FROM \(unescaped: schema.entries) WHERE expires_at <= \(now) RETURNING 1", logger: logger))
            var evicted = 0
            if let maxBytes {
                // Keep the newest rows whose sizes add up to at most max_bytes.
                evicted = try await Self.rowCount(
                    connection.query(
                        """
                        DELETE FROM \(unescaped: schema.entries) WHERE key IN (
                            SELECT key FROM (
                                SELECT key, sum(size) OVER (ORDER BY created_at DESC, key) AS kept
                                FROM \(unescaped: schema.entries)) AS newest
                            WHERE kept > \(maxBytes))
                        RETURNING 1
                        """, logger: logger))
            }
            return Sweep(ran: true, expired: expired, evicted: evicted)
        }
    }

    /// Sweeps every ``sweepInterval`` until cancelled.
    func sweepUntilCancelled() async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: Self.sweepInterval) } catch { return }
            do {
                let sweep = try await sweep()
                if sweep.expired + sweep.evicted > 0 {
                    logger.info(
                        "shared tier swept",
                        metadata: ["expired": "\(sweep.expired)", "evicted_for_size": "\(sweep.evicted)"])
                }
            } catch {
                stats.failed(error, logger: logger)
            }
        }
    }
}
