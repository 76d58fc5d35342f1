import LLMCacheCore
import Logging
import NIOCore
import PostgresNIO
import Synchronization

/// Coalescing across instances. The instance whose request for a key misses first takes the
/// key's lease (a row in `{prefix}leases`, `lease_timeout` long) and fetches; the others wait
/// for the database's notification that the fetch ended, then read the answer from the shared
/// table. A fetch that stored nothing (an error, an answer too large or not storable) wakes the
/// waiters too: one of them takes the lease and fetches. The holder renews its leases every
/// third of `lease_timeout` while it fetches, so the others wait for a long generation as long as
/// it runs; a holder that died stops renewing, and its lease lapses within `lease_timeout`, when a
/// waiter takes it over and fetches.
///
/// Streams are not relayed between instances: their waiters get the stored stream once it is
/// complete, and replay it (with its chunk boundaries) from there.
extension SharedTier {
    public enum LeaseOutcome: Sendable {
        /// This instance fetches; end it with ``SharedLease/release()``.
        case granted(SharedLease)
        /// Another instance fetched and stored the answer while this one waited.
        case answered(CacheEntry)
        /// No lease (the database failed, the wait was cancelled, or another instance's fetch
        /// outlasted `lease_timeout`): fetch without one.
        case unavailable
    }

    /// Takes `key`'s lease, or waits for the instance holding it; see ``LeaseOutcome``.
    public func lease(_ key: CacheKey) async -> LeaseOutcome {
        let hex = key.hex
        while !Task.isCancelled {
            // Registered before the checks: a notification between them and the wait counts.
            let waiter = notifications.register(hex)
            defer { notifications.remove(hex, waiter) }
            let attempt: LeaseAttempt
            let started = ContinuousClock.now
            do {
                guard isAttached, stats.mayTry(breakerDelay: configuration.breakerDelay) else { return .unavailable }
                attempt = try await acquire(key)
                stats.works(logger: logger)
            } catch {
                stats.failed(error, started: started, logger: logger)
                return .unavailable
            }
            let remaining: Duration
            switch attempt {
            case .taken:
                leased.withLock { $0[key] = .some(nil) }
                // An answer released after the lease statement's snapshot was taken (so it saw
                // neither that answer nor the lease it replaced): read, not fetched again.
                if let entry = try? await read(key) {
                    await release(key)
                    return answered(entry)
                }
                leasesTaken.add()
                return .granted(SharedLease(tier: self, key: key))
            case .held(let left):
                remaining = left
            case .stored:
                remaining = .zero
            }
            // The database failing now (read counts it) means nobody can announce an end.
            do { if let entry = try await read(key) { return answered(entry) } } catch { return .unavailable }
            // A row the lease query saw but the read did not take (damaged, expired or purged a
            // moment ago): fetch without a lease rather than ask again.
            guard remaining > .zero else { return .unavailable }
            stats.waitedForLease()
            leaseWaits.add()
            // Until the holder announces the end, or its lease lapses unless renewed meanwhile
            // (then the next round takes it over, or waits for the renewed one).
            if await notifications.wait(hex, waiter, timeout: remaining + .milliseconds(20)) {
                do { if let entry = try await read(key) { return answered(entry) } } catch { return .unavailable }
            }
        }
        return .unavailable
    }

    private func answered(_ entry: CacheEntry) -> LeaseOutcome {
        stats.hit()
        return .answered(entry)
    }

    /// What an attempt to take a lease found.
    private enum LeaseAttempt {
        case taken
        /// Another instance holds it, for this long still (on the database's clock).
        case held(Duration)
        /// Not taken and nobody holds it: the answer is in the table already.
        case stored
    }

    /// The lease's length in milliseconds.
    private var leaseMilliseconds: Int64 {
        Int64(configuration.leaseTimeout.components.seconds * 1_000)
            + configuration.leaseTimeout.components.attoseconds / 1_000_000_000_000_000
    }

    /// The database's clock in milliseconds, in SQL.
    private static let databaseNow = "(extract(epoch from clock_timestamp()) * 1000)::int8"

