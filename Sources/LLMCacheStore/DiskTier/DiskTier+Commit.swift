import LLMCacheCore
import LMDB
import NIOPosix

extension DiskTier {
    /// Commits everything queued so far in one transaction, on NIO's blocking-I/O thread pool.
    /// When it returns, every `put` / `remove` made before the call is durable (per `sync`).
    public func flush() async throws {
        try await NIOThreadPool.singleton.runIfActive { self.commitPending() }
    }

    /// Waits until every change queued so far has been committed by whoever commits (the
    /// writer service, or ``flush()``), without committing itself: a completion signal for
    /// callers that must see a store on disk. Returns at once when nothing is queued.
    public func committed() async {
        await withCheckedContinuation { continuation in
            if case .resume = queue.withLock({ $0.waitForDrain(continuation) }) { continuation.resume() }
        }
    }

    /// Commits everything queued so far in one transaction, on the calling thread (it blocks:
    /// call it from a thread pool or a command-line tool, never from a request handler).
    /// A failed commit is logged and counted; its changes are lost, the tier keeps serving.
    public func commitPending() {
        commitLock.withLock { _ in
            guard let taken = queue.withLock({ $0.beginCommit() }) else { return }
            defer { for waiter in queue.withLock({ $0.endCommit() }) { waiter.resume() } }
            let (batch, accesses) = (taken.changes, taken.accesses)
            do {
                // In key order: the B-tree is then walked once, left to right, not at random.
                let (unsorted, usage) = try encode(batch)
                let encoded = unsorted.sorted { $0.0 < $1.0 }
                let now = UInt64(max(0, clock.now().nanosecondsSinceEpoch / 1_000_000_000))
                let outcome = try environment.write { transaction in
                    var totals = try schema.totals(transaction)
                    var outcome = CommitOutcome()
                    for (key, record) in encoded {
                        switch record {
                        case .put(let bytes):
                            try schema.putRecord(key, bytes, time: now, totals: &totals, transaction)
                            outcome.writes += 1
                        case .remove(let reason):
                            if try schema.deleteRecord(key, totals: &totals, transaction) {
                                outcome.removed[reason.rawValue] += 1
                            }
                        }
                    }
                    for (key, time) in accesses where batch[key] == nil {
                        try schema.touch(key, time: time, transaction)
                    }
                    outcome.removed[DiskRemovalReason.capacity.rawValue] += try evictToBound(&totals, transaction)
                    try schema.store(totals, transaction)
                    return outcome
                }
                counters.writes.add(outcome.writes, ordering: .relaxed)
                dictionaryUsage.withLock { totals in
                    for (id, written) in usage { totals[id, default: DictionaryUsage()].add(written) }
                }
                for reason in DiskRemovalReason.allCases { counters.removed(reason, outcome.removed[reason.rawValue]) }
            } catch {
                counters.writeErrors.add(1, ordering: .relaxed)
                logger.error(
                    "disk tier commit failed; its changes are lost",
                    metadata: ["changes": "\(batch.count)", "error": "\(error)"])
            }
        }
    }

    private enum EncodedChange {
        case put([UInt8])
        case remove(DiskRemovalReason)
    }

    private struct CommitOutcome {
        var writes = 0
        var removed = Array(repeating: 0, count: DiskRemovalReason.allCases.count)
    }

    /// Compresses the queued puts outside the write transaction; with what the puts compressed
    /// to, per dictionary.
    private func encode(_ batch: [CacheKey: PendingChange]) throws -> (
        [(CacheKey, EncodedChange)], [UInt32: DictionaryUsage]
    ) {
        let dictionary = dictionaries.withLock { $0.current }
        var usage: [UInt32: DictionaryUsage] = [:]
        let encoded = try contexts.withCompressor { compressor in
            try batch.map { key, change in
                switch change {
                case .put(let entry):
                    let record = try RecordCodec.encodeMeasured(entry, compressor: compressor, dictionary: dictionary)
                    // Written while `dictionary` was current (a payload too small to compress too).
                    usage[dictionary?.id ?? 0, default: DictionaryUsage()].add(record)
                    return (key, EncodedChange.put(record.bytes))
                case .remove(let reason):
                    return (key, .remove(reason))
                }
            }
        }
        return (encoded, usage)
    }

    /// Over `maxBytes`, deletes least recently accessed records down to the low watermark;
    /// returns how many.
    func evictToBound(_ totals: inout StoreSchema.Totals, _ transaction: LMDBTransaction) throws -> Int {
        guard let maxBytes = configuration.maxBytes, totals.bytes > maxBytes else { return 0 }
        let target = Int(Double(maxBytes) * configuration.lowWatermark)
        var victims: [CacheKey] = []
        var remaining = totals.bytes
        try schema.forEachLeastRecent(transaction) { key in
            remaining -= try schema.recordSize(key, transaction) ?? 0
            victims.append(key)
            return remaining > target
        }
        if remaining > target {
            // Records written while the store was unbounded have no access time: take them in
            // key order.
            let chosen = Set(victims)
            try transaction.forEach(schema.records) { key, value in
                if let cacheKey = CacheKey(digest: key), !chosen.contains(cacheKey) {
                    remaining -= value.count
                    victims.append(cacheKey)
                }
                return remaining > target
            }
        }
        var evicted = 0
        for key in victims where try schema.deleteRecord(key, totals: &totals, transaction) { evicted += 1 }
        return evicted
    }
}
