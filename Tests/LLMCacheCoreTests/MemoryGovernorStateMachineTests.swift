import Testing

@testable import LLMCacheCore

/// The governor's decisions, sample by sample, with no I/O.
@Suite struct MemoryGovernorStateMachineTests {
    typealias Machine = MemoryGovernorStateMachine
    static let mib = 1 << 20
    /// Budget 1000 MiB: soft 850, hard 950, regrow 750; L1 configured 400 MiB (steps: 50 down, 20 up).
    static let configuration = MemoryGovernorConfiguration(budgetBytes: 1000 * mib, memoryTierBytes: 400 * mib)

    func sample(_ resident: Int, l1: Int) -> Machine.Sample {
        Machine.Sample(residentBytes: resident * Self.mib, memoryTierBytes: l1 * Self.mib)
    }

    @Test func marks() {
        let machine = Machine(configuration: Self.configuration)
        #expect(machine.softMark == 850 * Self.mib)
        #expect(machine.hardMark == 950 * Self.mib)
        #expect(machine.regrowMark == 750 * Self.mib)
    }

    @Test func belowSoftNothingHappens() {
        var machine = Machine(configuration: Self.configuration)
        for resident in [100, 700, 849] {
            #expect(machine.sample(sample(resident, l1: 400)).isEmpty)
        }
        #expect(machine.level == .normal)
        #expect(machine.memoryTierLimit == 400 * Self.mib)
    }

    @Test func aboveSoftShrinksStepByStepAndPausesPromotions() {
        var machine = Machine(configuration: Self.configuration)
        let first = machine.sample(sample(860, l1: 400))
        #expect(first.contains(.transition(from: .normal, to: .soft)))
        #expect(first.contains(.setPromotionsPaused(true)))
        #expect(!first.contains(.setDiskOnlyAdmission(true)))
        // Step: max(400/8 = 50 MiB, excess 10 MiB) below what L1 holds.
        #expect(first.contains(.setMemoryTierLimit(350 * Self.mib)))
        let second = machine.sample(sample(855, l1: 350))
        // Each release of 50 MiB passes the 16 MiB trim threshold.
        #expect(first.contains(.trimHeap))
        #expect(second == [.setMemoryTierLimit(300 * Self.mib), .trimHeap])
    }

    @Test func largeExcessShrinksByTheExcess() {
        var machine = Machine(configuration: Self.configuration)
        let actions = machine.sample(sample(940, l1: 400))  // 90 MiB over soft, still under hard
        #expect(actions.contains(.setMemoryTierLimit(310 * Self.mib)))
        #expect(machine.level == .soft)
    }

    @Test func shrinkStartsFromWhatL1Holds() {
        var machine = Machine(configuration: Self.configuration)
        // L1 holds only 120 MiB of its 400: lowering the limit to 350 would free nothing.
        #expect(machine.sample(sample(860, l1: 120)).contains(.setMemoryTierLimit(70 * Self.mib)))
    }

    @Test func neverBelowTheFloor() {
        var configuration = Self.configuration
        configuration.memoryTierFloor = 64 * Self.mib
        var machine = Machine(configuration: configuration)
        #expect(machine.sample(sample(990, l1: 80)).contains(.setMemoryTierLimit(64 * Self.mib)))
        // At the floor there is nothing more to lower.
        #expect(
            !machine.sample(sample(990, l1: 64)).contains { if case .setMemoryTierLimit = $0 { true } else { false } })
    }

    @Test func hardAdmitsToDiskOnlyAndLeavesOnlyBelowSoft() {
        var machine = Machine(configuration: Self.configuration)
        let entering = machine.sample(sample(960, l1: 400))
        #expect(entering.contains(.transition(from: .normal, to: .hard)))
        #expect(entering.contains(.setPromotionsPaused(true)))
        #expect(entering.contains(.setDiskOnlyAdmission(true)))
        #expect(entering.contains(.trimHeap))
        // Between soft and hard: still hard (hysteresis).
        _ = machine.sample(sample(900, l1: 100))
        #expect(machine.level == .hard)
        let leaving = machine.sample(sample(800, l1: 50))
        #expect(leaving.contains(.transition(from: .hard, to: .soft)))
        #expect(leaving.contains(.setDiskOnlyAdmission(false)))
        #expect(!leaving.contains(.setPromotionsPaused(false)))
        #expect(machine.level == .soft)
    }

    @Test func softHoldsBetweenRegrowAndSoftMarks() {
        var machine = Machine(configuration: Self.configuration)
        _ = machine.sample(sample(860, l1: 400))
        let limit = machine.memoryTierLimit
        for _ in 0..<5 { #expect(machine.sample(sample(800, l1: 300)).isEmpty) }
        #expect(machine.level == .soft)
        #expect(machine.memoryTierLimit == limit)
    }

    @Test func belowRegrowMarkGrowsBackSlowlyToTheConfiguredSize() {
        var machine = Machine(configuration: Self.configuration)
        _ = machine.sample(sample(990, l1: 400))  // hard: 400 − 140 → 260
        #expect(machine.memoryTierLimit == 260 * Self.mib)
        let recovering = machine.sample(sample(700, l1: 260))
        #expect(recovering.contains(.transition(from: .hard, to: .normal)))
        #expect(recovering.contains(.setPromotionsPaused(false)))
        #expect(recovering.contains(.setDiskOnlyAdmission(false)))
        #expect(recovering.contains(.setMemoryTierLimit(280 * Self.mib)))  // + 400/20
        var samples = 1
        while machine.memoryTierLimit < 400 * Self.mib {
            _ = machine.sample(sample(700, l1: 0))
            samples += 1
        }
        #expect(samples == 7)  // 260 → 400 in 20 MiB steps
        #expect(machine.sample(sample(700, l1: 400)).isEmpty)
    }

    @Test func oscillationIsDampedByHysteresis() {
        // Resident memory wobbling around the soft mark changes the level once, not on every sample.
        var machine = Machine(configuration: Self.configuration)
        var transitions = 0
        for resident in [845, 855, 846, 852, 848, 851, 790, 810] {
            transitions +=
                machine.sample(sample(resident, l1: 300)).filter {
                    if case .transition = $0 { true } else { false }
                }.count
        }
        #expect(transitions == 1)
        #expect(machine.level == .soft)
    }

    @Test(arguments: [
        MemoryGovernorConfiguration(budgetBytes: 0, memoryTierBytes: 1),
        MemoryGovernorConfiguration(budgetBytes: 100, memoryTierBytes: 10, memoryTierFloor: 20),
        MemoryGovernorConfiguration(budgetBytes: 100, memoryTierBytes: 10, softFraction: 0.95, hardFraction: 0.9),
        MemoryGovernorConfiguration(budgetBytes: 100, memoryTierBytes: 10, softFraction: 0.05),
        MemoryGovernorConfiguration(budgetBytes: 100, memoryTierBytes: 10, interval: .zero),
    ])
    func invalidConfigurationsAreRefused(_ configuration: MemoryGovernorConfiguration) {
        #expect(throws: MemoryGovernorConfigurationError.self) { try configuration.validate() }
    }
}
