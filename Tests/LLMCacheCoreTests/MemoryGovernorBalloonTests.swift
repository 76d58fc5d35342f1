import CMallocTrim
import Testing

@testable import LLMCacheCore

#if canImport(Glibc)
    import Glibc
#endif

/// The governor against the real process: a full L1, then a balloon of touched memory pushes the
/// process over the hard mark. Budgets are set relative to the process's own figure, with margins
/// of hundreds of MiB, so other tests running beside this one cannot decide the outcome.
@Suite struct MemoryGovernorBalloonTests {
    static let mib = 1 << 20

    @Test func bringsTheProcessBackUnderTheHardMarkAndRegrowsAfterwards() throws {
        let configured = 512 * Self.mib
        let tier = try MemoryTier(configuration: .init(maxBytes: configured))
        for index in 0..<480 { tier.put(key(index), makeEntry(size: Self.mib - 1024, marker: UInt8(index % 251))) }
        #expect(tier.stats.bytes > 400 * Self.mib)
        let sampler = ProcessMemorySampler()
        let start = try sampler.residentBytes()
        // The process starts at 80 % of its budget: under the soft mark.
        let budget = start * 5 / 4
        let governor = try MemoryGovernor(
            configuration: .init(budgetBytes: budget, memoryTierBytes: configured), memory: tier, controls: nil,
            sampler: sampler, logger: quietGovernorLogger)
        let machine = MemoryGovernorStateMachine(configuration: governor.configuration)
        governor.tick()
        #expect(governor.level == .normal)

        // The balloon: enough touched memory to stand 10 % of the budget above the hard mark.
        let balloonBytes = machine.hardMark + budget / 10 - (try sampler.residentBytes())
        let balloon = try #require(malloc(balloonBytes))
        memset(balloon, 0x5a, balloonBytes)
        governor.tick()
        #expect(
            governor.stats.residentBytes >= machine.hardMark, "the balloon must push the process over the hard mark")
        #expect(governor.level == .hard)

        var ticks = 1
        while try sampler.residentBytes() >= machine.hardMark, ticks < 6 {
            governor.tick()
            ticks += 1
        }
        #expect(try sampler.residentBytes() < machine.hardMark, "still over the hard mark after \(ticks) ticks")
        #expect(tier.stats.bytes < 400 * Self.mib)
        #expect(tier.stats.evictions(.governor) > 0)

        // Balloon released: the level falls back and L1's limit grows back to its configured size.
        free(balloon)
        _ = llmcache_malloc_trim()
        ticks = 0
        while tier.stats.byteLimit! < configured, ticks < 100 {
            governor.tick()
            ticks += 1
        }
        #expect(tier.stats.byteLimit == configured)
        #expect(governor.level == .normal)
        // And it holds entries again.
        for index in 0..<64 { tier.put(key(10_000 + index), makeEntry(size: Self.mib - 1024)) }
        #expect(tier.stats.bytes > 60 * Self.mib)
    }
}
