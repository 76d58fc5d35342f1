import LLMCacheCore
import LMDB
import NIOCore
import Testing
#if canImport(Glibc)
    import Glibc
#endif

@testable import LLMCacheStore

@Suite struct DiskTierTests {
    let scratch = ScratchDirectory()
    let clock = ManualClock(Timestamp(secondsSinceEpoch: 1_700_000_000))

    func open(_ name: String = "store", maxBytes: Int? = nil, sync: DiskTier.SyncMode = .full) throws -> DiskTier {
        try DiskTier(
            configuration: .init(directory: "\(scratch.path)/\(name)", maxBytes: maxBytes, sync: sync), clock: clock)
    }

    @Test func scanPagesVisitEveryRecordOnceInKeyOrder() async throws {
        let tier = try open()
        for index in 0..<10 { tier.put(key(index), chatEntry(index, namespace: index % 2 == 0 ? "even" : "odd")) }
        try await tier.flush()
        var seen: [CacheKey] = []
        var position: DiskTier.ScanPosition? = nil
        var pages = 0
        repeat {
            let page = try tier.scanPage(after: position, pageSize: 3)
            seen += page.records.map(\.key)
            position = page.next
            pages += 1
        } while position != nil
        #expect(seen.count == 10)
        #expect(Set(seen) == Set((0..<10).map(key)))
        #expect(seen == seen.sorted { $0.bytes.lexicographicallyPrecedes($1.bytes) })
        #expect(pages >= 4)
        var even = 0
        try tier.scan(where: { $0.namespace == "even" }, pageSize: 2) { record in
            even += 1
            #expect((try? record.entry.get())?.namespace == "even")
        }
        #expect(even == 5)
    }

    @Test func containsSeesQueuedAndCommittedRecordsAndCountsNothing() async throws {
        let tier = try open()
        tier.put(key(1), chatEntry(1))
        #expect(tier.contains(key(1)))
        try await tier.flush()
        #expect(tier.contains(key(1)))
        #expect(!tier.contains(key(2)))
        tier.remove(key(1))
        #expect(!tier.contains(key(1)))
        #expect(tier.stats.hits == 0 && tier.stats.misses == 0)
    }

    @Test func queuedWritesAreVisibleBeforeAndAfterTheCommit() async throws {
        let tier = try open()
        let entry = chatEntry(1)
        #expect(tier.put(key(1), entry))
        #expect(tier.get(key(1)) == entry, "read-your-writes before the commit")
        #expect(tier.stats.pendingWrites == 1)
        try await tier.flush()
        #expect(tier.stats.pendingWrites == 0)
        #expect(tier.get(key(1)) == entry)
        let stats = tier.stats
        #expect(stats.entries == 1 && stats.writes == 1 && stats.hits == 2)
        #expect(stats.bytes > 0 && stats.rawBytes > stats.bytes)
    }

    @Test func aRestartKeepsEveryCommittedEntry() async throws {
        do {
            let tier = try open()
            for i in 0..<200 { tier.put(key(i), i % 10 == 0 ? streamEntry(i) : chatEntry(i)) }
            try await tier.flush()
        }
        let reopened = try open()
        for i in 0..<200 {
            #expect(reopened.get(key(i)) == (i % 10 == 0 ? streamEntry(i) : chatEntry(i)))
        }
        #expect(reopened.stats.entries == 200)
    }

    @Test func removeAndPurges() async throws {
        let tier = try open()
        for i in 0..<30 { tier.put(key(i), chatEntry(i, namespace: i < 10 ? "a" : "b")) }
        try await tier.flush()
        tier.remove(key(15))
        #expect(tier.get(key(15)) == nil)
        #expect(try tier.removeAll(namespace: "a") == 10)
        #expect(tier.get(key(3)) == nil && tier.get(key(20)) != nil)
        #expect(tier.stats.entries == 19)
        #expect(try tier.removeAll() == 19)
        let stats = tier.stats
        #expect(stats.entries == 0 && stats.bytes == 0 && stats.rawBytes == 0)
        #expect(stats.removals(.explicit) == 30)
    }

