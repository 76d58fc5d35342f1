import LLMCacheCore
import Synchronization

/// Requests waiting for another instance's fetch of a key, woken by the database's
/// notification that the fetch ended (LISTEN/NOTIFY), or by their deadline.
///
/// A waiter registers before it checks the database, so a notification that arrives between
/// the check and the wait is not lost: ``wait(_:_:timeout:)`` then returns at once.
final class SharedNotifications: Sendable {
    private enum Slot {
        case open
        case resolved(Bool)
        case parked(CheckedContinuation<Bool, Never>)
    }

    private struct State {
        var slots: [String: [UInt64: Slot]] = [:]
        var nextID: UInt64 = 0
    }

    private let state = Mutex(State())

    /// A waiter for `key`; remove it with ``remove(_:_:)``.
    func register(_ key: String) -> UInt64 {
        state.withLock { state in
            state.nextID += 1
            state.slots[key, default: [:]][state.nextID] = .open
            return state.nextID
        }
    }

    func remove(_ key: String, _ id: UInt64) {
        let slot = state.withLock { state -> Slot? in
            let slot = state.slots[key]?.removeValue(forKey: id)
            if state.slots[key]?.isEmpty == true { state.slots[key] = nil }
            return slot
        }
        if case .parked(let continuation) = slot { continuation.resume(returning: false) }
    }

    /// Wakes every waiter (the notifications' connection broke: ends may go unannounced).
    func notifyAll() {
        for key in state.withLock({ Array($0.slots.keys) }) { notify(key) }
    }

    /// Wakes every waiter of `key` (the fetch there ended).
    func notify(_ key: String) {
        let parked = state.withLock { state -> [CheckedContinuation<Bool, Never>] in
            guard var slots = state.slots[key] else { return [] }
            var parked: [CheckedContinuation<Bool, Never>] = []
            for (id, slot) in slots {
                if case .parked(let continuation) = slot { parked.append(continuation) }
                slots[id] = .resolved(true)
            }
            state.slots[key] = slots
            return parked
        }
        for continuation in parked { continuation.resume(returning: true) }
    }

    /// Whether `key` was notified (since ``register(_:)``) within `timeout`; false on timeout or
    /// cancellation.
    func wait(_ key: String, _ id: UInt64, timeout: Duration) async -> Bool {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                try? await TimerSleep.sleep(for: timeout)  // freed when notified first
                self.resolve(key, id, false)
            }
            let notified = await withCheckedContinuation { continuation in park(key, id, continuation) }
            group.cancelAll()
            return notified
        }
    }

    private func park(_ key: String, _ id: UInt64, _ continuation: CheckedContinuation<Bool, Never>) {
        let resolved = state.withLock { state -> Bool? in
            switch state.slots[key]?[id] {
            case .open:
                state.slots[key]?[id] = .parked(continuation)
                return nil
            case .resolved(let value): return value
            case .parked, nil: return false
            }
        }
        if let resolved { continuation.resume(returning: resolved) }
    }

    private func resolve(_ key: String, _ id: UInt64, _ value: Bool) {
        let parked = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            switch state.slots[key]?[id] {
            case .open:
                state.slots[key]?[id] = .resolved(value)
                return nil
            case .parked(let continuation):
                state.slots[key]?[id] = .resolved(value)
                return continuation
            case .resolved, nil: return nil
            }
        }
        parked?.resume(returning: value)
    }
}
