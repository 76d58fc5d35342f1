/// Which access-ordered list a node is on. LRU and LFU keep every entry on `probation` (their
/// single "main" list); W-TinyLFU uses all three.
enum NodeQueue: UInt8 {
    case window = 0
    case probation = 1
    case protected = 2
    case free = 3

    static let main = NodeQueue.probation
}

/// One cached entry plus its place in the policy's lists. Nodes live in a contiguous array and
/// link to each other by index, so the policy costs no allocation per entry.
///
/// Field order matters: what lookups and relinking touch (key, links, sizes) comes first, so it
/// shares a cache line; the entry, read only on a hit, follows. 64 bytes.
struct MemoryTierNode {
    var key: CacheKey
    var prev: Int32
    var next: Int32
    /// Accounted bytes (the packed entry's allocation + per-entry overhead).
    var bytes: UInt32
    /// LFU use count.
    var frequency: UInt32
    var queue: NodeQueue
    var entry: PackedEntry?
}

/// Head, tail and totals of one intrusive doubly-linked list. Head is the least recently used.
struct AccessList {
    var head: Int32 = -1
    var tail: Int32 = -1
    var count = 0
    var weight = 0
}

/// The non-thread-safe core of one memory-tier shard: index, nodes, policy lists, accounting.
///
/// Lives inside a `Mutex` in ``MemoryTier``; every method runs under that lock and is
/// synchronous. All indices are `Int32` into `nodes`; -1 means none.
struct MemoryTierShard {
    var nodes: ContiguousArray<MemoryTierNode> = []
    /// Free node slots, chained through `next`.
    var freeHead: Int32 = -1
    /// Open-addressing index: 0 = empty, else `(low 32 bits of key.w0) << 32 | (node + 1)`.
    var slots: ContiguousArray<UInt64> = ContiguousArray(repeating: 0, count: 16)
    var slotMask = 15

    var lists = [AccessList(), AccessList(), AccessList()]
    var count = 0
    var totalWeight = 0
    var totalBytes = 0

    let policy: EvictionPolicy
    /// Whether entries weigh their bytes (byte budget) or 1 each (entry budget).
    let weighsBytes: Bool
    let perEntryOverhead: Int
    var maximumWeight: Int
    let maximumEntries: Int
    var maximumEntryBytes: Int

    // W-TinyLFU state.
    var sketch: FrequencySketch
    var windowMaximum = 0
    var protectedMaximum = 0
    /// Sizes the tier's window (in the tier's first shard only; nil elsewhere and in a
    /// miniature, whose window is fixed).
    var tuner: WindowTuner?
    /// The window the tier's shards follow (nil: a miniature, or a shard on its own).
    let windowChoice: WindowChoice?
    /// Whether this shard runs the tuner.
    let tunesWindow: Bool
    /// The choice this shard's window was last set to.
    var appliedChoice = -1
    /// A miniature simulation's cache (``WindowTuner``): its nodes hold no entries, its window
    /// stays at this fraction.
    let miniatureWindow: Double?
    var random: UInt64

    // LFU state: the last node of each frequency group in the sorted main list.
    var lfuGroupTails: [UInt32: Int32] = [:]

    var stats = MemoryTierStats()
    var sweepCursor = 0
    #if LLMCACHE_INVARIANT_CHECKS
        var operationsSinceFullCheck = 0
    #endif

    /// `windowChoice`: the window the tier's shards follow, tuned by the one with `tunesWindow`;
    /// `miniatureWindow`: a miniature cache for ``WindowTuner`` (no entries, this fixed window).
    init(
        policy: EvictionPolicy,
        weighsBytes: Bool,
        maximumWeight: Int,
        maximumEntries: Int,
        maximumEntryBytes: Int,
        perEntryOverhead: Int,
        seed: UInt64,
        windowChoice: WindowChoice? = nil,
        tunesWindow: Bool = true,
        miniatureWindow: Double? = nil
    ) {
        self.policy = policy
        self.windowChoice = windowChoice
        self.tunesWindow = tunesWindow && miniatureWindow == nil
        self.miniatureWindow = miniatureWindow
        self.weighsBytes = weighsBytes
        self.maximumWeight = maximumWeight
        self.maximumEntries = maximumEntries
        self.maximumEntryBytes = maximumEntryBytes
        self.perEntryOverhead = perEntryOverhead
        self.random = seed | 1
        // A byte-bounded shard cannot know its entry count up front, and a large entry bound may
        // never be reached: start the sketch at most 64k entries large and let `put` grow it with
        // the count (a sketch sized for the bound could cost more than the entries).
        let expectedEntries = weighsBytes ? min(maximumEntries, 1024, max(16, maximumWeight / 4096)) : maximumWeight
        let initialSketch = min(expectedEntries, 1 << 16)
        self.sketch = FrequencySketch(capacity: policy == .wTinyLFU ? initialSketch : 0)
        resetWindow()
    }

