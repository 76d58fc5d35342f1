#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A request sequence to replay through a cache: one integer identifier per request.
public struct Trace: Sendable {
    public var name: String
    public var keys: [UInt64]

    public init(name: String, keys: [UInt64]) {
        self.name = name
        self.keys = keys
    }

    /// Reads a trace file (gzip or plain) in `format`. A file with no requests is an error, so a
    /// wrong format never reads as a silent zero.
    public static func load(path: String, format: TraceFormat) throws(TraceError) -> Trace {
        var keys: [UInt64] = []
        do {
            try TraceFileReader(path: path).forEachLine { line, number throws(TraceError) in
                try format.parse(line: line, number: number, into: &keys)
            }
        } catch {
            throw error.message.hasPrefix(path) ? error : TraceError("\(path): \(error.message)")
        }
        guard !keys.isEmpty else { throw TraceError("\(path): no requests found in \(format.rawValue) format") }
        return Trace(name: path, keys: keys)
    }

    /// The number of distinct keys.
    public var uniqueKeyCount: Int { Set(keys).count }

    /// A synthetic trace whose keys follow a Zipf distribution: key `k` (1-based rank) is drawn with
    /// probability proportional to `1 / k^exponent`. Deterministic for a given `seed`.
    public static func zipf(keySpace: Int, requests: Int, exponent: Double, seed: UInt64) -> Trace {
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
        return Trace(name: "zipf(keys=\(keySpace),s=\(exponent),seed=\(seed))", keys: keys)
    }
}

/// SplitMix64: a small, fast, seedable generator for reproducible synthetic data.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { self.state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    /// A uniform double in [0, 1).
    public mutating func nextUnitDouble() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }
}
