import LLMCacheCore
import Testing

@testable import LLMCacheStore

/// The disk writer's queue, event by event, with no I/O: waiters are plain integers.
@Suite struct DiskWriteQueueTests {
    typealias Queue = DiskWriteQueue<Int>

    @Test func theFirstChangeWakesTheWriterAndLaterOnesDoNot() {
        var queue = Queue(maximumPendingBytes: 1_000)
        #expect(queue.phase == .idle)
        guard case .queued(wake: true) = queue.enqueue(key(1), .put(chatEntry(1)), size: 10) else {
            Issue.record("first change did not wake")
            return
        }
        guard case .queued(wake: false) = queue.enqueue(key(2), .remove(.explicit)) else {
            Issue.record("second change woke again")
            return
        }
        #expect(queue.phase == .pending)
        #expect(queue.count == 2 && queue.pendingBytes == 10)
    }

    @Test func putsBeyondTheByteBoundAreDroppedButRemovalsNever() {
        var queue = Queue(maximumPendingBytes: 100)
        _ = queue.enqueue(key(1), .put(chatEntry(1)), size: 80)
        guard case .dropped = queue.enqueue(key(2), .put(chatEntry(2)), size: 30) else {
            Issue.record("over the bound, not dropped")
            return
        }
        guard case .queued = queue.enqueue(key(3), .remove(.explicit)) else {
            Issue.record("a removal was dropped")
            return
        }
        #expect(queue.change(of: key(2)) == nil)
        #expect(queue.pendingBytes == 80)
    }

    @Test func aChangeStaysVisibleUntilItsCommitEnds() {
        var queue = Queue(maximumPendingBytes: 1_000)
        _ = queue.enqueue(key(1), .put(chatEntry(1)), size: 10)
        let batch = queue.beginCommit()
        #expect(batch?.changes.count == 1)
        #expect(queue.phase == .committing(changesBehind: false))
        #expect(queue.change(of: key(1)) != nil)
        #expect(queue.pendingBytes == 0)
        // A newer change queued behind the commit wins for readers and wakes the writer.
        guard case .queued(wake: true) = queue.enqueue(key(1), .remove(.explicit)) else {
            Issue.record("a change behind a commit did not wake")
            return
        }
        #expect(queue.phase == .committing(changesBehind: true))
        guard case .remove = queue.change(of: key(1)) else {
            Issue.record("the older change shadows the newer")
            return
        }
        _ = queue.endCommit()
        #expect(queue.phase == .pending)
    }

    @Test func drainWaitersResumeOnlyWhenNothingIsQueuedOrCommitting() {
        var queue = Queue(maximumPendingBytes: 1_000)
        let r1 = queue.waitForDrain(0)
        #expect(r1 == .resume)
        _ = queue.enqueue(key(1), .put(chatEntry(1)), size: 10)
        let r2 = queue.waitForDrain(1)
        #expect(r2 == .wait)
        _ = queue.beginCommit()
        _ = queue.enqueue(key(2), .put(chatEntry(2)), size: 10)
        let r3 = queue.waitForDrain(2)
        #expect(r3 == .wait)
        let stillQueued = queue.endCommit()
        #expect(stillQueued.isEmpty)  // key 2 is still queued
        _ = queue.beginCommit()
        let r4 = queue.endCommit()
        #expect(r4 == [1, 2])
        #expect(queue.phase == .idle)
        let r5 = queue.waitForDrain(3)
        #expect(r5 == .resume)
    }

    @Test func aReadsRemovalNeverUndoesARacingPut() {
        var queue = Queue(maximumPendingBytes: 1_000)
        _ = queue.enqueue(key(1), .put(chatEntry(1)), size: 10)
        let whileQueued = queue.enqueueUnlessChanged(key(1), .remove(.corrupt))
        #expect(!whileQueued)
        _ = queue.beginCommit()
        let whileCommitting = queue.enqueueUnlessChanged(key(1), .remove(.ttl))
        #expect(!whileCommitting)
        _ = queue.endCommit()
        let afterwards = queue.enqueueUnlessChanged(key(1), .remove(.ttl))
        #expect(afterwards)
    }

    @Test func nothingQueuedMeansNoCommitAndAccessesAloneMakeOne() {
        var queue = Queue(maximumPendingBytes: 1_000)
        let r6 = queue.beginCommit()
        #expect(r6 == nil)
        #expect(queue.phase == .idle)
        queue.noteAccess(key(1), seconds: 42)
        let batch = queue.beginCommit()
        #expect(batch?.changes.isEmpty == true && batch?.accesses[key(1)] == 42)
        _ = queue.endCommit()
        let r7 = queue.beginCommit()
        #expect(r7 == nil)
    }

    @Test func discardingPendingResumesWaitersUnlessACommitRuns() {
        var queue = Queue(maximumPendingBytes: 1_000)
        _ = queue.enqueue(key(1), .put(chatEntry(1)), size: 10)
        let r8 = queue.waitForDrain(7)
        #expect(r8 == .wait)
        let r9 = queue.discardPending()
        #expect(r9 == [7])
        _ = queue.enqueue(key(2), .put(chatEntry(2)), size: 10)
        _ = queue.beginCommit()
        let r10 = queue.waitForDrain(8)
        #expect(r10 == .wait)
        let r11 = queue.discardPending()
        #expect(r11.isEmpty)
        let r12 = queue.endCommit()
        #expect(r12 == [8])
    }
}