    @inline(__always)
    func weight(of index: Int32) -> Int {
        weighsBytes ? Int(nodes[Int(index)].bytes) : 1
    }

    var isOverCapacity: Bool { totalWeight > maximumWeight || count > maximumEntries }

    // MARK: - Operations

    /// Returns the live entry for `key`, recording the access; expired entries are removed.
    mutating func get(_ key: CacheKey, now: Timestamp) -> PackedEntry? {
        defer { checkInvariants() }
        followWindowChoice()
        guard let index = find(key) else {
            stats.misses += 1
            return nil
        }
        if let entry = nodes[Int(index)].entry, entry.isExpired(at: now) {
            remove(index, reason: .ttl)
            stats.misses += 1
            return nil
        }
        stats.hits += 1
        recordAccess(index)
        return nodes[Int(index)].entry
    }

    /// The live entry for `key`, counted as a hit and an access like ``get(_:now:)``; nil when
    /// it is absent or expired, counting nothing and removing nothing (the full lookup that
    /// follows counts that miss once).
    /// `aliveAt` (later than `now`): an entry expired by then counts as absent (and nothing is
    /// counted).
    mutating func hitIfPresent(_ key: CacheKey, now: Timestamp, aliveAt: Timestamp? = nil) -> PackedEntry? {
        defer { checkInvariants() }
        followWindowChoice()
        guard let index = find(key), let entry = nodes[Int(index)].entry, !entry.isExpired(at: now),
            !(aliveAt.map { entry.isExpired(at: $0) } ?? false)
        else {
            return nil
        }
        stats.hits += 1
        recordAccess(index)
        return entry
    }

    /// Counts a lookup that found nothing here.
    mutating func countMiss() { stats.misses += 1 }

    /// Whether a live entry exists, without counting a lookup or an access.
    func contains(_ key: CacheKey, now: Timestamp) -> Bool {
        guard let index = find(key), let entry = nodes[Int(index)].entry else { return false }
        return !entry.isExpired(at: now)
    }

    /// Counts a put refused before it reached the shard (an entry too large to pack); the old
    /// value is superseded, so it goes.
    mutating func reject(_ key: CacheKey) {
        defer { checkInvariants() }
        stats.rejections += 1
        // Serving the old value would be wrong.
        if let index = find(key) { remove(index, reason: .explicit) }
    }

    /// Stores `entry`; returns whether it is held afterwards (W-TinyLFU may refuse a newcomer).
    mutating func put(_ key: CacheKey, _ entry: PackedEntry, now: Timestamp) -> Bool {
        defer { checkInvariants() }
        followWindowChoice()
        let bytes = entry.allocatedBytes + perEntryOverhead
        guard bytes <= maximumEntryBytes, !entry.isExpired(at: now) else {
            reject(key)
            return false
        }
        if let index = find(key) {
            let oldWeight = weight(of: index)
            totalBytes += bytes - Int(nodes[Int(index)].bytes)
            nodes[Int(index)].bytes = UInt32(bytes)
            nodes[Int(index)].entry = entry
            let delta = weight(of: index) - oldWeight
            totalWeight += delta
            lists[Int(nodes[Int(index)].queue.rawValue)].weight += delta
            stats.updates += 1
            recordAccess(index)
            evict(reason: .capacity)
            return find(key) != nil
        }
        let index = allocateNode(key: key, entry: entry, bytes: bytes)
        indexInsert(key, node: index)
        count += 1
        totalBytes += bytes
        totalWeight += weight(of: index)
        stats.insertions += 1
        switch policy {
        case .lru:
            linkAtTail(index, .main)
        case .lfu:
            lfuInsert(index)
        case .wTinyLFU:
            sketch.increment(key.w1)
            if count > sketch.capacity {
                // Double (forgetting counts only log(n) times), never past the entry bound.
                sketch.ensureCapacity(min(count * 2, weighsBytes ? maximumEntries : maximumWeight))
            }
            linkAtTail(index, .window)
            tune(key, bytes: bytes)
        }
        evict(reason: .capacity)
        return find(key) != nil
    }

    /// Removes `key`; returns whether it was present.
    @discardableResult
    mutating func remove(_ key: CacheKey, reason: EvictionReason = .explicit) -> Bool {
        defer { checkInvariants() }
        guard let index = find(key) else { return false }
        remove(index, reason: reason)
        return true
    }

    /// Removes every entry stored under `namespace`; returns how many.
    mutating func removeAll(namespace: String) -> Int {
        defer { checkInvariants() }
        var removed = 0
        for index in nodes.indices
        where nodes[index].queue != .free && nodes[index].entry?.hasNamespace(namespace) == true {
            remove(Int32(index), reason: .explicit)
            removed += 1
        }
        return removed
    }

