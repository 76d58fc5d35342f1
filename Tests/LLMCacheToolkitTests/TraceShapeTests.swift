import Testing

import LLMCacheCore
@testable import LLMCacheToolkit

/// The simulator on generated traces of known shape, against exact LRU and Bélády's optimum
/// computed here by independent reference code (`ReferenceCaches`). The public research traces
/// are a benchmark input instead (`tools/hit-ratios.sh DIR`, docs/performance.md).
@Suite struct TraceShapeTests {
    /// Above 256 entries, so that the debug build's invariant walk runs on every 256th operation
    /// rather than on each (the suite runs the simulator a few dozen times).
    static let capacities = [300, 1_000]

    static let traces: [Trace] = [
        Trace.zipf(keySpace: 20_000, requests: 30_000, exponent: 1.0, seed: 7),
        SyntheticTraces.loop(length: 1_500, cycles: 16),
        SyntheticTraces.zipfWithScans(
            keySpace: 20_000, requests: 24_000, scanEvery: 2_000, scanLength: 1_500, seed: 11),
        SyntheticTraces.recency(requests: 30_000, window: 600, reuse: 0.75, seed: 13),
        phases.whole,
        Trace.recency(requests: 30_000, meanDepth: 200, newKeyFraction: 0.25, seed: 19),
        Trace.phases([
            Trace.recency(requests: 20_000, meanDepth: 200, newKeyFraction: 0.25, seed: 23),
            Trace.zipf(keySpace: 20_000, requests: 20_000, exponent: 1.0, seed: 29),
            Trace.recency(requests: 20_000, meanDepth: 200, newKeyFraction: 0.25, seed: 31),
        ]),
    ]

    static let phases = SyntheticTraces.phaseChange(keySpace: 10_000, requestsPerPhase: 15_000, seed: 17)

    func hits(_ trace: Trace, _ policy: EvictionPolicy, _ capacity: Int) throws -> Int {
        try TraceSimulator.run(trace, policy: policy, capacity: capacity).hits
    }

    func percent(_ hits: Int, of trace: Trace) -> Double { Double(hits) * 100 / Double(trace.keys.count) }

    @Test func referenceCachesAgreeWithHandCountedTraces() {
        // Capacity 2. LRU: every request misses. Optimum: 1 2 (3 bypassed) 1 2 (4 bypassed) 1 2 3 4.
        let mixed: [UInt64] = [1, 2, 3, 1, 2, 4, 1, 2, 3, 4]
        #expect(ReferenceCaches.lruHits(mixed, capacity: 2) == 0)
        #expect(ReferenceCaches.optimalHits(mixed, capacity: 2) == 4)
        // A loop of 3 keys in 2 slots: LRU never hits; the optimum keeps 0 and 1.
        let loop: [UInt64] = [0, 1, 2, 0, 1, 2, 0, 1, 2]
        #expect(ReferenceCaches.lruHits(loop, capacity: 2) == 0)
        #expect(ReferenceCaches.optimalHits(loop, capacity: 2) == 4)
        // Everything fits: only first requests miss.
        #expect(ReferenceCaches.lruHits(loop, capacity: 3) == 6)
        #expect(ReferenceCaches.optimalHits(loop, capacity: 3) == 6)
        // LRU keeps the recent key: 1 2 1 3 1 → hits on the second and third 1.
        #expect(ReferenceCaches.lruHits([1, 2, 1, 3, 1], capacity: 2) == 2)
    }

    @Test(arguments: traces)
    func simulatedLRUIsExactLRU(_ trace: Trace) throws {
        for capacity in Self.capacities {
            #expect(
                try hits(trace, .lru, capacity) == ReferenceCaches.lruHits(trace.keys, capacity: capacity),
                "\(trace.name) @ \(capacity)")
        }
    }

    @Test(arguments: traces)
    func noPolicyBeatsTheOptimum(_ trace: Trace) throws {
        for capacity in Self.capacities {
            let optimum = ReferenceCaches.optimalHits(trace.keys, capacity: capacity)
            for policy in EvictionPolicy.allCases {
                #expect(try hits(trace, policy, capacity) <= optimum, "\(policy) on \(trace.name) @ \(capacity)")
            }
        }
    }

    /// At every capacity, `policy`'s hit ratio on `trace` is at least `other`'s plus `margin` points.
    func expect(
        _ policy: EvictionPolicy, beats other: EvictionPolicy, by margin: Double, on trace: Trace,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        for capacity in Self.capacities {
            let mine = percent(try hits(trace, policy, capacity), of: trace)
            let theirs = percent(try hits(trace, other, capacity), of: trace)
            #expect(
                mine >= theirs + margin, "\(trace.name) @ \(capacity): \(policy) \(mine) % vs \(other) \(theirs) %",
                sourceLocation: sourceLocation)
        }
    }

    @Test func wTinyLFUBeatsLRUOnFrequencyHeavyTraffic() throws {
        try expect(.wTinyLFU, beats: .lru, by: 3, on: Self.traces[0])
    }

    @Test func wTinyLFUHitsALoopThatLRUNeverHits() throws {
        let trace = Self.traces[1]
        let capacity = 1_000
        #expect(ReferenceCaches.lruHits(trace.keys, capacity: capacity) == 0)
        let optimum = ReferenceCaches.optimalHits(trace.keys, capacity: capacity)
        let tinyLFU = try hits(trace, .wTinyLFU, capacity)
        #expect(Double(tinyLFU) >= 0.8 * Double(optimum), "loop: W-TinyLFU \(tinyLFU) hits, optimum \(optimum)")
    }

    @Test func wTinyLFUResistsScans() throws {
        try expect(.wTinyLFU, beats: .lru, by: 4, on: Self.traces[2])
    }

    /// Where recency decides (new keys reused soon, old ones seldom), the window grows toward
    /// LRU: W-TinyLFU is never more than a point below LRU — on uniform reuse of the newest
    /// keys, on the LRU stack model, after a phase change between two frequency phases, and
    /// through recency → frequency → recency — once the trace is long enough for the warm-up
    /// (the window starts at 1 % and the first choice needs a full cache) to fade.
    @Test(arguments: [
        SyntheticTraces.recency(requests: 90_000, window: 600, reuse: 0.75, seed: 13),
        Trace.recency(requests: 90_000, meanDepth: 200, newKeyFraction: 0.25, seed: 19), phases.whole,
        traces[6],
    ])
    func wTinyLFUIsNeverMoreThanAPointBelowLRU(_ trace: Trace) throws {
        try expect(.wTinyLFU, beats: .lru, by: -1, on: trace)
    }

    /// On the short versions (30 requests per cache slot) the warm-up costs up to 1.5 points.
    @Test(arguments: [3, 5])
    func onShortRecencyTracesTheWarmUpCostsAtMostOneAndAHalfPoints(_ index: Int) throws {
        try expect(.wTinyLFU, beats: .lru, by: -1.5, on: Self.traces[index])
    }

    /// The window does not give frequency's gains away: on the frequency-heavy and scan traces
    /// W-TinyLFU keeps its margins (above), and on recency it stays above plain LFU, which never
    /// admits the new keys such traffic is made of.
    @Test func wTinyLFUsWindowKeepsItAboveLFUOnRecencyHeavyTraffic() throws {
        try expect(.wTinyLFU, beats: .lfu, by: 5, on: Self.traces[3])
    }

    @Test func simulationIsReproducible() throws {
        let trace = Self.traces[2]
        for policy in EvictionPolicy.allCases {
            #expect(try hits(trace, policy, 500) == hits(trace, policy, 500))
        }
    }
}
