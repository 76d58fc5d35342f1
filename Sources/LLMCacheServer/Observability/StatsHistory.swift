import LLMCacheCore
import NIOCore
import Synchronization

/// The last hour of the proxy's counters in buckets of ``interval`` (10 s): what the dashboard
/// draws. ``StatsHistorySampler`` closes a bucket every interval; the bucket in progress (from
/// the last sample to now) is reported too, so a chart shows traffic the moment it happens.
package final class StatsHistory: Sendable {
    /// The cumulative counters at one moment.
    package struct Point: Sendable, Equatable {
        package var time: Timestamp
        /// Requests by cache status, in the order of ``ProxyMetrics/cacheStatuses``.
        package var requests: [Int]
        /// Hits and misses per tier, by tier name.
        package var hits: [String: Int]
        package var misses: [String: Int]
        package var upstreamRequests: Int
        package var savedTokens: Int
        package var savedDollars: Double
    }

    /// What happened between two points.
    package struct Bucket: Sendable, Equatable {
        package var start: Timestamp
        package var end: Timestamp
        package var requests: [Int]
        package var hits: [String: Int]
        package var misses: [String: Int]
        package var upstreamRequests: Int
        package var savedTokens: Int
        package var savedDollars: Double

        /// `to - from`, per counter; a counter that went down was reset (stats reset) and
        /// counts from zero, as Prometheus's `increase` does.
        init(from: Point, to: Point) {
            func delta(_ new: Int, _ old: Int) -> Int { new >= old ? new - old : new }
            func deltas(_ new: [String: Int], _ old: [String: Int]) -> [String: Int] {
                new.reduce(into: [:]) { $0[$1.key] = delta($1.value, old[$1.key] ?? 0) }
            }
            start = from.time
            end = to.time
            requests = zip(to.requests, from.requests).map(delta)
            hits = deltas(to.hits, from.hits)
            misses = deltas(to.misses, from.misses)
            upstreamRequests = delta(to.upstreamRequests, from.upstreamRequests)
            savedTokens = delta(to.savedTokens, from.savedTokens)
            savedDollars = to.savedDollars >= from.savedDollars ? to.savedDollars - from.savedDollars : to.savedDollars
        }

        /// Hits in every tier over lookups (every lookup asks the memory tier first), as
        /// `/stats`' `hit_ratio`.
        package var hitRatio: Double? {
            let lookups = (hits["memory"] ?? 0) + (misses["memory"] ?? 0)
            return lookups == 0 ? nil : Double(hits.values.reduce(0, +)) / Double(lookups)
        }
    }

    package let interval: Duration
    /// Buckets kept (an hour of ``interval``s).
    package let capacity: Int
    private let state = Mutex<(last: Point?, buckets: CircularBuffer<Bucket>)>((nil, []))

    package init(interval: Duration = .seconds(10), keeping span: Duration = .seconds(3_600)) {
        self.interval = interval
        self.capacity = max(1, Int(span / interval))
    }

    /// Closes the bucket in progress at `point` (the first sample only starts one).
    package func sample(_ point: Point) {
        state.withLock { state in
            if let last = state.last {
                state.buckets.append(Bucket(from: last, to: point))
                if state.buckets.count > capacity { state.buckets.removeFirst() }
            }
            state.last = point
        }
    }

    /// The closed buckets, oldest first, then the one in progress up to `current`.
    package func buckets(current: Point) -> [Bucket] {
        state.withLock { state in
            var buckets = Array(state.buckets)
            if let last = state.last, current.time > last.time { buckets.append(Bucket(from: last, to: current)) }
            return buckets
        }
    }
}
