import LLMCacheCore
import Synchronization

/// Remembers the tenant scopes of recently seen credentials, so the HMAC is computed once per
/// credential rather than once per request. Bounded: it forgets everything when full.
final class TenantScopeCache: Sendable {
    private let secret: [UInt8]
    private let scopes = Mutex<[String: [UInt8]]>([:])
    private let capacity: Int

    init(secret: [UInt8], capacity: Int = 4_096) {
        self.secret = secret
        self.capacity = capacity
    }

    func scope(_ credential: String) -> [UInt8] {
        if let known = scopes.withLock({ $0[credential] }) { return known }
        let scope = TenantScope.scope(credential: credential, secret: secret)
        scopes.withLock { scopes in
            if scopes.count >= capacity { scopes.removeAll(keepingCapacity: true) }
            scopes[credential] = scope
        }
        return scope
    }
}