    @Test func expiredRecordsAreNeverServedAndAreSwept() async throws {
        let tier = try open()
        for i in 0..<20 {
            let expiry = clock.now().adding(i % 2 == 0 ? .seconds(60) : .seconds(3_600))
            tier.put(key(i), chatEntry(i, createdAt: clock.now(), expiresAt: expiry))
        }
        try await tier.flush()
        clock.advance(by: .seconds(61))
        #expect(tier.get(key(0)) == nil)
        #expect(tier.get(key(1)) != nil)
        // The lookup queued key 0's removal; the sweep, reading the committed store, finds all ten.
        #expect(try tier.sweepExpired() == 10)
        try await tier.flush()
        let stats = tier.stats
        #expect(stats.entries == 10)
        #expect(stats.removals(.ttl) == 10)
    }

    @Test func oversizedOrExpiredEntriesAreRefused() throws {
        let tier = try DiskTier(
            configuration: .init(directory: "\(scratch.path)/small", maximumEntryBytes: 100), clock: clock)
        #expect(!tier.put(key(1), chatEntry(1)))
        #expect(!tier.put(key(2), makeTiny(expiresAt: clock.now())))
        #expect(tier.stats.rejections == 2)
    }

    func makeTiny(expiresAt: Timestamp?) -> CacheEntry {
        CacheEntry(body: ByteBuffer(string: "{}"), createdAt: clock.now(), expiresAt: expiresAt)
    }

    @Test func aCorruptRecordIsAMissCountedAndRemoved() async throws {
        let tier = try open()
        tier.put(key(1), chatEntry(1))
        tier.put(key(2), chatEntry(2))
        try await tier.flush()
        // Damage record 1 in place, as a disk error would.
        try tier.environment.write { transaction in
            var record = try transaction.get(tier.schema.records, key: key(1).bytes)!
            record[record.count / 2] ^= 0x40
            try transaction.put(tier.schema.records, key: key(1).bytes, value: record)
        }
        #expect(tier.get(key(1)) == nil)
        #expect(tier.get(key(2)) == chatEntry(2))
        try await tier.flush()
        let stats = tier.stats
        #expect(stats.corruptRecords == 1)
        #expect(stats.removals(.corrupt) == 1)
        #expect(stats.entries == 1)
        let (checked, bad) = try tier.verify()
        #expect(checked == 1 && bad.isEmpty)
    }

    @Test func verifyNamesBadRecords() async throws {
        let tier = try open()
        for i in 0..<5 { tier.put(key(i), chatEntry(i)) }
        try await tier.flush()
        try tier.environment.write { transaction in
            try transaction.put(tier.schema.records, key: key(3).bytes, value: Array("not a record".utf8))
        }
        let (checked, bad) = try tier.verify()
        #expect(checked == 5)
        #expect(bad.map(\.key) == [key(3).hex])
    }

