/// The memory governor's decisions, as a pure state machine: feed it samples, run the actions it
/// returns. No I/O, no clock — every branch is unit-tested with made-up samples.
///
/// Levels, with hysteresis (`B` = budget):
/// - `normal` → `soft` when resident ≥ soft mark (0.85 B), → `hard` when ≥ hard mark (0.95 B);
/// - `hard` → `soft` only when resident falls under the soft mark;
/// - `soft` → `normal` only when resident falls under the regrow mark (soft − 0.10 B).
///
/// While resident ≥ soft mark, each sample lowers the L1 target by a step (at least one eighth
/// of the configured L1, or the whole excess over the soft mark) from what L1 holds now. Outside
/// `normal`, L2 hits are not promoted; in `hard`, new entries go to L2 only and very large
/// responses are not buffered for storage. Under the regrow mark the target grows back by a
/// small step per sample (one twentieth) to the configured size.
public struct MemoryGovernorStateMachine: Sendable {
    public enum Level: Int, Sendable, CaseIterable, CustomStringConvertible {
        case normal, soft, hard

        public var description: String {
            switch self {
            case .normal: "normal"
            case .soft: "soft"
            case .hard: "hard"
            }
        }
    }

    /// One reading: the process's memory figure and what L1 holds (accounted bytes).
    public struct Sample: Sendable, Equatable {
        public var residentBytes: Int
        public var memoryTierBytes: Int

        public init(residentBytes: Int, memoryTierBytes: Int) {
            self.residentBytes = residentBytes
            self.memoryTierBytes = memoryTierBytes
        }
    }

    /// What the owner must do, in order.
    public enum Action: Sendable, Equatable {
        case transition(from: Level, to: Level)
        case setMemoryTierLimit(Int)
        case setPromotionsPaused(Bool)
        /// New entries to L2 only, and no buffering of very large responses for storage.
        case setDiskOnlyAdmission(Bool)
        /// Return freed heap pages to the kernel (`malloc_trim`).
        case trimHeap
    }

    public private(set) var configuration: MemoryGovernorConfiguration
    public private(set) var level: Level = .normal
    /// The L1 byte target now in force.
    public private(set) var memoryTierLimit: Int
    /// Bytes released from L1 since the last heap trim.
    private var releasedSinceTrim = 0

    public init(configuration: MemoryGovernorConfiguration) {
        self.configuration = configuration
        self.memoryTierLimit = configuration.memoryTierBytes
    }

    /// Takes a new budget or L1 size (a configuration reload). The level is kept — the next
    /// sample re-evaluates it against the new marks; the L1 target moves to the new size in
    /// `normal`, and never above it otherwise.
    public mutating func reconfigure(_ configuration: MemoryGovernorConfiguration) -> [Action] {
        self.configuration = configuration
        let target =
            level == .normal ? configuration.memoryTierBytes : min(memoryTierLimit, configuration.memoryTierBytes)
        guard target != memoryTierLimit else { return [] }
        memoryTierLimit = target
        return [.setMemoryTierLimit(target)]
    }

    public var softMark: Int { configuration.mark(configuration.softFraction) }
    public var hardMark: Int { configuration.mark(configuration.hardFraction) }
    public var regrowMark: Int { configuration.mark(configuration.softFraction - configuration.regrowGap) }

    public mutating func sample(_ sample: Sample) -> [Action] {
        var actions: [Action] = []
        let resident = sample.residentBytes
        let next: Level
        switch level {
        case .normal: next = resident >= hardMark ? .hard : resident >= softMark ? .soft : .normal
        case .soft: next = resident >= hardMark ? .hard : resident < regrowMark ? .normal : .soft
        case .hard: next = resident >= softMark ? .hard : resident < regrowMark ? .normal : .soft
        }
        if next != level {
            actions.append(.transition(from: level, to: next))
            if (level == .normal) != (next == .normal) { actions.append(.setPromotionsPaused(next != .normal)) }
            if (level == .hard) != (next == .hard) { actions.append(.setDiskOnlyAdmission(next == .hard)) }
            level = next
        }
        if resident >= softMark {
            let held = min(memoryTierLimit, sample.memoryTierBytes)
            let step = max(configuration.memoryTierBytes / 8, resident - softMark)
            let target = max(configuration.memoryTierFloor, held - step)
            if target < memoryTierLimit {
                releasedSinceTrim += max(0, sample.memoryTierBytes - target)
                memoryTierLimit = target
                actions.append(.setMemoryTierLimit(target))
            }
            if releasedSinceTrim >= configuration.trimAfterBytes || (next == .hard && releasedSinceTrim > 0) {
                releasedSinceTrim = 0
                actions.append(.trimHeap)
            }
        } else if resident < regrowMark, memoryTierLimit < configuration.memoryTierBytes {
            memoryTierLimit = min(
                configuration.memoryTierBytes, memoryTierLimit + max(1, configuration.memoryTierBytes / 20))
            actions.append(.setMemoryTierLimit(memoryTierLimit))
        }
        return actions
    }
}

/// The governor's budget and marks.
public struct MemoryGovernorConfiguration: Sendable, Equatable {
    /// The process's memory budget in bytes (the figure compared is the sampler's).
    public var budgetBytes: Int
    /// The configured L1 size, which the governor may lower and grows back to.
    public var memoryTierBytes: Int
    /// The governor never lowers L1 below this.
    public var memoryTierFloor: Int
    public var softFraction: Double
    public var hardFraction: Double
    /// The regrow mark is this far (a fraction of the budget) below the soft mark.
    public var regrowGap: Double
    /// Trim the heap after releasing this many bytes from L1 (always on a release in `hard`).
    public var trimAfterBytes: Int
    public var interval: Duration

    public init(
        budgetBytes: Int, memoryTierBytes: Int, memoryTierFloor: Int = 0, softFraction: Double = 0.85,
        hardFraction: Double = 0.95, regrowGap: Double = 0.10, trimAfterBytes: Int = 16 << 20,
        interval: Duration = .milliseconds(250)
    ) {
        self.budgetBytes = budgetBytes
        self.memoryTierBytes = memoryTierBytes
        self.memoryTierFloor = memoryTierFloor
        self.softFraction = softFraction
        self.hardFraction = hardFraction
        self.regrowGap = regrowGap
        self.trimAfterBytes = trimAfterBytes
        self.interval = interval
    }

    func mark(_ fraction: Double) -> Int { Int(Double(budgetBytes) * fraction) }

    /// Throws a description of the first invalid setting.
    public func validate() throws(MemoryGovernorConfigurationError) {
        guard budgetBytes > 0 else { throw .init("the memory budget must be positive") }
        guard memoryTierBytes >= 0, memoryTierFloor >= 0, memoryTierFloor <= memoryTierBytes else {
            throw .init("the memory tier floor must be between 0 and the memory tier size")
        }
        guard 0 < softFraction - regrowGap, softFraction < hardFraction, hardFraction <= 1 else {
            throw .init("the watermarks must satisfy 0 < soft − gap < soft < hard ≤ 1")
        }
        guard interval > .zero else { throw .init("the sampling interval must be positive") }
    }
}

public struct MemoryGovernorConfigurationError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
