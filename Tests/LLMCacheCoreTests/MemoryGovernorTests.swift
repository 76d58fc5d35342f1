import Logging
import NIOCore
import Synchronization
import Testing

@testable import LLMCacheCore

/// A sampler whose figure the test sets.
final class FakeSampler: MemorySampler, Sendable {
    let value = Mutex<Int?>(0)
    func residentBytes() throws -> Int {
        guard let bytes = value.withLock({ $0 }) else { throw MemorySamplerError("unreadable") }
        return bytes
    }
    func set(_ bytes: Int?) { value.withLock { $0 = bytes } }
}

final class RecordingControls: MemoryPressureControls, Sendable {
    let promotionsPaused = Mutex(false)
    let diskOnly = Mutex(false)
    func setPromotionsPaused(_ paused: Bool) { promotionsPaused.withLock { $0 = paused } }
    func setDiskOnlyAdmission(_ diskOnly: Bool) { self.diskOnly.withLock { $0 = diskOnly } }
}

let quietGovernorLogger: Logger = {
    var logger = Logger(label: "test.governor")
    logger.logLevel = .critical
    return logger
}()

@Suite struct MemoryGovernorTests {
    static let mib = 1 << 20

    @Test func actsOnARealMemoryTier() throws {
        let tier = try MemoryTier(configuration: .init(maxBytes: 64 * Self.mib))
        for index in 0..<48 { tier.put(key(index), makeEntry(size: Self.mib - 512, marker: UInt8(index % 250))) }
        let held = tier.stats.bytes
        #expect(held > 40 * Self.mib)
        let sampler = FakeSampler()
        let controls = RecordingControls()
        let governor = try MemoryGovernor(
            configuration: .init(budgetBytes: 1000 * Self.mib, memoryTierBytes: 64 * Self.mib), memory: tier,
            controls: controls, sampler: sampler, logger: quietGovernorLogger)

        sampler.set(500 * Self.mib)
        #expect(governor.tick().isEmpty)
        sampler.set(960 * Self.mib)  // hard
        governor.tick()
        #expect(governor.level == .hard)
        #expect(controls.promotionsPaused.withLock { $0 })
        #expect(controls.diskOnly.withLock { $0 })
        let shrunk = tier.stats
        #expect(shrunk.bytes <= governor.stats.memoryTierLimit)
        #expect(shrunk.bytes < held)
        #expect(shrunk.evictions(.governor) > 0)

        sampler.set(300 * Self.mib)  // pressure gone: grows back step by step
        var ticks = 0
        while tier.stats.byteLimit! < 64 * Self.mib, ticks < 100 {
            governor.tick()
            ticks += 1
        }
        #expect(tier.stats.byteLimit == 64 * Self.mib)
        #expect(ticks > 1)
        #expect(governor.level == .normal)
        #expect(!controls.promotionsPaused.withLock { $0 })
        #expect(!controls.diskOnly.withLock { $0 })
        let stats = governor.stats
        #expect(stats.transitions[MemoryGovernorStateMachine.Level.hard.rawValue] == 1)
        #expect(stats.transitions[MemoryGovernorStateMachine.Level.normal.rawValue] == 1)
        #expect(stats.heapTrims >= 1)
    }

    @Test func anUnreadableSampleChangesNothing() throws {
        let tier = try MemoryTier(configuration: .init(maxBytes: 8 * Self.mib))
        let sampler = FakeSampler()
        let governor = try MemoryGovernor(
            configuration: .init(budgetBytes: 100 * Self.mib, memoryTierBytes: 8 * Self.mib), memory: tier,
            controls: nil, sampler: sampler, logger: quietGovernorLogger)
        sampler.set(nil)
        #expect(governor.tick().isEmpty)
        #expect(governor.stats.sampleErrors == 1)
        #expect(tier.stats.byteLimit == 8 * Self.mib)
    }

    @Test func theProcessFigureIsReadable() throws {
        let bytes = try ProcessMemorySampler().residentBytes()
        #expect(bytes > 0)
        #expect(ProcessMemorySampler.field("RssAnon", in: "Name:\tx\nRssAnon:\t    1234 kB\nRssFile: 5 kB\n") == 1234)
        #expect(ProcessMemorySampler.field("RssAnon", in: "Name:\tx\n") == nil)
    }
}
