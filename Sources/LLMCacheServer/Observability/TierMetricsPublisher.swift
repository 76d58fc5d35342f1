import CoreMetrics
import LLMCacheCore
import LLMCacheShared
import LLMCacheStore
import Synchronization

/// Turns snapshots of the tiers and the governor into swift-metrics values, when asked (before
/// each `/metrics` scrape): gauges are set, counters advance by what the snapshot grew since the
/// last publication. A snapshot smaller than the last (stats were reset) counts from zero, so
/// the exported counters never go backwards.
final class TierMetricsPublisher: Sendable {
    private let factory: any MetricsFactory
    private let state = Mutex(State())

    private struct State {
        /// Each counter's value at the last publication.
        var published: [String: Int] = [:]
        var counters: [String: Counter] = [:]
        var gauges: [String: Gauge] = [:]
    }

    init(factory: any MetricsFactory) {
        self.factory = factory
    }

    func publish(_ stats: TieredCacheStats, shared: SharedTierStats.Report? = nil, governor: MemoryGovernorStats?) {
        let memory = stats.memory
        count("llmcache_cache_hits_total", [("tier", "memory")], memory.hits)
        count("llmcache_cache_misses_total", [("tier", "memory")], memory.misses)
        count("llmcache_cache_insertions_total", [("tier", "memory")], memory.insertions)
        for reason in EvictionReason.allCases {
            count(
                "llmcache_cache_evictions_total", [("tier", "memory"), ("reason", "\(reason)")],
                memory.evictions(reason))
        }
        gauge("llmcache_cache_bytes", [("tier", "memory")], Double(memory.bytes))
        gauge("llmcache_cache_entries", [("tier", "memory")], Double(memory.entries))
        gauge("llmcache_cache_hit_ratio", [("tier", "memory")], memory.hitRatio)
        gauge("llmcache_memory_tier_window_ratio", [], memory.windowFraction)
        if let limit = memory.byteLimit { gauge("llmcache_memory_tier_limit_bytes", [], Double(limit)) }
        count("llmcache_cache_promotions_total", [], stats.promotions)
        gauge("llmcache_cache_hit_ratio", [("tier", "all")], stats.hitRatio)
        if let disk = stats.disk {
            count("llmcache_cache_hits_total", [("tier", "disk")], disk.hits)
            count("llmcache_cache_misses_total", [("tier", "disk")], disk.misses)
            count("llmcache_cache_insertions_total", [("tier", "disk")], disk.writes)
            for reason in DiskRemovalReason.allCases {
                count(
                    "llmcache_cache_evictions_total", [("tier", "disk"), ("reason", "\(reason)")], disk.removals(reason)
                )
            }
            count("llmcache_disk_write_errors_total", [], disk.writeErrors)
            count("llmcache_disk_dropped_writes_total", [], disk.droppedWrites)
            count("llmcache_disk_corrupt_records_total", [], disk.corruptRecords)
            gauge("llmcache_cache_bytes", [("tier", "disk")], Double(disk.bytes))
            gauge("llmcache_cache_entries", [("tier", "disk")], Double(disk.entries))
            gauge("llmcache_cache_hit_ratio", [("tier", "disk")], disk.hitRatio)
            gauge("llmcache_disk_file_bytes", [], Double(disk.bytesOnDisk))
            gauge("llmcache_disk_pending_writes", [], Double(disk.pendingWrites))
            for dictionary in disk.dictionaries where dictionary.usage.records > 0 {
                gauge(
                    "llmcache_disk_dictionary_compression_ratio", [("dictionary", "\(dictionary.id)")],
                    dictionary.usage.payloadRatio)
            }
        }
        if let shared {
            count("llmcache_cache_hits_total", [("tier", "shared")], shared.hits)
            count("llmcache_cache_misses_total", [("tier", "shared")], shared.misses)
            count("llmcache_shared_errors_total", [], shared.errors)
            count("llmcache_shared_dropped_writes_total", [], shared.dropped)
            count("llmcache_shared_writes_total", [], shared.written)
            count("llmcache_shared_lease_waits_total", [], shared.leaseWaits)
            gauge("llmcache_shared_pending_writes", [], Double(shared.queueDepth))
            gauge("llmcache_shared_failing", [], shared.failing ? 1 : 0)
        }
        if let governor {
            gauge("llmcache_governor_level", [], Double(governor.level.rawValue))
            gauge("llmcache_memory_budget_bytes", [], Double(governor.budgetBytes))
            gauge("llmcache_process_anonymous_resident_bytes", [], Double(governor.residentBytes))
            for level in MemoryGovernorStateMachine.Level.allCases {
                count("llmcache_governor_transitions_total", [("to", "\(level)")], governor.transitions[level.rawValue])
            }
            count("llmcache_governor_heap_trims_total", [], governor.heapTrims)
        }
    }

    private static func id(_ label: String, _ dimensions: [(String, String)]) -> String {
        dimensions.reduce(label) { $0 + "|" + $1.0 + "=" + $1.1 }
    }

    private func count(_ label: String, _ dimensions: [(String, String)], _ value: Int) {
        let id = Self.id(label, dimensions)
        let (counter, delta) = state.withLock { state -> (Counter, Int) in
            let previous = state.published[id] ?? 0
            state.published[id] = value
            let counter = state.counters[id] ?? Counter(label: label, dimensions: dimensions, factory: factory)
            state.counters[id] = counter
            return (counter, value >= previous ? value - previous : value)
        }
        // Increment even by zero, so the series exists from the first scrape.
        counter.increment(by: delta)
    }

    private func gauge(_ label: String, _ dimensions: [(String, String)], _ value: Double) {
        let id = Self.id(label, dimensions)
        let gauge = state.withLock { state in
            let gauge = state.gauges[id] ?? Gauge(label: label, dimensions: dimensions, factory: factory)
            state.gauges[id] = gauge
            return gauge
        }
        gauge.record(value)
    }
}
