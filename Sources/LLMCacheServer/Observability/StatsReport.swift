import LLMCacheCore
import LLMCacheShared
import LLMCacheStore

/// The JSON of `GET /stats`: per-tier counters and gauges, the proxy's own counts, tokens and
/// money saved, and the governor. Keys are sorted; ratios and dollars are rounded to 9 decimals.
enum StatsReport {
    static func json(
        cache: TieredCacheStats, shared: SharedTierStats.Report? = nil, proxy: ProxyMetrics.Counts,
        governor: MemoryGovernorStats?, uptimeSeconds: Double,
        misses: (routes: [(String, Int)], models: [(String, Int)]) = ([], [])
    ) -> JSONValue {
        var tiers: [JSONMember] = [JSONMember(key: "memory", value: memory(cache.memory))]
        if let disk = cache.disk { tiers.append(JSONMember(key: "disk", value: self.disk(disk))) }
        if let shared { tiers.append(JSONMember(key: "shared", value: self.shared(shared))) }
        let requests = zip(ProxyMetrics.cacheStatuses, proxy.requestsByStatus).map {
            JSONMember(key: $0, value: int($1))
        }
        return object([
            "uptime_seconds": number(uptimeSeconds),
            "hit_ratio": number(cache.hitRatio),
            "requests": .object(requests),
            "tiers": .object(tiers),
            "promotions": int(cache.promotions),
            "coalesced": int(proxy.coalesced),
            "fast_hits": int(proxy.fastHits),
            "upstream": object(["requests": int(proxy.upstreamRequests), "errors": int(proxy.upstreamErrors)]),
            "saved": object([
                "input_tokens": int(proxy.savedInputTokens), "output_tokens": int(proxy.savedOutputTokens),
                "dollars": number(proxy.savedDollars), "unpriced_hits": int(proxy.unpricedHits),
                "by_model": object(proxy.savedByModel.mapValues(modelSavings)),
            ]),
            "provider_cache": promptCache(proxy.promptCache, byModel: proxy.promptCacheByModel),
            "samples": object([
                "requests": int(proxy.samples.requests),
                "by_index": .object(
                    proxy.samples.byIndex.sorted { $0.key < $1.key }.map {
                        JSONMember(key: String($0.key), value: int($0.value))
                    }),
                "keys_by_samples_held": .object(
                    proxy.samples.keysBySamplesHeld.sorted { $0.key < $1.key }.map {
                        JSONMember(key: String($0.key), value: int($0.value))
                    }),
            ]),
            "misses": object([
                "by_route": .object(misses.routes.map { JSONMember(key: $0.0, value: int($0.1)) }),
                "by_model": .object(misses.models.map { JSONMember(key: $0.0, value: int($0.1)) }),
            ]),
            "governor": governor.map(self.governor) ?? .null,
            "process": process(),
            "plugin_failures": int(proxy.pluginFailures),
            "store_refusals": .object(
                AnswerValidation.Refusal.allCases.map {
                    JSONMember(key: $0.rawValue, value: int(proxy.storeRefusals[$0.rawValue] ?? 0))
                }),
            "config": object([
                "reloads": int(proxy.configReloads), "rejections": int(proxy.configRejections),
                "last_reload": proxy.lastReload.map(reload) ?? .null,
            ]),
        ])
    }

    /// The provider's own prompt caching on the calls that went upstream (apart from `saved`).
    private static func promptCache(
        _ savings: ProxyMetrics.PromptCacheSavings, byModel: [String: ProxyMetrics.PromptCacheSavings]? = nil
    ) -> JSONValue {
        var members: [String: JSONValue] = [
            "calls": int(savings.calls), "read_tokens": int(savings.readTokens),
            "write_tokens": int(savings.writeTokens), "discount_dollars": number(savings.discountDollars),
            "premium_dollars": number(savings.premiumDollars), "net_dollars": number(savings.netDollars),
            "unpriced_calls": int(savings.unpriced),
        ]
        if let byModel { members["by_model"] = object(byModel.mapValues { promptCache($0) }) }
        return object(members)
    }

    /// The process's memory as the kernel and the C heap see it: anonymous resident bytes (what
    /// the governor steers by) and the heap's bytes in use (the difference is fragmentation and
    /// free pages not yet returned).
    private static func process() -> JSONValue {
        object([
            "resident_anonymous_bytes": (try? ProcessMemorySampler().residentBytes()).map(int) ?? .null,
            "heap_bytes_in_use": HeapTrim.bytesInUse().map(int) ?? .null,
        ])
    }

    private static func modelSavings(_ savings: ProxyMetrics.ModelSavings) -> JSONValue {
        object([
            "hits": int(savings.hits), "input_tokens": int(savings.inputTokens),
            "output_tokens": int(savings.outputTokens), "dollars": number(savings.dollars),
            "unpriced_hits": int(savings.unpriced),
        ])
    }

    private static func reload(_ result: ProxyMetrics.ReloadResult) -> JSONValue {
        object([
            "time": .string(result.time.iso8601), "applied": .bool(result.applied),
            "error": result.error.map { .string($0) } ?? .null,
        ])
    }

