import NIOCore
import Synchronization
import Testing

@testable import LLMCacheCore

@Suite struct MemoryTierConcurrencyTests {
    /// Many writers of mixed sizes on a sharded tier: the accounted bytes never exceed the budget
    /// (checked continuously from another task, and by the per-operation invariant checks compiled
    /// into debug builds), and no reader ever sees another key's value.
    @Test(arguments: EvictionPolicy.allCases)
    func byteBoundHoldsUnderConcurrentWriters(policy: EvictionPolicy) async throws {
        let budget = 400_000
        let tier = try MemoryTier(
            configuration: .init(maxBytes: budget, policy: policy, maxEntryFraction: 0.01, shardCount: 8))
        let shared = SharedCounters()
        let marker: @Sendable (Int) -> UInt8 = { UInt8(truncatingIfNeeded: $0 % 251) }

        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                while !shared.done.load(ordering: .acquiring) {
                    let bytes = tier.stats.bytes
                    _ = shared.worstSeen.fetchMax(bytes)
                    await Task.yield()
                }
            }
            await withTaskGroup(of: Void.self) { writers in
                for worker in 0..<8 {
                    writers.addTask {
                        var generator = SplitMix64(seed: UInt64(worker) + 100)
                        for _ in 0..<4_000 {
                            let id = Int(generator.next() % 2_000)
                            switch generator.next() % 8 {
                            case 0..<4:
                                let size = Int(generator.next() % 6_000)
                                tier.put(key(id), makeEntry(size: size, marker: marker(id)))
                            case 4..<7:
                                if let entry = tier.get(key(id)),
                                    entry.body.readableBytesView.contains(where: { $0 != marker(id) })
                                {
                                    shared.wrongValues.add(1, ordering: .relaxed)
                                }
                            default:
                                tier.remove(key(id))
                            }
                        }
                    }
                }
            }
            shared.done.store(true, ordering: .releasing)
        }
        let stats = tier.stats
        #expect(shared.worstSeen.load(ordering: .relaxed) <= budget)
        #expect(stats.bytes <= budget)
        #expect(shared.wrongValues.load(ordering: .relaxed) == 0)
        #expect(stats.evictions(.capacity) > 0, "the run must have pushed the tier to its bound")
        #expect(stats.rejections > 0, "sizes above the per-entry limit must have been refused")
        // Gauges agree with the contents.
        var entries = 0
        for id in 0..<2_000 where tier.contains(key(id)) { entries += 1 }
        #expect(entries == stats.entries)
    }
}

/// Atomics in a class: a `Sendable` reference the task-group closures can capture.
private final class SharedCounters: Sendable {
    let done = Atomic<Bool>(false)
    let worstSeen = Atomic<Int>(0)
    let wrongValues = Atomic<Int>(0)
}

extension Atomic where Value == Int {
    fileprivate func fetchMax(_ candidate: Int) -> Int {
        var current = load(ordering: .relaxed)
        while candidate > current {
            let (exchanged, original) = compareExchange(
                expected: current, desired: candidate, ordering: .relaxed)
            if exchanged { return candidate }
            current = original
        }
        return current
    }
}