    /// Takes the lease if it is free or its holder's lapsed — never when the answer is in the
    /// table already: a fetch that ended between this instance's lookup and now left its answer,
    /// not a free lease to fetch it again. Otherwise says how long the holder's lease still runs
    /// (read in the same statement: the data-modifying CTE's row is not visible to it, the lease
    /// before it is).
    private func acquire(_ key: CacheKey) async throws -> LeaseAttempt {
        let keyBytes = ByteBuffer(bytes: key.bytes)
        let stored = clock.now().nanosecondsSinceEpoch
        let milliseconds = leaseMilliseconds
        let now = Self.databaseNow
        return try await withDeadline(configuration.lookupTimeout * 4, "taking a shared-tier lease") {
            [client, schema, instance, configuration, logger] in
            let rows = try await client.query(
                """
                WITH taken AS (
                    INSERT INTO \(unescaped: schema.leases) AS lease (key, owner, expires_at)
                    SELECT \(keyBytes), \(instance), \(unescaped: now) + \(milliseconds)
                    WHERE NOT EXISTS (
                        SELECT 1 FROM \(unescaped: schema.entries) WHERE key = \(keyBytes) AND expires_at > \(stored))
                    ON CONFLICT (key) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
                    WHERE lease.expires_at < \(unescaped: now)
                    RETURNING 1)
                SELECT (SELECT count(*) FROM taken)::int8,
                       (SELECT expires_at - \(unescaped: now) FROM \(unescaped: schema.leases) WHERE key = \(keyBytes))::int8,
                       EXISTS (SELECT 1 FROM \(unescaped: schema.entries) WHERE key = \(keyBytes) AND expires_at > \(stored))
                """, logger: logger)
            for try await (taken, left, exists) in rows.decode((Int64, Int64?, Bool).self) {
                if taken > 0 { return .taken }
                if let left, left > 0 { return .held(.milliseconds(left)) }
                if exists { return .stored }
                // Neither taken nor visibly held nor stored: another instance took the lease while
                // this statement ran (its insert won the conflict; its row is newer than this
                // statement's snapshot). Wait for its end as for any holder's.
                return .held(configuration.leaseTimeout)
            }
            return .stored
        }
    }

    /// Renews every lease this instance holds, each third of `lease_timeout`, until cancelled:
    /// the others wait for a fetch as long as it runs, and no longer than `lease_timeout` once
    /// this instance is gone.
    func renewLeasesUntilCancelled() async {
        let interval = max(configuration.leaseTimeout / 3, .milliseconds(50))
        while !Task.isCancelled {
            do { try await Task.sleep(for: interval) } catch { return }
            let keys = leased.withLock { Array($0.keys) }
            guard !keys.isEmpty, isAttached else { continue }
            let keyBytes = keys.map { ByteBuffer(bytes: $0.bytes) }
            let started = ContinuousClock.now
            do {
                try await client.query(
                    """
                    UPDATE \(unescaped: schema.leases) SET expires_at = \(unescaped: Self.databaseNow) + \(leaseMilliseconds)
                    WHERE owner = \(instance) AND key = ANY(\(keyBytes)::bytea[])
                    """, logger: logger)
                leaseRenewals.add()
            } catch {
                stats.failed(error, started: started, logger: logger)
            }
        }
    }

    /// Ends this instance's lease of `key`: writes the answer stored under it (if any), frees the
    /// lease and announces the end — in one transaction, so a woken waiter finds the answer.
    func release(_ key: CacheKey) async {
        let stored = leased.withLock { $0.removeValue(forKey: key) } ?? nil
        let keyBytes = ByteBuffer(bytes: key.bytes)
        let hex = key.hex
        do {
            try await client.withTransaction(logger: logger) { [schema, instance, logger] connection in
                if let stored { try await connection.query(Self.upsert(schema, [stored]), logger: logger) }
                try await connection.query(
                    "DELETE FROM \(unescaped: schema.leases) WHERE key = \(keyBytes) AND owner = \(instance)",
                    logger: logger)
                try await connection.query("SELECT pg_notify(\(schema.channel), \(hex))", logger: logger)
            }
            if stored != nil { stats.wrote(1, logger: logger) }
        } catch {
            stats.failed(error, logger: logger)
            // The answer is not lost: it goes the ordinary way (the lease expires by itself).
            if let stored, !queue.enqueue(stored) { stats.dropped() }
        }
    }

    /// Wakes this instance's waiters as other instances' fetches end (and applies their purges),
    /// until cancelled; a broken
    /// connection is reopened after a second (waiters meanwhile fall back on their deadline).
    func listenForReleases() async {
        // The listener's own state, logged on change; lookups' breaker does not depend on it.
        let broken = Mutex(false)
        while !Task.isCancelled {
            do {
                try await client.withConnection { [schema] connection in
                    try await connection.listen(on: schema.channel) { payloads in
                        let wasBroken = broken.withLock { state in
                            defer { state = false }
                            return state
                        }
                        if wasBroken {
                            self.logger.info("shared tier notifications listening again")
                        }
                        for try await payload in payloads { await self.received(payload.payload) }
                    }
                }
            } catch {
                if Task.isCancelled { return }
                let first = broken.withLock { state in
                    defer { state = true }
                    return !state
                }
                if first {
                    logger.warning(
                        "shared tier notifications interrupted; waiters fall back on their deadline",
                        metadata: ["error": "\(SharedTierError.describe(error))"])
                }
            }
            // Without the connection no end is announced: the waiters look again now.
            notifications.notifyAll()
            try? await Task.sleep(for: .seconds(1))
        }
    }
}

/// This instance's lease of a key: it fetches, stores (the shared tier keeps the answer for
/// ``release()``) and releases.
public struct SharedLease: Sendable {
    let tier: SharedTier
    public let key: CacheKey

    /// Writes the stored answer, frees the lease and wakes the other instances' waiters.
    public func release() async { await tier.release(key) }
}