    /// Drops every entry and releases the node and index storage.
    mutating func removeAll() -> Int {
        let removed = count
        stats.evictions[EvictionReason.explicit.rawValue] += removed
        nodes = []
        freeHead = -1
        slots = ContiguousArray(repeating: 0, count: 16)
        slotMask = 15
        lists = [AccessList(), AccessList(), AccessList()]
        lfuGroupTails = [:]
        count = 0
        totalWeight = 0
        totalBytes = 0
        sweepCursor = 0
        checkInvariants()
        return removed
    }

    /// Removes up to `limit` slots' worth of expired entries, resuming where the last sweep
    /// stopped; returns how many were removed.
    mutating func sweepExpired(now: Timestamp, limit: Int) -> Int {
        defer { checkInvariants() }
        guard !nodes.isEmpty else { return 0 }
        var removed = 0
        for _ in 0..<min(limit, nodes.count) {
            if sweepCursor >= nodes.count { sweepCursor = 0 }
            let index = sweepCursor
            sweepCursor += 1
            if nodes[index].queue != .free, let entry = nodes[index].entry, entry.isExpired(at: now) {
                remove(Int32(index), reason: .ttl)
                removed += 1
            }
        }
        return removed
    }

    /// Sets a new weight budget, evicting with `reason` until the shard fits.
    mutating func setMaximumWeight(_ newMaximum: Int, reason: EvictionReason) {
        defer { checkInvariants() }
        maximumWeight = max(newMaximum, 0)
        resetWindow()
        evict(reason: reason)
    }

    // MARK: - Shared mechanics

    /// Unlinks, unindexes and frees node `index`, counting an eviction for `reason`.
    mutating func remove(_ index: Int32, reason: EvictionReason) {
        let key = nodes[Int(index)].key
        indexRemove(key)
        if policy == .lfu { lfuDetach(index) }
        totalWeight -= weight(of: index)
        totalBytes -= Int(nodes[Int(index)].bytes)
        unlink(index)
        count -= 1
        nodes[Int(index)].entry = nil
        nodes[Int(index)].queue = .free
        nodes[Int(index)].next = freeHead
        freeHead = index
        stats.evictions[reason.rawValue] += 1
    }

    private mutating func allocateNode(key: CacheKey, entry: PackedEntry?, bytes: Int) -> Int32 {
        let node = MemoryTierNode(
            key: key, prev: -1, next: -1, bytes: UInt32(bytes), frequency: 0, queue: .free, entry: entry)
        if freeHead >= 0 {
            let index = freeHead
            freeHead = nodes[Int(index)].next
            nodes[Int(index)] = node
            return index
        }
        nodes.append(node)
        return Int32(nodes.count - 1)
    }

    private mutating func recordAccess(_ index: Int32) {
        switch policy {
        case .lru:
            moveToTail(index)
        case .lfu:
            lfuTouch(index)
        case .wTinyLFU:
            wTinyLFUAccess(index)
        }
    }

    /// A miniature's request (``WindowTuner``): true for a hit; a miss is inserted (weighing
    /// `bytes`, holding no entry) and may be refused.
    mutating func simulateRequest(_ key: CacheKey, bytes: Int) -> Bool {
        if let index = find(key) {
            wTinyLFUAccess(index)
            return true
        }
        guard bytes <= maximumEntryBytes else { return false }
        let index = allocateNode(key: key, entry: nil, bytes: bytes)
        indexInsert(key, node: index)
        count += 1
        totalBytes += bytes
        totalWeight += weight(of: index)
        sketch.increment(key.w1)
        if count > sketch.capacity {
            sketch.ensureCapacity(min(count * 2, weighsBytes ? maximumEntries : maximumWeight))
        }
        linkAtTail(index, .window)
        evict(reason: .capacity)
        return false
    }

    /// Evicts until the shard is within its bounds.
    mutating func evict(reason: EvictionReason) {
        // Hits move probation's entries to protected; keep protected within its share.
        if policy == .wTinyLFU {
            if windowIsGrowing { growWindow(moving: Self.windowGrowthPerEviction) }
            demoteFromProtected()
        }
        guard isOverCapacity else { return }
        switch policy {
        case .lru, .lfu:
            while isOverCapacity, lists[Int(NodeQueue.main.rawValue)].head >= 0 {
                remove(lists[Int(NodeQueue.main.rawValue)].head, reason: reason)
            }
        case .wTinyLFU:
            let candidate = evictFromWindow()
            evictFromMain(candidate: candidate, reason: reason)
        }
    }

    /// A fast deterministic generator (xorshift64*), for admission jitter.
    mutating func nextRandom() -> UInt64 {
        random ^= random >> 12
        random ^= random << 25
        random ^= random >> 27
        return random &* 0x2545_f491_4f6c_dd1d
    }
}
