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

    // The request index: puts of entries that record their request (one more B-tree write
    // each) against the same puts without (the `sync-none` row above is the baseline).
    let indexed = StoreFixture(bodySize: 1024, entries: 0, sync: .none, models: 1)
    Benchmark(
        "DiskTier.put:batched-1KiB-sync-none-indexed",
        configuration: .init(
            metrics: [.wallClock, .throughput], timeUnits: .microseconds, scalingFactor: .kilo, maxDuration: .seconds(3)
        ),
        closure: { benchmark in
            let tier = indexed.tier!
            for _ in benchmark.scaledIterations {
                tier.put(
                    CacheKey(identifier: UInt64(indexed.cursor)), indexed.bodies[indexed.cursor % indexed.bodies.count])
                indexed.cursor += 1
            }
            tier.commitPending()
        },
        setup: indexed.setUp, teardown: indexed.tearDown)

    // Explaining a miss: candidates come from the request index, so the cost follows the size of
    // the request's group (same route, model, namespace), not of the store.
    for (entries, models) in [(100_000, 100), (100_000, 1_000), (10_000, 10)] {
        let store = StoreFixture(bodySize: 256, entries: entries, sync: .none, models: models)
        Benchmark(
            "DiskTier.explainMiss:\(entries / 1000)k-store-\(entries / models)-per-model",
            configuration: .init(
                metrics: [.wallClock], timeUnits: .microseconds, maxDuration: .seconds(3), maxIterations: 2_000),
            closure: { _ in
                var recipe = store.bodies[0].keyRecipe!
                recipe.canonicalBody = Array(
                    #"{"messages":[{"content":"a new question","role":"user"}],"model":"m0","temperature":0.7}"#.utf8)
                blackHole(store.tier!.explainMiss(recipe, model: "m0"))
            },
            setup: store.setUp, teardown: store.tearDown)
    }

    for mode in [DiskTier.SyncMode.full, .none] {
        let store = StoreFixture(bodySize: 1024, entries: 0, sync: mode)
        Benchmark(
            "DiskTier.put:batched-1KiB-sync-\(mode.rawValue)",
            configuration: .init(
                metrics: [.wallClock, .throughput], timeUnits: .microseconds, scalingFactor: .kilo,
                maxDuration: .seconds(3)),
            closure: { benchmark in
                let tier = store.tier!
                for _ in benchmark.scaledIterations {
                    tier.put(
                        CacheKey(identifier: UInt64(store.cursor)), store.bodies[store.cursor % store.bodies.count])
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
            configuration: .init(
                metrics: [.wallClock], timeUnits: .milliseconds, maxDuration: .seconds(5), maxIterations: 30),
            closure: { _ in
                let tier = large.tier!
                for _ in 0..<10_000 {
                    tier.put(
                        CacheKey(identifier: UInt64(large.cursor)), large.bodies[large.cursor % large.bodies.count])
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
    /// 0: entries without a recorded request (not indexed); N: entries recording their request,
    /// spread over N models (`m0` … ), so each model's group holds entries / N.
    let models: Int
    var tier: DiskTier?
    var bodies: [CacheEntry] = []
    var cursor = 0
    var directory = ""

    init(bodySize: Int, entries: Int, sync: DiskTier.SyncMode, models: Int = 0) {
        self.bodySize = bodySize
        self.entries = entries
        self.sync = sync
        self.models = models
    }

    func setUp() async throws {
        var template = Array("/tmp/llmcache-bench-XXXXXX".utf8CString)
        _ = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        directory = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        let tier = try DiskTier(configuration: .init(directory: directory + "/store", sync: sync))
        var corpus = ResponseCorpus(seed: 7)
        let now = SystemClock().now()
        bodies = (0..<500).map { index in
            var text = ""
            while text.utf8.count < bodySize { text += corpus.body(.chat, words: bodySize / 5) }
            return CacheEntry(
                headers: [HeaderField(name: "content-type", value: "application/json")],
                body: ByteBuffer(bytes: Array(text.utf8.prefix(bodySize))),
                canonicalRequest: ByteBuffer(
                    string:
                        #"{"messages":[{"content":"question \#(index)","role":"user"}],"model":"m0","temperature":0.2}"#
                ),
                recipeVersion: CacheKeyRecipe.version,
                request: models == 0
                    ? nil
                    : StoredRequest(method: "POST", path: "/v1/chat/completions", upstream: "openai", model: "m0"),
                createdAt: now)
        }
        for index in 0..<entries {
            var entry = bodies[index % bodies.count]
            if models > 0 { entry.request?.model = "m\(index % models)" }
            tier.put(CacheKey(identifier: UInt64(index)), entry)
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
