import LLMCacheCore
import Logging
import NIOCore
import PostgresNIO

/// Purges reach every instance: a purge through one instance removes the rows and announces
/// itself on the tier's channel; every other instance hears it and removes the same entries from
/// its own local tiers (the handler given to ``onPurge(_:)``).
///
/// Payloads on `{prefix}ready`: a fetch's end is the key's 64 hex digits; a purge is
/// `purge INSTANCE key HEX`, `purge INSTANCE namespace NAME` or `purge INSTANCE all`.
extension SharedTier {
    public enum Purge: Sendable, Equatable {
        case key(CacheKey)
        case namespace(String)
        case all
    }

    /// What to do when another instance purged (remove the same from this instance's L1 and L2).
    public func onPurge(_ handler: @escaping @Sendable (Purge) async -> Void) {
        purgeHandler.withLock { $0 = handler }
    }

    /// Tells the other instances about a purge done here (logged when it cannot).
    func announce(_ purge: Purge) async {
        let payload: String
        switch purge {
        case .key(let key): payload = "purge \(instance) key \(key.hex)"
        case .namespace(let name): payload = "purge \(instance) namespace \(name)"
        case .all: payload = "purge \(instance) all"
        }
        do {
            try await client.query("SELECT pg_notify(\(schema.channel), \(payload))", logger: logger)
        } catch {
            logger.warning(
                "a purge did not reach the other instances' local tiers",
                metadata: ["purge": "\(purge)", "error": "\(SharedTierError.describe(error))"])
        }
    }

    /// Handles one payload heard on the channel.
    func received(_ payload: String) async {
        guard payload.hasPrefix("purge ") else {
            notifications.notify(payload)
            return
        }
        let parts = payload.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false)
        guard parts.count >= 3, parts[1] != instance else { return }
        let purge: Purge
        switch (parts[2], parts.count == 4 ? String(parts[3]) : nil) {
        case ("key", let hex?):
            guard let key = CacheKey(hex: hex) else { return }
            purge = .key(key)
        case ("namespace", let name?): purge = .namespace(name)
        case ("all", nil): purge = .all
        default: return
        }
        await purgeHandler.withLock { $0 }?(purge)
        purgesApplied.add()
    }
}
