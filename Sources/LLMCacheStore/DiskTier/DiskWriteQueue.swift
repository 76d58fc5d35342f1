import LLMCacheCore

/// The disk tier's write queue as a pure state machine (the shape of our governor and of
/// AsyncHTTPClient's pool): every event returns what the caller must do — wake the writer,
/// resume waiters — and the caller does it after unlocking. No I/O, unit-tested on its own
/// (`DiskWriteQueueTests`); ``DiskTier`` keeps it under a lock.
///
/// Phases: **idle** (nothing queued, nothing committing), **pending** (changes queued, no
/// commit running), **committing** (a batch taken by a commit, possibly with newer changes
/// queued behind it). A change stays visible to readers from the moment it is queued until its
/// commit has ended, so a read never falls between the queue and the store.
struct DiskWriteQueue<Waiter> {
    enum Phase: Equatable {
        case idle
        case pending
        case committing(changesBehind: Bool)
    }

    /// A batch taken by ``beginCommit()``.
    struct Batch {
        var changes: [CacheKey: DiskTier.PendingChange]
        /// Last-access times (seconds) noted by hits since the last commit.
        var accesses: [CacheKey: UInt64]
    }

    enum EnqueueAction {
        /// Queued; wake the writer when `wake` (the queue was empty: it may be asleep).
        case queued(wake: Bool)
        /// Refused: the queue holds its maximum of bytes.
        case dropped
    }

    enum DrainAction {
        case resume
        case wait
    }

    private(set) var pending: [CacheKey: DiskTier.PendingChange] = [:]
    private(set) var committing: [CacheKey: DiskTier.PendingChange] = [:]
    private var isCommitting = false
    private(set) var pendingBytes = 0
    private var accesses: [CacheKey: UInt64] = [:]
    private var drainWaiters: [Waiter] = []
    let maximumPendingBytes: Int

    init(maximumPendingBytes: Int) {
        self.maximumPendingBytes = maximumPendingBytes
    }

    var phase: Phase {
        if isCommitting { return .committing(changesBehind: !pending.isEmpty) }
        return pending.isEmpty ? .idle : .pending
    }

    /// Changes queued or being committed.
    var count: Int { pending.count + committing.count }

    /// The newest change of `key` not yet durable: the queued one, else the one committing.
    func change(of key: CacheKey) -> DiskTier.PendingChange? { pending[key] ?? committing[key] }

    /// A put of `size` bytes (counted against ``maximumPendingBytes``) or a removal (size 0,
    /// never dropped). The last change queued for a key wins.
    mutating func enqueue(_ key: CacheKey, _ change: DiskTier.PendingChange, size: Int = 0) -> EnqueueAction {
        if size > 0, pendingBytes + size > maximumPendingBytes { return .dropped }
        let wake = pending.isEmpty
        pending[key] = change
        pendingBytes += size
        return .queued(wake: wake)
    }

    /// Queues `change` unless a newer change of `key` is queued or committing (a read that
    /// found a record corrupt or expired must not undo a put that raced it). Whether to wake.
    mutating func enqueueUnlessChanged(_ key: CacheKey, _ change: DiskTier.PendingChange) -> Bool {
        guard self.change(of: key) == nil else { return false }
        let wake = pending.isEmpty
        pending[key] = change
        return wake
    }

    /// A hit noted the time of an access (written with the next commit).
    mutating func noteAccess(_ key: CacheKey, seconds: UInt64) { accesses[key] = seconds }

    /// A commit starts: it takes everything queued. Nil when there is nothing to do (the phase
    /// stays as it is). Commits are serialized by the caller (one at a time).
    mutating func beginCommit() -> Batch? {
        precondition(!isCommitting, "commits are serialized")
        guard !pending.isEmpty || !accesses.isEmpty else { return nil }
        let batch = Batch(changes: pending, accesses: accesses)
        committing = pending
        pending = [:]
        pendingBytes = 0
        accesses = [:]
        isCommitting = true
        return batch
    }

    /// The commit ended (durable, or failed and lost): its changes leave the queue. The waiters
    /// to resume when the queue is now empty.
    mutating func endCommit() -> [Waiter] {
        committing = [:]
        isCommitting = false
        return takeWaitersIfDrained()
    }

    /// Everything queued is discarded (the store is being cleared). The waiters to resume.
    mutating func discardPending() -> [Waiter] {
        pending = [:]
        pendingBytes = 0
        accesses = [:]
        return takeWaitersIfDrained()
    }

    /// A caller wants to know when everything queued so far is committed.
    mutating func waitForDrain(_ waiter: Waiter) -> DrainAction {
        if pending.isEmpty && committing.isEmpty && !isCommitting { return .resume }
        drainWaiters.append(waiter)
        return .wait
    }

    private mutating func takeWaitersIfDrained() -> [Waiter] {
        guard pending.isEmpty, !isCommitting else { return [] }
        defer { drainWaiters = [] }
        return drainWaiters
    }
}