    /// The dashboard's chart data: buckets oldest first, the last one in progress.
    static func history(_ buckets: [StatsHistory.Bucket], interval: Duration) -> JSONValue {
        object([
            "interval_seconds": int(Int(interval.components.seconds)),
            "buckets": .array(
                buckets.map { bucket in
                    object([
                        "start": .string(bucket.start.iso8601),
                        "seconds": number(
                            Double(bucket.end.nanosecondsSinceEpoch - bucket.start.nanosecondsSinceEpoch) / 1e9),
                        "requests": .object(
                            zip(ProxyMetrics.cacheStatuses, bucket.requests).map { JSONMember(key: $0, value: int($1)) }
                        ),
                        "hit_ratio": bucket.hitRatio.map(number) ?? .null,
                        "tiers": object(
                            bucket.hits.keys.reduce(into: [:]) { tiers, name in
                                let hits = bucket.hits[name] ?? 0
                                let misses = bucket.misses[name] ?? 0
                                tiers[name] = object([
                                    "hits": int(hits), "misses": int(misses),
                                    "hit_ratio": hits + misses == 0
                                        ? .null : number(Double(hits) / Double(hits + misses)),
                                ])
                            }),
                        "upstream_requests": int(bucket.upstreamRequests),
                        "saved_tokens": int(bucket.savedTokens), "saved_dollars": number(bucket.savedDollars),
                    ])
                }),
        ])
    }

    /// The recent misses, newest first: where, when, and the one-line explanation (field
    /// names, never values).
    static func recentMisses(_ misses: [MissLog.Miss]) -> JSONValue {
        .array(
            misses.reversed().map { miss in
                object([
                    "time": .string(miss.time.iso8601), "key": .string(miss.key.hex), "method": .string(miss.method),
                    "path": .string(miss.path), "model": .string(miss.model), "namespace": .string(miss.namespace),
                    "offline": .bool(miss.offline), "explanation": miss.explanation.map { .string($0) } ?? .null,
                ])
            })
    }

    private static func memory(_ stats: MemoryTierStats) -> JSONValue {
        object([
            "hits": int(stats.hits), "misses": int(stats.misses), "hit_ratio": number(stats.hitRatio),
            "insertions": int(stats.insertions), "updates": int(stats.updates), "rejections": int(stats.rejections),
            "evictions": object(
                Dictionary(uniqueKeysWithValues: EvictionReason.allCases.map { ("\($0)", int(stats.evictions($0))) })),
            "bytes": int(stats.bytes), "entries": int(stats.entries), "byte_limit": stats.byteLimit.map(int) ?? .null,
            "window_fraction": number(stats.windowFraction),
        ])
    }

    private static func disk(_ stats: DiskTierStats) -> JSONValue {
        object([
            "hits": int(stats.hits), "misses": int(stats.misses), "hit_ratio": number(stats.hitRatio),
            "writes": int(stats.writes), "rejections": int(stats.rejections),
            "dropped_writes": int(stats.droppedWrites),
            "write_errors": int(stats.writeErrors), "corrupt_records": int(stats.corruptRecords),
            "evictions": object(
                Dictionary(uniqueKeysWithValues: DiskRemovalReason.allCases.map { ("\($0)", int(stats.removals($0))) })),
            "bytes": int(stats.bytes), "raw_bytes": int(stats.rawBytes), "file_bytes": int(stats.bytesOnDisk),
            "entries": int(stats.entries), "pending_writes": int(stats.pendingWrites),
            "compression_ratio": number(stats.compressionRatio),
            "file_bytes_per_entry": number(stats.fileBytesPerEntry.rounded()),
            "overhead_bytes_per_entry": number(stats.overheadBytesPerEntry.rounded()),
            "dictionaries": .array(
                stats.dictionaries.map { dictionary in
                    object([
                        "id": int(Int(dictionary.id)), "current": .bool(dictionary.isCurrent),
                        "records": int(dictionary.usage.records), "raw_bytes": int(dictionary.usage.rawBytes),
                        "payload_bytes": int(dictionary.usage.storedBytes),
                        "record_bytes": int(dictionary.usage.recordBytes),
                        "payload_ratio": number(dictionary.usage.payloadRatio),
                        "record_ratio": number(dictionary.usage.recordRatio),
                    ])
                }),
        ])
    }

    private static func shared(_ report: SharedTierStats.Report) -> JSONValue {
        object([
            "hits": int(report.hits), "misses": int(report.misses),
            "hit_ratio": number(TierCounts(hits: report.hits, misses: report.misses, entries: 0, bytes: 0).hitRatio),
            "errors": int(report.errors), "damaged_records": int(report.damaged), "dropped_writes": int(report.dropped),
            "writes": int(report.written), "pending_writes": int(report.queueDepth),
            "lease_waits": int(report.leaseWaits), "skipped": int(report.skipped), "failing": .bool(report.failing),
            "last_error": report.lastError.map { .string($0) } ?? .null,
            "mean_lookup_microseconds": number(report.meanLookupMicroseconds),
        ])
    }

    private static func governor(_ stats: MemoryGovernorStats) -> JSONValue {
        object([
            "level": .string("\(stats.level)"), "budget_bytes": int(stats.budgetBytes),
            "resident_bytes": int(stats.residentBytes), "memory_tier_limit": int(stats.memoryTierLimit),
            "samples": int(stats.samples), "sample_errors": int(stats.sampleErrors), "heap_trims": int(stats.heapTrims),
            "transitions": object(
                Dictionary(
                    uniqueKeysWithValues: MemoryGovernorStateMachine.Level.allCases.map {
                        ("\($0)", int(stats.transitions[$0.rawValue]))
                    })),
        ])
    }

    private static func object(_ members: [String: JSONValue]) -> JSONValue {
        .object(members.map { JSONMember(key: $0.key, value: $0.value) })
    }

    private static func int(_ value: Int) -> JSONValue { .number(String(value)) }

    private static func number(_ value: Double) -> JSONValue {
        guard value.isFinite else { return .null }
        let rounded = (value * 1e9).rounded() / 1e9
        if rounded == rounded.rounded(), abs(rounded) < 1e15 { return .number(String(Int(rounded))) }
        return .number("\(rounded)")
    }
}