    @Test func theSizeBoundEvictsTheLeastRecentlyUsed() async throws {
        let probe = try open("probe")
        probe.put(key(10), chatEntry(10))
        try await probe.flush()
        // Keys 0–9 are a byte smaller than key 10; 20 records fit, 21 do not.
        let recordSize = probe.stats.bytes
        let tier = try open(maxBytes: recordSize * 20 + recordSize / 2)
        for i in 0..<20 {
            tier.put(key(i), chatEntry(i))
            try await tier.flush()
            clock.advance(by: .seconds(1))
        }
        // Touch the oldest five so they become the most recent.
        for i in 0..<5 { #expect(tier.get(key(i)) != nil) }
        clock.advance(by: .seconds(1))
        for i in 20..<25 {
            tier.put(key(i), chatEntry(i))
            try await tier.flush()
            clock.advance(by: .seconds(1))
        }
        let stats = tier.stats
        #expect(stats.bytes <= recordSize * 20 + recordSize / 4)
        #expect(stats.removals(.capacity) > 0)
        for i in 0..<5 { #expect(tier.get(key(i)) != nil, "recently read key \(i) must survive") }
        #expect(tier.get(key(5)) == nil, "the least recently used key goes first")
        for i in 20..<25 { #expect(tier.get(key(i)) != nil) }
    }

    @Test func compactionKeepsEntriesAndShrinksTheFile() async throws {
        let tier = try open()
        for i in 0..<500 { tier.put(key(i), chatEntry(i)) }
        try await tier.flush()
        for i in 0..<450 { tier.remove(key(i)) }
        try await tier.flush()
        let target = scratch.sub("compact")
        try tier.compact(to: target)
        let compacted = try DiskTier(configuration: .init(directory: target), clock: clock)
        #expect(compacted.stats.entries == 50)
        #expect(compacted.get(key(499)) == chatEntry(499))
        #expect(compacted.stats.bytesOnDisk < tier.stats.bytesOnDisk)
    }

    @Test func aTrainedDictionaryIsUsedForNewWritesAndOldRecordsStayReadable() async throws {
        let tier = try open()
        for i in 0..<300 { tier.put(key(i), chatEntry(i)) }
        try await tier.flush()
        let before = tier.stats
        let id = try tier.trainDictionary(capacity: 16 * 1024)
        #expect(tier.currentDictionaryID == id)
        for i in 300..<600 { tier.put(key(i), chatEntry(i)) }
        try await tier.flush()
        let after = tier.stats
        let oldRatio = Double(before.rawBytes) / Double(before.bytes)
        let newRatio = Double(after.rawBytes - before.rawBytes) / Double(after.bytes - before.bytes)
        #expect(newRatio > oldRatio, "dictionary ratio \(newRatio) vs plain \(oldRatio)")
        // Reopen: the dictionary is loaded, and both generations decode.
        let reopened = try open()
        #expect(reopened.currentDictionaryID == id)
        #expect(reopened.get(key(1)) == chatEntry(1))
        #expect(reopened.get(key(599)) == chatEntry(599))
    }

    @Test func theWriterCommitsQueuedWritesAndFlushesOnShutdown() async throws {
        let tier = try open()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await DiskTierWriter(tier: tier, sweepInterval: .seconds(3600)).run() }
            for i in 0..<1_000 { tier.put(key(i), chatEntry(i)) }
            await tier.committed()  // by the writer: the test never commits itself
            group.cancelAll()
        }
        let stats = tier.stats
        #expect(stats.entries == 1_000)
        #expect(stats.writes == 1_000)
        #expect(stats.pendingWrites == 0)
    }

    @Test func committedWaitsForWhoeverCommitsAndReturnsAtOnceWhenIdle() async throws {
        let tier = try open()
        await tier.committed()  // nothing queued
        for i in 0..<50 { tier.put(key(i), chatEntry(i)) }
        #expect(tier.stats.pendingWrites == 50)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                await tier.committed()
                #expect(tier.stats.entries == 50 && tier.stats.pendingWrites == 0)
            }
            group.addTask { try await tier.flush() }
            try await group.waitForAll()
        }
        // A purge of everything also empties the queue: nobody is left waiting.
        for i in 50..<60 { tier.put(key(i), chatEntry(i)) }
        try tier.removeAll()
        await tier.committed()
        #expect(tier.stats.entries == 0)
    }

    @Test func aFullQueueDropsWritesInsteadOfBlocking() throws {
        let tier = try DiskTier(
            configuration: .init(directory: "\(scratch.path)/q", maximumPendingBytes: 5_000), clock: clock)
        var accepted = 0
        for i in 0..<100 where tier.put(key(i), chatEntry(i)) { accepted += 1 }
        #expect(accepted > 0 && accepted < 100)
        #expect(tier.stats.droppedWrites == 100 - accepted)
    }

    @Test func aFileWhereTheStoreShouldBeIsAClearError() throws {
        let path = "\(scratch.path)/file"
        #expect(system("touch '\(path)'") == 0)
        #expect(throws: (any Error).self) { try DiskTier(configuration: .init(directory: path)) }
    }

    @Test(arguments: DiskTier.SyncMode.allCases)
    func everySyncModeStoresAndReopens(mode: DiskTier.SyncMode) async throws {
        do {
            let tier = try open("sync-\(mode)", sync: mode)
            tier.put(key(1), chatEntry(1))
            try await tier.flush()
        }
        #expect(try open("sync-\(mode)", sync: mode).get(key(1)) == chatEntry(1))
    }
}
