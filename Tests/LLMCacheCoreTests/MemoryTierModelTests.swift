import Testing

@testable import LLMCacheCore

/// A deliberately simple LRU / LFU over arrays and linear scans: the reference the real tier's
/// O(1) structures must agree with, operation by operation.
private struct ReferenceCache {
    struct Item {
        var key: Int
        var entry: CacheEntry
        var bytes: Int
        var frequency: Int
        var lastTouch: Int
    }

    let policy: EvictionPolicy
    let maxBytes: Int?
    let maxEntries: Int
    let maxEntryBytes: Int
    var items: [Item] = []
    var tick = 0

    var totalBytes: Int { items.reduce(0) { $0 + $1.bytes } }

    mutating func get(_ key: Int) -> CacheEntry? {
        guard let index = items.firstIndex(where: { $0.key == key }) else { return nil }
        touch(index)
        return items[index].entry
    }

    mutating func put(_ key: Int, _ entry: CacheEntry) {
        let bytes = accountedBytes(entry)
        let existing = items.firstIndex { $0.key == key }
        guard bytes <= maxEntryBytes else {
            if let existing { items.remove(at: existing) }
            return
        }
        if let existing {
            items[existing].entry = entry
            items[existing].bytes = bytes
            touch(existing)
        } else {
            tick += 1
            items.append(Item(key: key, entry: entry, bytes: bytes, frequency: 1, lastTouch: tick))
        }
        while (maxBytes.map { totalBytes > $0 } ?? false) || items.count > maxEntries {
            items.remove(at: victim())
        }
    }

    mutating func remove(_ key: Int) {
        items.removeAll { $0.key == key }
    }

    private mutating func touch(_ index: Int) {
        tick += 1
        items[index].lastTouch = tick
        items[index].frequency += 1
    }

    private func victim() -> Int {
        switch policy {
        case .lru:
            return items.indices.min { items[$0].lastTouch < items[$1].lastTouch }!
        case .lfu:
            return items.indices.min {
                (items[$0].frequency, items[$0].lastTouch) < (items[$1].frequency, items[$1].lastTouch)
            }!
        case .wTinyLFU:
            preconditionFailure("no reference model for W-TinyLFU eviction order")
        }
    }
}

@Suite struct MemoryTierModelTests {
    static let seeds: [UInt64] = [1, 2, 3, 4, 5, 6, 7, 8]

    @Test(arguments: [EvictionPolicy.lru, .lfu], seeds)
    func agreesWithTheReferenceUnderAByteBudget(policy: EvictionPolicy, seed: UInt64) throws {
        let maxBytes = 8_000
        let tier = try MemoryTier(
            configuration: .init(maxBytes: maxBytes, policy: policy, maxEntryFraction: 0.25, shardCount: 1),
            clock: ManualClock())
        var model = ReferenceCache(
            policy: policy, maxBytes: maxBytes, maxEntries: .max, maxEntryBytes: 2_000)
        try runRandomOperations(tier: tier, model: &model, seed: seed, keySpace: 60, maxBody: 2_500)
    }

    @Test(arguments: [EvictionPolicy.lru, .lfu], seeds)
    func agreesWithTheReferenceUnderAnEntryBound(policy: EvictionPolicy, seed: UInt64) throws {
        let tier = try MemoryTier(configuration: .entries(20, policy: policy), clock: ManualClock())
        var model = ReferenceCache(policy: policy, maxBytes: nil, maxEntries: 20, maxEntryBytes: .max)
        try runRandomOperations(tier: tier, model: &model, seed: seed, keySpace: 50, maxBody: 100)
    }

    private func runRandomOperations(
        tier: MemoryTier, model: inout ReferenceCache, seed: UInt64, keySpace: UInt64, maxBody: UInt64
    ) throws {
        var generator = SplitMix64(seed: seed)
        for step in 0..<3_000 {
            let id = Int(generator.next() % keySpace)
            switch generator.next() % 10 {
            case 0..<5:
                let expected = model.get(id)
                let actual = tier.get(key(id))
                try #require(actual == expected, "step \(step): get(\(id))")
            case 5..<9:
                let entry = makeEntry(size: Int(generator.next() % maxBody), marker: UInt8(step & 0xff))
                model.put(id, entry)
                tier.put(key(id), entry)
            default:
                model.remove(id)
                tier.remove(key(id))
            }
            try #require(tier.stats.entries == model.items.count, "step \(step): entry count")
            try #require(tier.stats.bytes == model.totalBytes, "step \(step): accounted bytes")
        }
        let present = Set((0..<Int(keySpace)).filter { tier.contains(key($0)) })
        #expect(present == Set(model.items.map(\.key)))
    }

    /// W-TinyLFU's choices depend on a sketch, so the model checks what must hold regardless:
    /// a hit returns exactly the last value put, removed or refused keys never come back, and
    /// the budget holds.
    @Test(arguments: seeds)
    func wTinyLFUNeverReturnsAStaleOrPhantomValue(seed: UInt64) throws {
        let maxBytes = 20_000
        let tier = try MemoryTier(
            configuration: .init(maxBytes: maxBytes, maxEntryFraction: 0.2, shardCount: 1), clock: ManualClock())
        var latest: [Int: CacheEntry] = [:]
        var generator = SplitMix64(seed: seed)
        var hits = 0
        for step in 0..<5_000 {
            let id = Int(generator.next() % 200)
            switch generator.next() % 10 {
            case 0..<6:
                if let actual = tier.get(key(id)) {
                    hits += 1
                    try #require(actual == latest[id], "step \(step): stale or phantom value for \(id)")
                }
            case 6..<9:
                let entry = makeEntry(size: Int(generator.next() % 4_500), marker: UInt8(step & 0xff))
                if tier.put(key(id), entry) { latest[id] = entry } else { latest[id] = nil }
            default:
                tier.remove(key(id))
                latest[id] = nil
            }
            try #require(tier.stats.bytes <= maxBytes)
        }
        #expect(hits > 100, "the workload must exercise hits")
    }
}
