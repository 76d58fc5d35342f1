import LLMCacheCore
import Synchronization

/// Remembers the tenant scopes of recently seen credentials, so the HMAC is computed once per
/// credential rather than once per request. Bounded: it forgets everything when full.
///
/// The secret can change once while running: an instance that started while the shared tier's
/// database was away switches to the database's secret when it answers.
final class TenantScopeCache: Sendable {
    private struct State {
        var secret: [UInt8]
        var scopes: [String: [UInt8]] = [:]
    }

    private let state: Mutex<State>
    private let capacity: Int
    private let secretChanges = Atomic<Int>(0)

    init(secret: [UInt8], capacity: Int = 4_096) {
        self.state = Mutex(State(secret: secret))
        self.capacity = capacity
    }

    var secret: [UInt8] { state.withLock { $0.secret } }

    /// How many times the secret has changed: what was computed under another count is stale.
    var generation: Int { secretChanges.load(ordering: .acquiring) }

    func scope(_ credential: String) -> [UInt8] {
        let (known, secret) = state.withLock { ($0.scopes[credential], $0.secret) }
        if let known { return known }
        let scope = TenantScope.scope(credential: credential, secret: secret)
        state.withLock { state in
            guard state.secret == secret else { return }
            if state.scopes.count >= capacity { state.scopes.removeAll(keepingCapacity: true) }
            state.scopes[credential] = scope
        }
        return scope
    }

    /// Scopes from now on come from `secret`.
    func replace(secret: [UInt8]) {
        state.withLock { $0 = State(secret: secret) }
        secretChanges.add(1, ordering: .releasing)
    }
}
