import LLMCacheCore

/// When an entry past its time to live may still answer (RFC 5861): at once while one
/// background request refreshes it (`stale-while-revalidate`), or when the upstream fails
/// (`stale-if-error`: unreachable, timed out, 5xx or 429 after retries and fallbacks). Entries
/// are kept that much longer than their TTL (``retention``); freshness is judged by the entry's
/// age against the request's TTL. Both zero (the default): entries expire at their TTL, as
/// before.
public struct StalePolicy: Sendable, Equatable {
    public var ifError: Duration
    public var whileRevalidate: Duration

    public init(ifError: Duration = .zero, whileRevalidate: Duration = .zero) {
        self.ifError = ifError
        self.whileRevalidate = whileRevalidate
    }

    /// How long past its TTL an entry is kept.
    public var retention: Duration { max(ifError, whileRevalidate) }
}
