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

        /// `self - earlier`, per counter; a counter that went down was reset (stats reset) and
        /// counts from zero, as Prometheus's `increase` does.
        func growth(since earlier: Point) -> Point {
            func delta(_ new: Int, _ old: Int) -> Int { new >= old ? new - old : new }
            func deltas(_ new: [String: Int], _ old: [String: Int]) -> [String: Int] {
                new.reduce(into: [:]) { $0[$1.key] = delta($1.value, old[$1.key] ?? 0) }
            }
            return Point(
                time: time, requests: zip(requests, earlier.requests).map(delta),
                hits: deltas(hits, earlier.hits), misses: deltas(misses, earlier.misses),
                upstreamRequests: delta(upstreamRequests, earlier.upstreamRequests),
                savedTokens: delta(savedTokens, earlier.savedTokens),
                savedDollars: savedDollars >= earlier.savedDollars ? savedDollars - earlier.savedDollars : savedDollars)
        }
    }

    /// What happened between two points: how much each counter of ``Point`` grew (read
    /// through it: `bucket.hits`, `bucket.requests`…).
    @dynamicMemberLookup
    package struct Bucket: Sendable, Equatable {
        package var start: Timestamp
        /// The growth, at the end's time.
        package var growth: Point
        package var end: Timestamp { growth.time }

        package subscript<Value>(dynamicMember path: KeyPath<Point, Value>) -> Value { growth[keyPath: path] }

        init(from: Point, to: Point) {
            start = from.time
            growth = to.growth(since: from)
        }

        /// Hits in every tier over lookups (every lookup asks the memory tier first), as
        /// `/stats`' `hit_ratio`.
        package var hitRatio: Double? {
            let lookups = (growth.hits["memory"] ?? 0) + (growth.misses["memory"] ?? 0)
            return lookups == 0 ? nil : Double(growth.hits.values.reduce(0, +)) / Double(lookups)
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
