import LLMCacheCore

/// The hit ratio of one policy at one capacity on one trace.
public struct SimulationResult: Sendable, Equatable {
    public var policy: EvictionPolicy
    public var capacity: Int
    public var requests: Int
    public var hits: Int

    public init(policy: EvictionPolicy, capacity: Int, requests: Int, hits: Int) {
        self.policy = policy
        self.capacity = capacity
        self.requests = requests
        self.hits = hits
    }

    public var hitRatio: Double { requests == 0 ? 0 : Double(hits) / Double(requests) }
}

/// Replays traces through the real ``MemoryTier`` code path: one shard, bounded by entry count,
/// every key weighing 1. A request is a hit when the key is present; on a miss it is inserted.
public enum TraceSimulator {
    public static func run(_ trace: Trace, policy: EvictionPolicy, capacity: Int) throws -> SimulationResult {
        let clock = ManualClock()
        let tier = try MemoryTier(configuration: .entries(capacity, policy: policy), clock: clock)
        let entry = CacheEntry(createdAt: clock.now())
        var hits = 0
        for identifier in trace.keys {
            let key = CacheKey(identifier: identifier)
            if tier.get(key) != nil {
                hits += 1
            } else {
                tier.put(key, entry)
            }
        }
        return SimulationResult(policy: policy, capacity: capacity, requests: trace.keys.count, hits: hits)
    }

    /// Every policy × capacity combination, run concurrently; results in input order.
    public static func run(_ trace: Trace, policies: [EvictionPolicy], capacities: [Int]) async throws
        -> [SimulationResult]
    {
        let jobs = policies.flatMap { policy in capacities.map { (policy, $0) } }
        return try await withThrowingTaskGroup(of: (Int, SimulationResult).self) { group in
            for (offset, job) in jobs.enumerated() {
                group.addTask { (offset, try run(trace, policy: job.0, capacity: job.1)) }
            }
            var results = [SimulationResult?](repeating: nil, count: jobs.count)
            for try await (offset, result) in group { results[offset] = result }
            return results.map { $0! }
        }
    }
}
