import LLMCacheCore
import Synchronization

/// The shared tier's write-behind queue: bounded (a full queue refuses, and the caller counts
/// the drop), one writer taking batches, a later store of a key replacing a queued one.
final class SharedWriteQueue: Sendable {
    struct Row: Sendable {
        var key: CacheKey
        var namespace: String
        var createdAt: Int64
        var expiresAt: Int64
        var record: [UInt8]
    }

    private struct State {
        var order: [CacheKey] = []
        var rows: [CacheKey: Row] = [:]
        var waiter: CheckedContinuation<Void, Never>?
        /// Batches taken and not yet written or given back.
        var inFlight = 0
        var settledWaiters: [CheckedContinuation<Void, Never>] = []
    }

    let limit: Int
    private let state = Mutex(State())

    init(limit: Int) {
        self.limit = limit
    }

    var depth: Int { state.withLock { $0.rows.count } }

    /// Queues `row`; false when the queue is full.
    func enqueue(_ row: Row) -> Bool {
        let (accepted, waiter) = state.withLock { state -> (Bool, CheckedContinuation<Void, Never>?) in
            if state.rows[row.key] == nil {
                guard state.rows.count < limit else { return (false, nil) }
                state.order.append(row.key)
            }
            state.rows[row.key] = row
            defer { state.waiter = nil }
            return (true, state.waiter)
        }
        waiter?.resume()
        return accepted
    }

    /// Up to `count` rows, oldest first, taken out of the queue; a batch that is not empty is in
    /// flight until ``written()`` or ``giveBack(_:)``.
    func take(upTo count: Int) -> [Row] {
        state.withLock { state in
            // `order` and `rows` hold the same keys: a key enters `order` only when it is new.
            let keys = Array(state.order.prefix(count))
            state.order.removeFirst(keys.count)
            if !keys.isEmpty { state.inFlight += 1 }
            return keys.compactMap { state.rows.removeValue(forKey: $0) }
        }
    }

    /// A batch taken was written.
    func written() { land() }

    /// Puts back a batch the database did not take (ahead of newer rows; a newer row of the same
    /// key wins), as far as there is room.
    func giveBack(_ batch: [Row]) {
        state.withLock { state in
            var front: [CacheKey] = []
            for row in batch where state.rows[row.key] == nil && state.rows.count < limit {
                state.rows[row.key] = row
                front.append(row.key)
            }
            state.order.insert(contentsOf: front, at: 0)
        }
        land()
    }

    private func land() {
        let settled = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.inFlight -= 1
            guard state.inFlight == 0 else { return [] }
            defer { state.settledWaiters = [] }
            return state.settledWaiters
        }
        for waiter in settled { waiter.resume() }
    }

    /// Returns once no batch is in flight; whether one was (so that the caller looks again).
    func waitUntilNoneInFlight() async -> Bool {
        guard state.withLock({ $0.inFlight > 0 }) else { return false }
        await withCheckedContinuation { continuation in
            let none = state.withLock { state -> Bool in
                if state.inFlight == 0 { return true }
                state.settledWaiters.append(continuation)
                return false
            }
            if none { continuation.resume() }
        }
        return true
    }

    /// Returns once a row is queued (at once if one is). Cancellation ends the wait.
    func waitForRows() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let now = state.withLock { state -> Bool in
                    if !state.rows.isEmpty || Task.isCancelled { return true }
                    state.waiter = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume()
        }
    }
}
