import Synchronization

/// A monotonic count of one kind of event, with a wait for it to reach a number — how a test
/// learns that something happened inside the proxy (followers joined, a relay held its
/// upstream back) without sleeping or polling.
package final class EventCount: Sendable {
    private struct State {
        var count = 0
        var watchers: [(count: Int, continuation: CheckedContinuation<Void, Never>)] = []
    }

    private let state = Mutex(State())

    package init() {}

    package var count: Int { state.withLock { $0.count } }

    package func add() {
        let reached = state.withLock { state in
            state.count += 1
            let count = state.count
            let reached = state.watchers.filter { $0.count <= count }.map(\.continuation)
            state.watchers.removeAll { $0.count <= count }
            return reached
        }
        for watcher in reached { watcher.resume() }
    }

    /// Returns once the count is at least `count`.
    package func reached(atLeast count: Int) async {
        await withCheckedContinuation { continuation in
            let now = state.withLock { state in
                if state.count >= count { return true }
                state.watchers.append((count, continuation))
                return false
            }
            if now { continuation.resume() }
        }
    }
}
