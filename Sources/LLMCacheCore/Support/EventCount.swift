import Synchronization

/// A monotonic count of one kind of event, with a wait for it to reach a number — how a test
/// learns that something happened inside the proxy (followers joined, a relay held its
/// upstream back) without sleeping or polling.
package final class EventCount: Sendable {
    private struct State {
        var count = 0
        var watchers: [(id: Int, count: Int, continuation: CheckedContinuation<Void, Never>)] = []
        var nextID = 0
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

    /// Returns once the count is at least `count`, or when the task is cancelled (a test's
    /// time limit then ends the wait instead of hanging the suite).
    package func reached(atLeast count: Int) async {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let now = state.withLock { state in
                    if state.count >= count || Task.isCancelled { return true }
                    state.watchers.append((id, count, continuation))
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            let watcher = state.withLock { state -> CheckedContinuation<Void, Never>? in
                guard let index = state.watchers.firstIndex(where: { $0.id == id }) else { return nil }
                return state.watchers.remove(at: index).continuation
            }
            watcher?.resume()
        }
    }
}
