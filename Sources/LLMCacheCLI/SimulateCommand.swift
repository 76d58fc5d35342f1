import ArgumentParser
import LLMCacheCore
import LLMCacheToolkit

struct SimulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Replay a cache trace through the memory tier and print each policy's hit ratio.",
        discussion: """
            Replays the trace through the real memory-tier code (one shard, bounded by entry count, \
            weight 1 per key): a request hits when its key is present and is inserted on a miss.
            Give --trace FILE (gzip or plain) with --format, or --zipf KEYS for a synthetic trace.
            """
    )

    @Option(help: "Trace file, gzip-compressed or plain.")
    var trace: String?

    @Option(help: "Trace format: arc, lirs or lines.")
    var format: TraceFormatArgument?

    @Option(help: "Generate a Zipf trace over this many keys instead of reading a file.")
    var zipf: Int?

    @Option(
        help: """
            Generate a recency trace (LRU stack model) whose reuse depths average this many keys, instead of \
            reading a file.
            """)
    var recency: Double?

    @Option(help: "Share of never-seen keys in the recency trace.")
    var newKeys: Double = 0.25

    @Flag(help: "A phase change: recency, then Zipf, then recency again (needs --recency and --zipf).")
    var phases = false

    @Option(help: "Requests in a generated trace (default: 10 × keys for Zipf, 1000000 for recency), per phase.")
    var requests: Int?

    @Option(help: "Zipf exponent s.")
    var exponent: Double = 1.0

    @Option(help: "Seed of the Zipf trace.")
    var seed: UInt64 = 42

    @Option(help: "Cache capacities in entries (1...100000000), comma-separated (e.g. 250,1000,2000).")
    var capacity: CapacityList

    @Option(help: "Policies, comma-separated: w-tinylfu, lru, lfu.")
    var policy: PolicyList = PolicyList(policies: [.wTinyLFU, .lru, .lfu])

    @Flag(help: "Print one JSON object per line instead of a table.")
    var json = false

    func validate() throws {
        if phases {
            guard trace == nil, zipf != nil, recency != nil else {
                throw ValidationError("--phases needs --zipf KEYS and --recency DEPTH (and no --trace)")
            }
        } else {
            switch (trace, zipf, recency) {
            case (nil, nil, nil):
                throw ValidationError("give --trace FILE --format FORMAT, --zipf KEYS or --recency DEPTH")
            case (.some, nil, nil) where format == nil:
                throw ValidationError("--trace needs --format arc|lirs|lines")
            case (.some, nil, nil), (nil, .some, nil), (nil, nil, .some): break
            default: throw ValidationError("--trace, --zipf and --recency exclude each other (but see --phases)")
            }
        }
        if let recency, !(recency >= 1 && recency <= 1_000_000) {
            throw ValidationError("--recency must be in 1...1000000")
        }
        if !(newKeys > 0 && newKeys < 1) { throw ValidationError("--new-keys must be in (0, 1)") }
        if let zipf, !(1...50_000_000).contains(zipf) { throw ValidationError("--zipf must be in 1...50000000") }
        if let requests, !(1...500_000_000).contains(requests) {
            throw ValidationError("--requests must be in 1...500000000")
        }
        if !(exponent > 0 && exponent < 10) { throw ValidationError("--exponent must be in (0, 10)") }
    }

    func run() async throws {
        let loaded: Trace
        func recencyTrace(_ depth: Double, seed: UInt64) -> Trace {
            Trace.recency(requests: requests ?? 1_000_000, meanDepth: depth, newKeyFraction: newKeys, seed: seed)
        }
        if let path = trace, let format {
            loaded = try Trace.load(path: path, format: format.format)
        } else if let keys = zipf, let depth = recency, phases {
            loaded = Trace.phases([
                recencyTrace(depth, seed: seed),
                Trace.zipf(keySpace: keys, requests: requests ?? keys * 10, exponent: exponent, seed: seed),
                recencyTrace(depth, seed: seed &+ 1),
            ])
        } else if let depth = recency {
            loaded = recencyTrace(depth, seed: seed)
        } else {
            let keys = zipf!
            loaded = Trace.zipf(keySpace: keys, requests: requests ?? keys * 10, exponent: exponent, seed: seed)
        }
        let results = try await TraceSimulator.run(loaded, policies: policy.policies, capacities: capacity.values)
        if json {
            for result in results { print(SimulationReport.json(result, trace: loaded.name)) }
        } else {
            print(SimulationReport.table(results, trace: loaded))
        }
    }
}

struct TraceFormatArgument: ExpressibleByArgument {
    var format: TraceFormat
    init?(argument: String) {
        guard let format = TraceFormat(rawValue: argument.lowercased()) else { return nil }
        self.format = format
    }
    static var allValueStrings: [String] { TraceFormat.allCases.map(\.rawValue) }
}

struct CapacityList: ExpressibleByArgument {
    var values: [Int]
    init?(argument: String) {
        let parts = argument.split(separator: ",", omittingEmptySubsequences: false)
        let values = parts.compactMap { Int($0.trimmingWhitespace()) }
        guard !values.isEmpty, values.count == parts.count, values.allSatisfy({ $0 > 0 && $0 <= 100_000_000 }) else {
            return nil
        }
        self.values = values
    }
}

struct PolicyList: ExpressibleByArgument {
    var policies: [EvictionPolicy]
    init(policies: [EvictionPolicy]) { self.policies = policies }
    init?(argument: String) {
        let parts = argument.split(separator: ",", omittingEmptySubsequences: false)
        let policies = parts.compactMap { EvictionPolicy(rawValue: String($0.trimmingWhitespace()).lowercased()) }
        guard !policies.isEmpty, policies.count == parts.count else { return nil }
        self.policies = policies
    }
    var defaultValueDescription: String { policies.map(\.rawValue).joined(separator: ",") }
}

extension Substring {
    func trimmingWhitespace() -> Substring {
        let start = firstIndex { !$0.isWhitespace } ?? endIndex
        let end = lastIndex { !$0.isWhitespace }.map { index(after: $0) } ?? start
        return self[start..<end]
    }
}
