import LLMCacheCore
/// How the proxy uses the cache (server-wide, or per request with `x-llmcache-mode`).
public enum CacheMode: String, Sendable, CaseIterable {
    /// Read-through: answer from the cache, fetch and store misses.
    case readwrite
    /// Offline: never contact an upstream; a miss is 504.
    case replay
    /// Always fetch and overwrite the stored answer.
    case record
    /// Proxy only: neither look up nor store.
    case passthrough
}

/// The request's `Cache-Control` directives that llmcache honours.
struct CacheControlDirectives: Equatable {
    var noCache = false
    var noStore = false
    var onlyIfCached = false
    var maxAge: Int?
    /// `max-stale[=N]`: seconds past its freshness the client accepts (no N: any, `Int.max`).
    var maxStale: Int?
    /// `stale-if-error=N` (RFC 5861): seconds past its freshness the client accepts when the
    /// upstream fails.
    var staleIfError: Int?

    init(_ value: String?) {
        guard let value else { return }
        for part in value.split(separator: ",") {
            let directive = part.trimmedSpaces.lowercased()
            switch directive {
            case "no-cache": noCache = true
            case "no-store": noStore = true
            case "only-if-cached": onlyIfCached = true
            case "max-stale": maxStale = .max
            default:
                if directive.hasPrefix("max-age="), let seconds = Int(directive.dropFirst(8)), seconds >= 0 {
                    maxAge = seconds
                } else if directive.hasPrefix("max-stale="), let seconds = Int(directive.dropFirst(10)), seconds >= 0 {
                    maxStale = seconds
                } else if directive.hasPrefix("stale-if-error="), let seconds = Int(directive.dropFirst(15)),
                    seconds >= 0
                {
                    staleIfError = seconds
                }
            }
        }
    }
}
