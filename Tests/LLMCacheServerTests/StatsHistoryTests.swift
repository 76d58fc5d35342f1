import LLMCacheCore
import Testing

@testable import LLMCacheServer

/// The dashboard's last hour: buckets are the differences between samples.
@Suite struct StatsHistoryTests {
    func point(_ second: Int64, hits: Int, misses: Int, disk: Int = 0, requests: Int = 0, dollars: Double = 0)
        -> StatsHistory.Point
    {
        StatsHistory.Point(
            time: Timestamp(secondsSinceEpoch: 1_800_000_000 + second),
            requests: [requests] + Array(repeating: 0, count: ProxyMetrics.cacheStatuses.count - 1),
            hits: ["memory": hits, "disk": disk], misses: ["memory": misses, "disk": misses - disk],
            upstreamRequests: misses - disk, savedTokens: 0, savedDollars: dollars)
    }

    @Test func aBucketHoldsWhatHappenedBetweenTwoSamplesAndTheOneInProgressIsShown() {
        let history = StatsHistory(interval: .seconds(10))
        #expect(history.buckets(current: point(0, hits: 0, misses: 0)).isEmpty)
        history.sample(point(0, hits: 5, misses: 5))
        history.sample(point(10, hits: 15, misses: 7, disk: 1, requests: 12, dollars: 0.5))
        let buckets = history.buckets(current: point(14, hits: 17, misses: 9, requests: 16, dollars: 0.75))
        #expect(buckets.count == 2)
        #expect(buckets[0].hits == ["memory": 10, "disk": 1])
        #expect(buckets[0].misses["memory"] == 2)
        #expect(buckets[0].requests[0] == 12)
        #expect(buckets[0].hitRatio == 11.0 / 12.0)
        #expect(buckets[0].savedDollars == 0.5)
        #expect(buckets[1].start == Timestamp(secondsSinceEpoch: 1_800_000_010))
        #expect(buckets[1].end == Timestamp(secondsSinceEpoch: 1_800_000_014))
        #expect(buckets[1].requests[0] == 4 && buckets[1].hits["memory"] == 2)
        // Nothing looked up: no ratio, rather than 0 %.
        #expect(history.buckets(current: point(10, hits: 15, misses: 7, disk: 1)).count == 1)
        history.sample(point(20, hits: 15, misses: 7, disk: 1, requests: 12, dollars: 0.5))
        #expect(history.buckets(current: point(20, hits: 15, misses: 7)).last?.hitRatio == nil)
    }

    /// A stats reset makes counters go down: the bucket counts from zero (as Prometheus's
    /// `increase` does), never negative.
    @Test func aResetCountsFromZero() {
        let history = StatsHistory(interval: .seconds(10))
        history.sample(point(0, hits: 50, misses: 50, requests: 100, dollars: 3))
        history.sample(point(10, hits: 2, misses: 1, requests: 3, dollars: 0.25))
        let bucket = history.buckets(current: point(10, hits: 2, misses: 1))[0]
        #expect(bucket.hits["memory"] == 2 && bucket.misses["memory"] == 1 && bucket.requests[0] == 3)
        #expect(bucket.savedDollars == 0.25)
    }

    @Test func anHourIsKept() {
        let history = StatsHistory(interval: .seconds(10), keeping: .seconds(60))
        #expect(history.capacity == 6)
        for second in stride(from: Int64(0), through: 100, by: 10) {
            history.sample(point(second, hits: Int(second), misses: 0))
        }
        let buckets = history.buckets(current: point(100, hits: 100, misses: 0))
        #expect(buckets.count == 6)
        #expect(buckets.first?.start == Timestamp(secondsSinceEpoch: 1_800_000_040))
    }
}
