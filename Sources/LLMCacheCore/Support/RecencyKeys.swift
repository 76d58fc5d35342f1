#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Seeded keys with recency and no lasting frequency (the LRU stack model): each request is a
/// key never seen before with probability `newKeyFraction`, else the key at a random depth of the
/// stack of recently used keys (depths exponentially distributed with mean `meanDepth`), which
/// then moves to the top. Recently used keys come back; how often a key was used says little.
/// LRU is close to the best a policy can do here; a frequency filter that keeps old popular
/// keys out of the way of new ones loses.
public enum RecencyKeys {
    /// `requests` keys, numbered from `firstKey` in order of first use. Deterministic for a
    /// given `seed`. The stack keeps at least the last `stackLimit` distinct keys.
    public static func make(
        requests: Int, meanDepth: Double, newKeyFraction: Double = 0.25, seed: UInt64, firstKey: UInt64 = 0,
        stackLimit: Int = 50_000
    ) -> [UInt64] {
        precondition(requests >= 0 && meanDepth > 0 && (0...1).contains(newKeyFraction) && stackLimit > 0)
        var generator = SplitMix64(seed: seed)
        // Most recent last, so that a shallow pick removes near the end of the array.
        var stack: [UInt64] = []
        var next = firstKey
        var keys: [UInt64] = []
        keys.reserveCapacity(requests)
        for _ in 0..<requests {
            let key: UInt64
            if stack.isEmpty || generator.nextUnitDouble() < newKeyFraction {
                key = next
                next += 1
            } else {
                let uniform = max(generator.nextUnitDouble(), .leastNonzeroMagnitude)
                let depth = min(Int(-meanDepth * log(uniform)), stack.count - 1)
                key = stack.remove(at: stack.count - 1 - depth)
            }
            stack.append(key)
            // Trimmed in batches (amortized O(1)): between stackLimit and twice that are kept.
            if stack.count >= 2 * stackLimit { stack.removeFirst(stack.count - stackLimit) }
            keys.append(key)
        }
        return keys
    }
}
