/// What the proxy did with a request — the one place each status is spelled: the value of
/// `x-llmcache-status`, the `cache_status` label of `llmcache_request_duration_seconds`, the
/// keys of `/stats` `requests`, and what plugins, the access log and run manifests record.
public enum CacheStatus: String, Sendable, CaseIterable {
    /// Answered from a cache tier.
    case hit = "HIT"
    /// Fetched from the upstream (and stored when it may be).
    case miss = "MISS"
    /// Passed through without touching the cache.
    case bypass = "BYPASS"
    /// Fetched on purpose to replace what is stored (record mode, `Cache-Control: no-cache`).
    case refresh = "REFRESH"
    /// Waited for an identical request's fetch.
    case coalesced = "COALESCED"
    /// Answered with an error (4xx/5xx), by the proxy or the upstream.
    case error = "ERROR"
    /// Answered by a plugin's before-lookup hook.
    case plugin = "PLUGIN"
    /// Answered from a cache tier past its time to live: while one background request refreshes
    /// it (`stale-while-revalidate`, `max-stale`), or because the upstream failed
    /// (`stale-if-error`).
    case stale = "STALE"
    /// An embeddings batch answered partly from cached items, the rest fetched in one request.
    case partial = "PARTIAL"

    /// The position in ``allCases``: the index of per-status counters.
    package var index: Int {
        switch self {
        case .hit: 0
        case .miss: 1
        case .bypass: 2
        case .refresh: 3
        case .coalesced: 4
        case .error: 5
        case .plugin: 6
        case .stale: 7
        case .partial: 8
        }
    }
}
