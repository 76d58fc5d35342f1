import LLMCacheCore

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

    /// A synthetic trace whose keys follow a Zipf distribution (``ZipfKeys``).
    public static func zipf(keySpace: Int, requests: Int, exponent: Double, seed: UInt64) -> Trace {
        Trace(
            name: "zipf(keys=\(keySpace),s=\(exponent),seed=\(seed))",
            keys: ZipfKeys.make(keySpace: keySpace, requests: requests, exponent: exponent, seed: seed))
    }
}

extension Trace {
    /// A synthetic trace with recency and no lasting frequency (``RecencyKeys``).
    public static func recency(requests: Int, meanDepth: Double, newKeyFraction: Double, seed: UInt64) -> Trace {
        Trace(
            name: "recency(depth=\(meanDepth),new=\(newKeyFraction),seed=\(seed))",
            keys: RecencyKeys.make(
                requests: requests, meanDepth: meanDepth, newKeyFraction: newKeyFraction, seed: seed))
    }

    /// The traces one after the other, each with keys of its own (a phase change).
    public static func phases(_ traces: [Trace]) -> Trace {
        var keys: [UInt64] = []
        var offset: UInt64 = 0
        for trace in traces {
            keys += trace.keys.map { $0 &+ offset }
            offset &+= (trace.keys.max() ?? 0) &+ 1
        }
        return Trace(name: "phases(" + traces.map(\.name).joined(separator: " → ") + ")", keys: keys)
    }
}
