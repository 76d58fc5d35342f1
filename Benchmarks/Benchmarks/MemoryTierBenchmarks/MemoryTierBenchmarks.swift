import Benchmark
import LLMCacheCore
import NIOCore

/// Micro-benchmarks of the L1 memory tier. Each measured iteration runs 1,000 operations
/// (`scalingFactor: .kilo`), so reported times are per operation, averaged over a batch.
///
/// Variants isolate costs: `lru` vs `wtinylfu` shows the frequency sketch and admission;
/// `entries` (weight 1) vs `bytes` (byte budget) shows byte accounting.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        timeUnits: .nanoseconds,
        scalingFactor: .kilo,
        maxDuration: .seconds(2),
        maxIterations: 1_000_000
    )

    let variants: [(name: String, policy: EvictionPolicy, bytes: Bool)] = [
        ("wtinylfu-bytes", .wTinyLFU, true),
        ("wtinylfu-entries", .wTinyLFU, false),
        ("lru-bytes", .lru, true),
        ("lfu-bytes", .lfu, true),
    ]

    for variant in variants {
        for (label, size) in [("10k", 10_000), ("1M", 1_000_000)]
        where variant.name == "wtinylfu-bytes" || size == 10_000 {
            let prepared = Prepared {
                Fixture(policy: variant.policy, bytes: variant.bytes, entries: size, capacity: size * 2)
            }
            Benchmark(
                "MemoryTier.get:hit-\(variant.name)-\(label)",
                closure: { benchmark in
                    let fixture = prepared.value
                    var index = 0
                    for _ in benchmark.scaledIterations {
                        blackHole(fixture.tier.get(fixture.keys[index]))
                        index = index &+ 7919
                        if index >= fixture.keys.count { index -= fixture.keys.count }
                    }
                },
                setup: prepared.setUp, teardown: prepared.tearDown)
        }

        // A full tier and fresh keys: every put inserts and evicts.
        let prepared = Prepared {
            Fixture(policy: variant.policy, bytes: variant.bytes, entries: 100_000, capacity: 100_000)
        }
        let counter = Counter(start: 10_000_000)
        Benchmark(
            "MemoryTier.put:evict-\(variant.name)",
            closure: { benchmark in
                let fixture = prepared.value
                for _ in benchmark.scaledIterations {
                    blackHole(fixture.tier.put(CacheKey(identifier: counter.next()), fixture.entry))
                }
            },
            setup: prepared.setUp, teardown: prepared.tearDown)
    }

    let missFixture = Prepared { Fixture(policy: .wTinyLFU, bytes: true, entries: 50_000, capacity: 100_000) }
    Benchmark(
        "MemoryTier.get:miss-wtinylfu-bytes",
        closure: { benchmark in
            let fixture = missFixture.value
            var identifier: UInt64 = 50_000_000
            for _ in benchmark.scaledIterations {
                identifier &+= 1
                blackHole(fixture.tier.get(CacheKey(identifier: identifier)))
            }
        },
        setup: missFixture.setUp, teardown: missFixture.tearDown)

    // One or two tasks at once on a 16-shard tier, 90 % hits on a 100k working set and 10 % puts
    // of new keys (which evict): each iteration is 1,000 operations per task. The 1-task run is
    // the baseline for the 2-task run's scaling.
    for variant in variants where variant.name != "lfu-bytes" {
        for tasks in [1, 2] {
            let prepared = Prepared {
                Fixture(policy: variant.policy, bytes: variant.bytes, entries: 100_000, capacity: 120_000, shards: 16)
            }
            let counters = [Counter(start: 20_000_000), Counter(start: 30_000_000)]
            Benchmark(
                "MemoryTier.mixed:\(tasks)task\(tasks > 1 ? "s" : "")-\(variant.name)",
                closure: { benchmark in
                    let fixture = prepared.value
                    await withTaskGroup(of: Void.self) { group in
                        for worker in 0..<tasks {
                            group.addTask {
                                var index = worker * 31
                                for operation in 0..<1_000 {
                                    if operation % 10 == 9 {
                                        let key = CacheKey(identifier: counters[worker].next())
                                        blackHole(fixture.tier.put(key, fixture.writerEntries[worker]))
                                    } else {
                                        blackHole(fixture.tier.get(fixture.keys[index]))
                                    }
                                    index = (index &+ 7919) % fixture.keys.count
                                }
                            }
                        }
                    }
                },
                setup: prepared.setUp, teardown: prepared.tearDown)
        }
    }
}

/// A tier plus the keys it holds.
final class Fixture: Sendable {
    let tier: MemoryTier
    let keys: [CacheKey]
    let entry: CacheEntry
    /// One entry per writer task: entries sharing a body buffer would make concurrent tasks
    /// contend on its reference count, which real (distinct) responses never do.
    let writerEntries: [CacheEntry]

    init(policy: EvictionPolicy, bytes: Bool, entries: Int, capacity: Int, shards: Int = 1) {
        let entry = Self.makeEntry(0x7a)
        let perEntry = MemoryTier.accountedBytes(of: entry)
        let configuration = MemoryTier.Configuration(
            maxBytes: bytes ? capacity * perEntry : nil,
            maxEntries: bytes ? nil : capacity,
            policy: policy,
            maxEntryFraction: 1,
            shardCount: shards
        )
        self.tier = try! MemoryTier(configuration: configuration)
        self.keys = (0..<entries).map { CacheKey(identifier: UInt64($0)) }
        self.entry = entry
        self.writerEntries = [Self.makeEntry(1), Self.makeEntry(2)]
    }

    static func makeEntry(_ byte: UInt8) -> CacheEntry {
        CacheEntry(body: ByteBuffer(repeating: byte, count: 64), createdAt: Timestamp(secondsSinceEpoch: 0))
    }

    /// Stores every key with its own entry, then reads each once so W-TinyLFU has promoted them.
    func fill() {
        for (index, key) in keys.enumerated() { tier.put(key, Self.makeEntry(UInt8(truncatingIfNeeded: index))) }
        for key in keys { _ = tier.get(key) }
        tier.resetStats()
    }
}

/// A fixture built only when its benchmark runs: registration happens in every benchmark
/// process, so building fixtures there would multiply setup time.
final class Prepared: @unchecked Sendable {
    // Unchecked: written by the setup hook before the measured closure runs, then only read.
    private let make: @Sendable () -> Fixture
    private var fixture: Fixture?

    init(_ make: @escaping @Sendable () -> Fixture) { self.make = make }

    var value: Fixture { fixture! }

    func setUp() async throws {
        let built = make()
        built.fill()
        fixture = built
    }

    func tearDown() async throws { fixture = nil }
}

/// A monotonically increasing identifier source; one per writer, so no contention.
final class Counter: @unchecked Sendable {
    // Unchecked: each counter is used by exactly one task at a time.
    private var value: UInt64
    init(start: UInt64) { value = start }
    func next() -> UInt64 {
        value &+= 1
        return value
    }
}
