import Logging
import ServiceLifecycle
import Synchronization

/// What the governor switches besides L1's size (the tiered cache implements it).
public protocol MemoryPressureControls: Sendable {
    /// Stop (or resume) copying L2 hits into L1.
    func setPromotionsPaused(_ paused: Bool)
    /// Store new entries in L2 only (or in both tiers again).
    func setDiskOnlyAdmission(_ diskOnly: Bool)
}

/// Keeps the process inside its memory budget: every `interval` it samples the process's memory
/// (see ``ProcessMemorySampler`` for the figure) and L1's accounted bytes, feeds the
/// ``MemoryGovernorStateMachine`` and carries out its actions — shrink or regrow L1, pause
/// promotions, admit to L2 only, trim the heap. Every level change is logged and counted.
///
/// A `Service`; ``tick()`` runs one sample synchronously (tests call it directly).
public final class MemoryGovernor: Service, Sendable {
    /// The budget and marks in force (see ``reconfigure(_:)``).
    public var configuration: MemoryGovernorConfiguration { state.withLock { $0.machine.configuration } }
    private let memory: any MemoryBoundedTier
    private let controls: (any MemoryPressureControls)?
    private let sampler: any MemorySampler
    private let logger: Logger
    private let state: Mutex<State>
    private let currentLevel = Atomic<Int>(MemoryGovernorStateMachine.Level.normal.rawValue)

    private struct State {
        var machine: MemoryGovernorStateMachine
        var stats: MemoryGovernorStats
    }

    public init(
        configuration: MemoryGovernorConfiguration, memory: any MemoryBoundedTier,
        controls: (any MemoryPressureControls)?,
        sampler: any MemorySampler = ProcessMemorySampler(), logger: Logger = Logger(label: "llmcache.governor")
    ) throws {
        try configuration.validate()
        self.memory = memory
        self.controls = controls
        self.sampler = sampler
        self.logger = logger
        var stats = MemoryGovernorStats(budgetBytes: configuration.budgetBytes)
        stats.memoryTierLimit = configuration.memoryTierBytes
        self.state = Mutex(State(machine: MemoryGovernorStateMachine(configuration: configuration), stats: stats))
    }

    /// The level now (cheap; read on the request path).
    public var level: MemoryGovernorStateMachine.Level {
        MemoryGovernorStateMachine.Level(rawValue: currentLevel.load(ordering: .relaxed)) ?? .normal
    }

    public var stats: MemoryGovernorStats { state.withLock { $0.stats } }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                self.tick()
                try await Task.sleep(for: self.configuration.interval)
            }
        }
    }

    /// Takes a new budget or L1 size (configuration reload) without losing L1's contents.
    /// - Throws: ``MemoryGovernorConfigurationError`` for an invalid configuration (nothing changes).
    public func reconfigure(_ configuration: MemoryGovernorConfiguration) throws {
        try configuration.validate()
        let actions = state.withLock { state in
            state.stats.budgetBytes = configuration.budgetBytes
            let actions = state.machine.reconfigure(configuration)
            state.stats.memoryTierLimit = state.machine.memoryTierLimit
            return actions
        }
        for case .setMemoryTierLimit(let bytes) in actions { memory.setByteLimit(bytes) }
        logger.info(
            "memory governor reconfigured",
            metadata: [
                "budget_bytes": "\(configuration.budgetBytes)", "memory_tier_bytes": "\(configuration.memoryTierBytes)",
            ])
    }

    /// Samples once and acts. Returns the actions taken.
    @discardableResult
    public func tick() -> [MemoryGovernorStateMachine.Action] {
        let resident: Int
        do { resident = try sampler.residentBytes() } catch {
            state.withLock { $0.stats.sampleErrors += 1 }
            logger.error("memory governor cannot sample memory", metadata: ["error": "\(error)"])
            return []
        }
        let sample = MemoryGovernorStateMachine.Sample(residentBytes: resident, memoryTierBytes: memory.accountedBytes)
        let actions = state.withLock { state in
            let actions = state.machine.sample(sample)
            state.stats.residentBytes = resident
            state.stats.samples += 1
            state.stats.memoryTierLimit = state.machine.memoryTierLimit
            state.stats.level = state.machine.level
            for case .transition(_, let to) in actions { state.stats.transitions[to.rawValue] += 1 }
            if actions.contains(.trimHeap) { state.stats.heapTrims += 1 }
            return actions
        }
        // Carried out after unlocking: eviction takes the tier's own locks.
        for action in actions {
            switch action {
            case .transition(let from, let to):
                currentLevel.store(to.rawValue, ordering: .relaxed)
                let metadata: Logger.Metadata = [
                    "from": "\(from)", "to": "\(to)", "resident_bytes": "\(resident)",
                    "budget_bytes": "\(self.configuration.budgetBytes)",
                ]
                if to.rawValue > from.rawValue {
                    logger.warning("memory pressure rising", metadata: metadata)
                } else {
                    logger.info("memory pressure easing", metadata: metadata)
                }
            case .setMemoryTierLimit(let bytes): memory.setByteLimit(bytes)
            case .setPromotionsPaused(let paused): controls?.setPromotionsPaused(paused)
            case .setDiskOnlyAdmission(let diskOnly): controls?.setDiskOnlyAdmission(diskOnly)
            case .trimHeap: HeapTrim.returnFreePages()
            }
        }
        return actions
    }
}

/// A snapshot of the governor.
public struct MemoryGovernorStats: Sendable, Equatable {
    public var level: MemoryGovernorStateMachine.Level = .normal
    public var budgetBytes: Int
    /// The last sample of the process's memory figure (0 before the first).
    public var residentBytes = 0
    /// The L1 byte target in force.
    public var memoryTierLimit = 0
    public var samples = 0
    public var sampleErrors = 0
    public var heapTrims = 0
    /// Times each level was entered; index with `Level.rawValue`.
    public var transitions = Array(repeating: 0, count: MemoryGovernorStateMachine.Level.allCases.count)

    public init(budgetBytes: Int) { self.budgetBytes = budgetBytes }
}
