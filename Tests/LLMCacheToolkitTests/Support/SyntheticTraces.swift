import Testing

import LLMCacheCore
@testable import LLMCacheToolkit

/// Traces of a known shape, generated from a seed, so the simulator tests need nothing outside
/// the repository. Each stands for a kind of traffic a cache policy must handle.
enum SyntheticTraces {
    /// Keys `0..<length` requested in order, `cycles` times: the pattern that defeats LRU (every
    /// key is evicted just before it comes back) whenever `length` exceeds the capacity.
    static func loop(length: Int, cycles: Int) -> Trace {
        Trace(name: "loop(\(length)x\(cycles))", keys: (0..<cycles).flatMap { _ in (0..<UInt64(length)) })
    }

    /// A Zipf-distributed hot set interrupted by scans: every `scanEvery` requests, a run of
    /// `scanLength` keys that are never requested again (a batch job reading everything once).
    static func zipfWithScans(
        keySpace: Int, requests: Int, scanEvery: Int, scanLength: Int, seed: UInt64
    ) -> Trace {
        let hot = Trace.zipf(keySpace: keySpace, requests: requests, exponent: 1.0, seed: seed).keys
        var keys: [UInt64] = []
        keys.reserveCapacity(requests + requests / scanEvery * scanLength)
        var nextScanKey = UInt64(keySpace)
        for (index, key) in hot.enumerated() {
            if index > 0, index % scanEvery == 0 {
                for _ in 0..<scanLength {
                    keys.append(nextScanKey)
                    nextScanKey += 1
                }
            }
            keys.append(key)
        }
        return Trace(name: "zipf+scans", keys: keys)
    }

    /// Recency-heavy traffic: each request is, with probability `reuse`, one of the `window`
    /// most recently introduced keys (uniformly), else a new key. Frequency says little here;
    /// only recency predicts the next request — the shape where a frequency filter can lose to LRU.
    static func recency(requests: Int, window: Int, reuse: Double, seed: UInt64) -> Trace {
        var generator = SplitMix64(seed: seed)
        var keys: [UInt64] = []
        keys.reserveCapacity(requests)
        var newest: UInt64 = 0
        for _ in 0..<requests {
            if newest > 0, generator.nextUnitDouble() < reuse {
                let span = min(UInt64(window), newest)
                keys.append(newest - 1 - generator.next() % span)
            } else {
                keys.append(newest)
                newest += 1
            }
        }
        return Trace(name: "recency(window=\(window),reuse=\(reuse))", keys: keys)
    }

    /// Two Zipf phases over disjoint key sets: the popular keys of the first phase are never asked
    /// for again in the second, so a policy must forget what it learned.
    static func phaseChange(keySpace: Int, requestsPerPhase: Int, seed: UInt64) -> (first: Trace, whole: Trace) {
        let first = Trace.zipf(keySpace: keySpace, requests: requestsPerPhase, exponent: 1.0, seed: seed)
        let second = Trace.zipf(keySpace: keySpace, requests: requestsPerPhase, exponent: 1.0, seed: seed &+ 1)
            .keys.map { $0 + UInt64(keySpace) }
        return (first, Trace(name: "phase-change", keys: first.keys + second))
    }
}

/// Test arguments show a trace by its name, not its keys.
extension Trace: CustomTestStringConvertible {
    public var testDescription: String { "\(name) (\(keys.count) requests)" }
}
