import Synchronization

/// Why a record left the disk tier.
public enum DiskRemovalReason: Int, Sendable, CaseIterable, CustomStringConvertible {
    case capacity, ttl, explicit, corrupt

    public var description: String {
        switch self {
        case .capacity: "capacity"
        case .ttl: "ttl"
        case .explicit: "explicit"
        case .corrupt: "corrupt"
        }
    }
}

/// A snapshot of the disk tier's counters and gauges.
public struct DiskTierStats: Sendable, Equatable {
    public var hits = 0
    public var misses = 0
    /// Records committed (new or replaced).
    public var writes = 0
    /// Puts refused: too large or already expired.
    public var rejections = 0
    /// Puts dropped because the writer's queue was full.
    public var droppedWrites = 0
    /// Batches that failed to commit (their writes are lost; the tier keeps serving).
    public var writeErrors = 0
    /// Records found corrupt (checksum, header, decompression or structure); each was a miss.
    public var corruptRecords = 0
    /// Records removed, by reason; index with `DiskRemovalReason.rawValue`.
    public var removals = Array(repeating: 0, count: DiskRemovalReason.allCases.count)
    public var entries = 0
    /// Bytes of stored records (compressed, with headers).
    public var bytes = 0
    /// Their metadata and bodies uncompressed.
    public var rawBytes = 0
    /// Bytes of the LMDB map in use (including free pages and B-tree structure).
    public var bytesOnDisk = 0
    /// Writes accepted and not yet committed.
    public var pendingWrites = 0

    public func removals(_ reason: DiskRemovalReason) -> Int { removals[reason.rawValue] }

    /// Raw bytes per stored byte (1 when empty).
    public var compressionRatio: Double { bytes == 0 ? 1 : Double(rawBytes) / Double(bytes) }
    /// The store's dictionaries (id 0: none) and what the writes since the start compressed to
    /// with each.
    public var dictionaries: [DictionaryReport] = []
    /// The file's bytes per entry, and what LMDB adds to the records themselves per entry
    /// (pages' headers and free space, the B-tree's branch pages, the index and access-time
    /// tables, pages freed but not yet reused).
    public var fileBytesPerEntry: Double { entries == 0 ? 0 : Double(bytesOnDisk) / Double(entries) }
    public var overheadBytesPerEntry: Double { entries == 0 ? 0 : Double(bytesOnDisk - bytes) / Double(entries) }

    public var hitRatio: Double { hits + misses == 0 ? 0 : Double(hits) / Double(hits + misses) }
}

/// The counters behind `DiskTierStats`, updated without locks.
final class DiskTierCounters: Sendable {
    let hits = Atomic<Int>(0)
    let misses = Atomic<Int>(0)
    let writes = Atomic<Int>(0)
    let rejections = Atomic<Int>(0)
    let droppedWrites = Atomic<Int>(0)
    let writeErrors = Atomic<Int>(0)
    let corruptRecords = Atomic<Int>(0)
    let removedCapacity = Atomic<Int>(0)
    let removedTTL = Atomic<Int>(0)
    let removedExplicit = Atomic<Int>(0)
    let removedCorrupt = Atomic<Int>(0)

    func removed(_ reason: DiskRemovalReason, _ count: Int = 1) {
        guard count > 0 else { return }
        switch reason {
        case .capacity: removedCapacity.add(count, ordering: .relaxed)
        case .ttl: removedTTL.add(count, ordering: .relaxed)
        case .explicit: removedExplicit.add(count, ordering: .relaxed)
        case .corrupt: removedCorrupt.add(count, ordering: .relaxed)
        }
    }

    func snapshot() -> DiskTierStats {
        var stats = DiskTierStats()
        stats.hits = hits.load(ordering: .relaxed)
        stats.misses = misses.load(ordering: .relaxed)
        stats.writes = writes.load(ordering: .relaxed)
        stats.rejections = rejections.load(ordering: .relaxed)
        stats.droppedWrites = droppedWrites.load(ordering: .relaxed)
        stats.writeErrors = writeErrors.load(ordering: .relaxed)
        stats.corruptRecords = corruptRecords.load(ordering: .relaxed)
        stats.removals = [
            removedCapacity.load(ordering: .relaxed), removedTTL.load(ordering: .relaxed),
            removedExplicit.load(ordering: .relaxed), removedCorrupt.load(ordering: .relaxed),
        ]
        return stats
    }

    func reset() {
        hits.store(0, ordering: .relaxed)
        misses.store(0, ordering: .relaxed)
        writes.store(0, ordering: .relaxed)
        rejections.store(0, ordering: .relaxed)
        droppedWrites.store(0, ordering: .relaxed)
        writeErrors.store(0, ordering: .relaxed)
        corruptRecords.store(0, ordering: .relaxed)
        removedCapacity.store(0, ordering: .relaxed)
        removedTTL.store(0, ordering: .relaxed)
        removedExplicit.store(0, ordering: .relaxed)
        removedCorrupt.store(0, ordering: .relaxed)
    }
}
