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

    init(_ value: String?) {
        guard let value else { return }
        for part in value.split(separator: ",") {
            let directive = part.trimmedSpaces.lowercased()
            switch directive {
            case "no-cache": noCache = true
            case "no-store": noStore = true
            case "only-if-cached": onlyIfCached = true
            default:
                if directive.hasPrefix("max-age="), let seconds = Int(directive.dropFirst(8)), seconds >= 0 {
                    maxAge = seconds
                }
            }
        }
    }
}
