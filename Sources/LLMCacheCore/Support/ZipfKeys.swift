#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Seeded Zipf-distributed keys, for synthetic workloads (the simulator's Zipf traces, tests,
/// benchmarks).
public enum ZipfKeys {
    /// `requests` keys in `0..<keySpace`: key `k` (0-based, rank `k + 1`) is drawn with
    /// probability proportional to `1 / (k + 1)^exponent`. Deterministic for a given `seed`.
    public static func make(keySpace: Int, requests: Int, exponent: Double, seed: UInt64) -> [UInt64] {
        precondition(keySpace > 0 && requests >= 0)
        var cumulative = [Double](repeating: 0, count: keySpace)
        var sum = 0.0
        for rank in 0..<keySpace {
            sum += 1 / pow(Double(rank + 1), exponent)
            cumulative[rank] = sum
        }
        var generator = SplitMix64(seed: seed)
        var keys: [UInt64] = []
        keys.reserveCapacity(requests)
        for _ in 0..<requests {
            let target = generator.nextUnitDouble() * sum
            // First rank whose cumulative weight reaches the target.
            var low = 0
            var high = keySpace - 1
            while low < high {
                let middle = (low + high) / 2
                if cumulative[middle] < target { low = middle + 1 } else { high = middle }
            }
            keys.append(UInt64(low))
        }
        return keys
    }
}
