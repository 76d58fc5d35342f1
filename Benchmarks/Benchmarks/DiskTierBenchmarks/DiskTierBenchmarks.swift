import Benchmark
import BenchmarkCorpus
import LLMCacheCore
import LLMCacheStore
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// L2 benchmarks on a real LMDB store in /tmp: warm reads (read transaction, copy, checksum,
/// decompress, decode) and batched writes (compress + one transaction per 1,000 puts).
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput],
        timeUnits: .microseconds,
        maxDuration: .seconds(3),
        maxIterations: 200_000
    )

    for (label, size) in [("1KiB", 1024), ("10KiB", 10 * 1024)] {
        let store = StoreFixture(bodySize: size, entries: 10_000, sync: .full)
        Benchmark(
            "DiskTier.get:warm-\(label)",
            closure: { benchmark in
                let tier = store.tier!
                var index = store.cursor
                for _ in benchmark.scaledIterations {
                    blackHole(tier.get(CacheKey(identifier: UInt64(index))))
                    index = (index &+ 7919) % store.entries
                }
                store.cursor = index
            },
            setup: store.setUp, teardown: store.tearDown)
    }

    for mode in [DiskTier.SyncMode.full, .none] {
        let store = StoreFixture(bodySize: 1024, entries: 0, sync: mode)
        Benchmark(
            "DiskTier.put:batched-1KiB-sync-\(mode.rawValue)",
            configuration: .init(metrics: [.wallClock, .throughput], timeUnits: .microseconds, scalingFactor: .kilo, maxDuration: .seconds(3)),
            closure: { benchmark in
                let tier = store.tier!
                for _ in benchmark.scaledIterations {
                    tier.put(CacheKey(identifier: UInt64(store.cursor)), store.bodies[store.cursor % store.bodies.count])
                    store.cursor += 1
                }
                tier.commitPending()
            },
            setup: store.setUp, teardown: store.tearDown)

        // Larger batches, as the writer forms them under sustained load (puts queue up while a
        // commit and its fsync run): one iteration = 10,000 puts and one commit.
        let large = StoreFixture(bodySize: 1024, entries: 0, sync: mode)
        Benchmark(
            "DiskTier.put:batch10k-1KiB-sync-\(mode.rawValue)",
            configuration: .init(metrics: [.wallClock], timeUnits: .milliseconds, maxDuration: .seconds(5), maxIterations: 30),
            closure: { _ in
                let tier = large.tier!
                for _ in 0..<10_000 {
                    tier.put(CacheKey(identifier: UInt64(large.cursor)), large.bodies[large.cursor % large.bodies.count])
                    large.cursor += 1
                }
                tier.commitPending()
            },
            setup: large.setUp, teardown: large.tearDown)
    }
}

/// A store in a fresh temporary directory, filled with `entries` committed chat bodies.
final class StoreFixture: @unchecked Sendable {
    // Unchecked: set up before the measured closure runs, then used by it alone.
    let bodySize: Int
    let entries: Int
    let sync: DiskTier.SyncMode
    var tier: DiskTier?
    var bodies: [CacheEntry] = []
    var cursor = 0
    var directory = ""

    init(bodySize: Int, entries: Int, sync: DiskTier.SyncMode) {
        self.bodySize = bodySize
        self.entries = entries
        self.sync = sync
    }

    func setUp() async throws {
        var template = Array("/tmp/llmcache-bench-XXXXXX".utf8CString)
        _ = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        directory = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        let tier = try DiskTier(configuration: .init(directory: directory + "/store", sync: sync))
        var corpus = ResponseCorpus(seed: 7)
        let now = SystemClock().now()
        bodies = (0..<500).map { _ in
            var text = ""
            while text.utf8.count < bodySize { text += corpus.body(.chat, words: bodySize / 5) }
            return CacheEntry(
                headers: [HeaderField(name: "content-type", value: "application/json")],
                body: ByteBuffer(bytes: Array(text.utf8.prefix(bodySize))),
                createdAt: now)
        }
        for index in 0..<entries {
            tier.put(CacheKey(identifier: UInt64(index)), bodies[index % bodies.count])
            if index % 1_000 == 999 { tier.commitPending() }
        }
        tier.commitPending()
        for index in 0..<entries { _ = tier.get(CacheKey(identifier: UInt64(index))) }
        self.tier = tier
        cursor = entries
    }

    func tearDown() async throws {
        tier = nil
        _ = system("rm -rf '\(directory)'")
    }
}
