import LLMCacheCore
import Logging
import NIOCore
import Synchronization

/// The shared tier's counters, and its state as the logs see it: an error is logged when the
/// tier goes from working to failing, and once more when it works again — never per request.
public final class SharedTierStats: Sendable {
    private struct Counters {
        var hits = 0
        var misses = 0
        var errors = 0
        var damaged = 0
        var dropped = 0
        var written = 0
        var leaseWaits = 0
        var lookups = 0
        var lookupNanoseconds: Int64 = 0
        var failing = false
        var lastError: String?
        /// When the last attempt failed, or the breaker last let one through.
        var lastFailure: ContinuousClock.Instant?
        var lastSuccess: ContinuousClock.Instant?
        var skipped = 0
    }

    public struct Report: Sendable, Equatable {
        public var hits: Int = 0
        public var misses: Int = 0
        public var errors: Int = 0
        public var damaged: Int = 0
        public var dropped: Int = 0
        public var written: Int = 0
        /// Requests that waited for another instance's fetch.
        public var leaseWaits: Int = 0
        public var queueDepth: Int = 0
        public var failing: Bool = false
        public var lastError: String? = nil
        /// Lookups not tried because the breaker was open (each a miss).
        public var skipped: Int = 0
        /// Mean lookup time of the answered lookups, in microseconds.
        public var meanLookupMicroseconds: Double = 0

        /// All zeros (a test publishing a report of its own).
        package init() {}

        init(
            hits: Int, misses: Int, errors: Int, damaged: Int, dropped: Int, written: Int, leaseWaits: Int,
            queueDepth: Int, failing: Bool, lastError: String?, skipped: Int, meanLookupMicroseconds: Double
        ) {
            self.hits = hits
            self.misses = misses
            self.errors = errors
            self.damaged = damaged
            self.dropped = dropped
            self.written = written
            self.leaseWaits = leaseWaits
            self.queueDepth = queueDepth
            self.failing = failing
            self.lastError = lastError
            self.skipped = skipped
            self.meanLookupMicroseconds = meanLookupMicroseconds
        }
    }

    private let counters = Mutex(Counters())
    /// Times the tier came back after failing (tests await it).
    package let recoveries = EventCount()

    init() {}

    var counts: TierCounts {
        counters.withLock { TierCounts(hits: $0.hits, misses: $0.misses, entries: 0, bytes: 0) }
    }

    func report(queueDepth: Int) -> Report {
        counters.withLock {
            Report(
                hits: $0.hits, misses: $0.misses, errors: $0.errors, damaged: $0.damaged, dropped: $0.dropped,
                written: $0.written, leaseWaits: $0.leaseWaits, queueDepth: queueDepth, failing: $0.failing,
                lastError: $0.lastError, skipped: $0.skipped,
                meanLookupMicroseconds: $0.lookups == 0 ? 0 : Double($0.lookupNanoseconds) / Double($0.lookups) / 1_000)
        }
    }

    func hit() { counters.withLock { $0.hits += 1 } }
    func miss() { counters.withLock { $0.misses += 1 } }
    func damaged() {
        counters.withLock {
            $0.damaged += 1; $0.misses += 1
        }
    }
    func dropped() { counters.withLock { $0.dropped += 1 } }
    func waitedForLease() { counters.withLock { $0.leaseWaits += 1 } }

    /// A lookup came back (found or not): the tier works.
    func answered(after duration: Duration, logger: Logger) {
        counters.withLock { counters in
            counters.lookups += 1
            counters.lookupNanoseconds += TimeAmount(duration).nanoseconds
        }
        works(logger: logger)
    }

    func wrote(_ rows: Int, logger: Logger) {
        counters.withLock { $0.written += rows }
        works(logger: logger)
    }

    /// Something reached the database: the breaker closes (logged when it was open).
    func works(logger: Logger) {
        let recovered = counters.withLock { counters -> Bool in
            defer {
                counters.failing = false
                counters.lastSuccess = .now
            }
            return counters.failing
        }
        if recovered {
            recoveries.add()
            logger.info("shared tier answering again")
        }
    }

    /// Whether a lookup or lease may go to the database now: always while it works; while it
    /// fails, one attempt per `breakerDelay` (the breaker half-opens), the rest are misses at
    /// once instead of each waiting for its own error or timeout.
    func mayTry(breakerDelay: Duration) -> Bool {
        counters.withLock { counters in
            guard counters.failing else { return true }
            let now = ContinuousClock.now
            if let last = counters.lastFailure, now - last < breakerDelay {
                counters.skipped += 1
                counters.misses += 1
                return false
            }
            counters.lastFailure = now
            return true
        }
    }

    /// A lookup, lease or write begun at `started` failed (for a lookup, a miss); logged only
    /// when the state changes. One begun before the tier last worked changes no state: it says
    /// nothing about the database now.
    func failed(
        _ error: any Error, lookup: Bool = false, started: ContinuousClock.Instant = .now, logger: Logger
    ) {
        let first = counters.withLock { counters -> Bool in
            counters.errors += 1
            if lookup { counters.misses += 1 }
            counters.lastError = SharedTierError.describe(error)
            if let success = counters.lastSuccess, success > started { return false }
            counters.lastFailure = ContinuousClock.now
            defer { counters.failing = true }
            return !counters.failing
        }
        if first {
            logger.warning(
                "shared tier failing; requests go on without it",
                metadata: ["error": "\(SharedTierError.describe(error))"])
        }
    }

    func reset() {
        counters.withLock { counters in
            let failing = counters.failing
            counters = Counters()
            counters.failing = failing
        }
    }
}
